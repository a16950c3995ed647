package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
)

// The page matrix: every HTML route (every registered route outside /api/, /static/ and the
// operations endpoints) for every role of matrixRoles, signed in through the login form with a
// session cookie, as a browser is. Outcomes:
//
//   - ok: 2xx, or a redirect anywhere but the login form (a form post that worked answers 303);
//   - login: the anonymous visitor is sent to /login?next=…;
//   - deny: 403, or 404 for an object outside the actor's scope (its existence is not confirmed).
//   - invalid: 400 or 422, the handler refused the (deliberately incomplete) input, after the
//     access check: only used where the allowed roles' request is not meant to succeed.
const (
	login    outcome = "login"
	invalid  outcome = "invalid"
	conflict outcome = "409"
)

// fileField in a form sends the form as multipart/form-data with its value as the file "file".
const fileField = "@file"

var (
	pagePublic   = expect(ok, nil)
	pageSignedIn = expect(ok, map[string]outcome{"anonymous": login})
	pageNotFound = expect(deny, nil)
)

// pageOnly turns an API expectation into the page one: anonymous visitors are sent to the login
// form instead of answered 401.
func pageOnly(m map[string]outcome) map[string]outcome {
	out := map[string]outcome{}
	for k, v := range m {
		if v == anon {
			v = login
		}
		out[k] = v
	}
	return out
}

type pageCase struct {
	route string
	// request builds the path and the form (nil for GET) for one role; objects are made anew for
	// every role where the request changes them.
	request func(e *env, role string) (path string, form url.Values)
	want    map[string]outcome
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func get(path string) func(*env, string) (string, url.Values) {
	return func(*env, string) (string, url.Values) { return path, nil }
}

func (e *env) userIn(unit string) accounts.User {
	return e.fresh(accounts.NewUser{Role: authz.TeamMember, UnitCode: unit})
}

func (e *env) portalPost() portal.Post {
	e.t.Helper()
	p, err := e.web.Portal.CreatePost(e.sys, portal.PostInput{Title: fmt.Sprintf("Tin thử %d", e.seq), BodyHTML: "<p>Nội dung</p>", Province: "51"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.seq++
	return p
}

func (e *env) outboxMessage() int64 {
	e.t.Helper()
	id, err := e.web.Notify.EnqueueNow(e.sys, notify.Message{Kind: "report_reminder", Channel: "email", Recipient: "ubnd.bato@example.vn", Subject: "Nhắc", Body: "Nhắc nộp báo cáo", UnitPath: "/51/535/"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func pageCases() []pageCase {
	baToAdminsP := pageOnly(baToAdmins)
	provinceOnlyP := pageOnly(provinceOnly)
	adminsOnlyP := pageOnly(adminsOnly)
	// Reports: every object is Quảng Ngãi's. Hà Nội's administrator reads none (404) and defines its
	// own periods only; the national administrator reads every one and changes none (403).
	reporters := expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok,
		"province_admin_hanoi": ok, "national_admin": ok})
	baToReadersP := reportsWith(baToAdminsP, map[string]outcome{"national_admin": ok})
	// The ceremony's control room and readiness: administrators of units, and the national
	// administrator, who reads every province's.
	ceremonyWatchers := expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "national_admin": ok})
	// As GET /api/v1/dashboard/units/{code}: Ba Tơ's administrators, and the members and operators
	// who work there, and the national administrator.
	dashboardBaTo := expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok, "bridge_operator": ok,
		"national_admin": ok})
	course := func(e *env) int64 { return e.course(false).ID }
	courseCreators := pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok, "national_admin": ok}))
	team := func(e *env) outreach.Team { return e.baToTeam() }
	return []pageCase{
		{"GET /{$}", get("/"), pagePublic},
		// Every address no page serves: the error page, 404, for everyone (the row's method-less
		// pattern is sent as a POST; TestUnknownAddresses covers GET and 405).
		{"/", get("/trang-khong-co"), expect(deny, nil)},
		{"GET /login", get("/login"), pagePublic},
		{"POST /login", func(e *env, _ string) (string, url.Values) {
			return "/login", form("username", "learner", "password", testPassword)
		}, pagePublic},
		{"GET /login/phone", get("/login/phone"), pagePublic},
		// No number, then a five-digit code: refused before any code is asked for or counted.
		{"POST /login/phone", func(e *env, _ string) (string, url.Values) { return "/login/phone", form("phone", "") }, expect(invalid, nil)},
		{"POST /login/phone/verify", func(e *env, _ string) (string, url.Values) {
			return "/login/phone/verify", form("phone", "0905123123", "code", "12345")
		}, expect(invalid, nil)},
		{"POST /logout", func(e *env, _ string) (string, url.Values) { return "/logout", form() }, pagePublic},
		// The second factor's pages serve a half session only (secondfactor_test.go): a full
		// session or none is sent to the login form.
		{"GET /login/2fa", get("/login/2fa"), expect(login, nil)},
		{"POST /login/2fa", func(e *env, _ string) (string, url.Values) { return "/login/2fa", form("code", "123456") }, expect(login, nil)},
		{"GET /login/2fa/enrol", get("/login/2fa/enrol"), expect(login, nil)},
		{"POST /login/2fa/enrol", func(e *env, _ string) (string, url.Values) { return "/login/2fa/enrol", form("code", "123456") }, expect(login, nil)},
		{"POST /lang", func(e *env, _ string) (string, url.Values) { return "/lang", form("lang", "en", "next", "/") }, pagePublic},
		// Single sign-on: the matrix's server has no provider, so its addresses name none (404); a
		// learner's sign-up form without a sign-up under way says so (401), whoever asks.
		{"GET /login/sso/{provider}", get("/login/sso/tinh"), pageNotFound},
		{"GET /login/sso/{provider}/callback", get("/login/sso/tinh/callback?state=x&code=y"), pageNotFound},
		{"GET /login/sso/signup", get("/login/sso/signup"), expect("401", nil)},
		{"POST /login/sso/signup", func(e *env, _ string) (string, url.Values) {
			return "/login/sso/signup", form("username", "hocvien", "place", "unit:21484")
		}, expect("401", nil)},

		{"GET /workspace", get("/workspace"), pageSignedIn},
		{"GET /account", get("/account"), pageSignedIn},
		{"GET /account/password", get("/account/password"), pageSignedIn},
		// Wrong old password: refused after the login check.
		{"POST /account/password", func(e *env, _ string) (string, url.Values) {
			return "/account/password", form("old_password", "không đúng", "password", "Mat-Khau-Moi-2024", "password_confirm", "Mat-Khau-Moi-2024")
		}, expect(invalid, map[string]outcome{"anonymous": login})},
		{"POST /account/tokens", func(e *env, _ string) (string, url.Values) { return "/account/tokens", form("name", "thử") }, pageSignedIn},
		{"POST /account/tokens/{id}/revoke", func(e *env, _ string) (string, url.Values) {
			// Someone else's token: nobody may revoke it.
			u := e.userIn(e.baToCommune)
			if _, err := e.accounts.CreateToken(e.sys, u.ID, "other"); err != nil {
				e.t.Fatal(err)
			}
			list, _ := e.accounts.ListTokens(e.sys, u.ID)
			return fmt.Sprintf("/account/tokens/%d/revoke", list[0].ID), form()
		}, expect(deny, map[string]outcome{"anonymous": login})},

		{"GET /units", get("/units"), pageSignedIn},
		{"GET /units/search", get("/units/search?q=ba"), pageSignedIn},
		// The unit tree is public (GET /api/v1/units/{code}); an administrator's unit pages are
		// limited to their own units, so another district's administrator (and a commune's team
		// member) gets 404.
		{"GET /units/{code}", get("/units/535"), expect(ok, map[string]outcome{"anonymous": login, "unit_admin_sontay": deny, "team_member": deny, "province_admin_hanoi": deny})},
		{"POST /units/{code}/villages", func(e *env, role string) (string, url.Values) {
			e.seq++
			return "/units/" + e.baToCommune + "/villages", form("name", fmt.Sprintf("Thôn Trang %d", e.seq))
		}, baToAdminsP},
		{"POST /units/{code}/import", func(e *env, _ string) (string, url.Values) {
			e.seq++
			return "/units/535/import", form(fileField, fmt.Sprintf("code,name,level,parent_code\n%s-%d,Thôn Nhập Trang,village,%s\n", e.baToCommune, 50+e.seq%40, e.baToCommune))
		}, pageOnly(baToAdmins)},
		{"POST /units/{code}/assign-split", func(e *env, _ string) (string, url.Values) {
			p := e.splitCommune()
			code := p[len(p)-6 : len(p)-1]
			return "/units/" + code + "/assign-split?at=2023-12-31", form("into", "21409")
		}, provinceOnlyP},
		{"GET /orgs", get("/orgs"), adminsOnlyP},
		{"POST /orgs", func(e *env, role string) (string, url.Values) {
			e.seq++
			return "/orgs", form("name", fmt.Sprintf("Trường Trang %d", e.seq), "kind", "school", "unit_code", "535")
		}, baToAdminsP},
		{"POST /orgs/merge", func(e *env, role string) (string, url.Values) {
			// A merger is the province's decision: a department of the province merged into another.
			e.seq++
			old := e.mustOrg(orgs.Org{Name: fmt.Sprintf("Sở cũ trang %s %d", role, e.seq), Kind: orgs.Department, UnitCode: "51"})
			into := e.mustOrg(orgs.Org{Name: fmt.Sprintf("Sở mới trang %s %d", role, e.seq), Kind: orgs.Department, UnitCode: "51"})
			return "/orgs/merge", form("org_id", strconv.FormatInt(old.ID, 10), "successor_id", strconv.FormatInt(into.ID, 10), "effective", "2025-03-01")
		}, provinceOnlyP},
		{"GET /users", get("/users"), adminsOnlyP},
		{"GET /users/new", get("/users/new"), adminsOnlyP},
		{"POST /users", func(e *env, _ string) (string, url.Values) {
			e.seq++
			return "/users", form("username", fmt.Sprintf("trang.%d", e.seq), "password", testPassword, "role", "team_member", "unit_code", e.baToCommune)
		}, baToAdminsP},
		{"GET /users/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d", e.userIn(e.baToCommune).ID), nil
		}, baToAdminsP},
		{"POST /users/{id}/grants", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/grants", e.userIn(e.baToCommune).ID), form("role", "learner", "unit_code", "535")
		}, baToAdminsP},
		{"POST /users/{id}/grants/{grant}/revoke", func(e *env, _ string) (string, url.Values) {
			u := e.userIn(e.baToCommune)
			return fmt.Sprintf("/users/%d/grants/%d/revoke", u.ID, u.Grants[0].ID), form()
		}, baToAdminsP},
		{"POST /users/{id}/disable", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/disable", e.userIn(e.baToCommune).ID), form()
		}, baToAdminsP},
		{"POST /users/{id}/enable", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/enable", e.userIn(e.baToCommune).ID), form()
		}, baToAdminsP},
		{"POST /users/{id}/password", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/password", e.userIn(e.baToCommune).ID), form()
		}, baToAdminsP},
		{"POST /users/{id}/2fa/reset", func(e *env, _ string) (string, url.Values) {
			u := e.userIn(e.baToCommune)
			if err := e.accounts.EnrolWithSecret(e.sys, u.ID, testTOTPSecret); err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/users/%d/2fa/reset", u.ID), form()
		}, baToAdminsP},
		// Linking for single sign-on: only who manages the account gets past the scope check, then
		// the matrix's server names no provider (422); unlinking finds no link there (404).
		{"POST /users/{id}/sso", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/sso", e.userIn(e.baToCommune).ID), form("provider", "tinh", "subject", "sub-1")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid, "unit_admin_bato": invalid}))},
		{"POST /users/{id}/sso/{link}/unlink", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/users/%d/sso/1/unlink", e.userIn(e.baToCommune).ID), form()
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon}))},
		{"GET /audit", get("/audit"), adminsOnlyP},

		// Outreach.
		{"GET /outreach", get("/outreach"), pageSignedIn},
		{"GET /outreach/form", get("/outreach/form"), expect(deny, map[string]outcome{"anonymous": login, "team_member": ok})},
		{"GET /outreach/visits", get("/outreach/visits"), expect(deny, map[string]outcome{"anonymous": login, "team_member": ok})},
		{"GET /outreach/sw.js", get("/outreach/sw.js"), pagePublic},
		{"GET /outreach/manifest.webmanifest", get("/outreach/manifest.webmanifest"), pagePublic},
		// Without a unit: the viewer's own top unit (Hà Nội has no campaign yet: not found); the
		// national administrator, who reads every province, is offered the choice of one.
		{"GET /outreach/progress", get("/outreach/progress"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "team_member": ok,
			"national_admin": ok})},
		{"GET /outreach/progress/export", get("/outreach/progress/export?format=xlsx&unit=535"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "national_admin": ok})},
		// The records export is a scoped list: another district's administrator and a member get
		// their own part of it (checked in TestOutOfScopeObjects), the others nothing.
		{"GET /outreach/records/export", get("/outreach/records/export?format=xlsx&unit=535"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok})},
		// A former export URL answers everyone a redirect to its export, which checks access
		// (TestFormerExportURLsRedirect follows each one).
		{"GET /outreach/progress.xlsx", get("/outreach/progress.xlsx?unit=535"), pagePublic},
		{"GET /outreach/records.xlsx", get("/outreach/records.xlsx?unit=535"), pagePublic},
		{"GET /outreach/teams", get("/outreach/teams"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "team_member": ok,
			"province_admin_hanoi": ok, "national_admin": ok})},
		{"POST /outreach/teams", func(e *env, _ string) (string, url.Values) {
			e.seq++
			return "/outreach/teams", form("name", fmt.Sprintf("Tổ trang %d", e.seq), "unit_code", e.baToCommune)
		}, baToAdminsP},
		{"GET /outreach/teams/{id}", func(e *env, _ string) (string, url.Values) { return fmt.Sprintf("/outreach/teams/%d", team(e).ID), nil },
			expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_bato": ok, "team_member": ok, "national_admin": ok})},
		{"POST /outreach/teams/{id}/members", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/outreach/teams/%d/members", team(e).ID), form("username", e.userIn(e.baToCommune).Username)
		}, baToAdminsP},
		{"POST /outreach/teams/{id}/members/{user}/remove", func(e *env, _ string) (string, url.Values) {
			t, u := team(e), e.userIn(e.baToCommune)
			if _, err := e.outreach.AddMember(e.sys, t.ID, u.Username, false); err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/outreach/teams/%d/members/%d/remove", t.ID, u.ID), form()
		}, baToAdminsP},
		{"POST /outreach/teams/{id}/roster", func(e *env, _ string) (string, url.Values) {
			// Not a spreadsheet: refused after the access check.
			return fmt.Sprintf("/outreach/teams/%d/roster", team(e).ID), form(fileField, "không phải bảng tính")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid, "unit_admin_bato": invalid}))},
		{"GET /outreach/admin", get("/outreach/admin"), adminsOnlyP},
		{"POST /outreach/admin/campaigns", func(e *env, _ string) (string, url.Values) {
			e.seq++
			return "/outreach/admin/campaigns", form("name", fmt.Sprintf("Chiến dịch %d", e.seq), "launch_at", time.Now().Add(48*time.Hour).Format("2006-01-02T15:04"), "days", "7", "target", "100", "retention_days", "365")
		}, pageOnly(provinceAdmins)},
		{"POST /outreach/admin/campaigns/{id}/launch", func(e *env, _ string) (string, url.Values) {
			e.seq++
			c, err := e.outreach.CreateCampaign(e.sys, outreach.Campaign{Province: "51", Name: fmt.Sprintf("Chiến dịch lùi %d", e.seq), LaunchAt: time.Now().Add(72 * time.Hour), Days: 7, Target: 10})
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/outreach/admin/campaigns/%d/launch", c.ID), form("launch_at", time.Now().Add(96*time.Hour).Format("2006-01-02T15:04"))
		}, provinceOnlyP},
		{"POST /outreach/admin/skills", func(e *env, _ string) (string, url.Values) {
			// A national entry of the catalogue: the national administrator's to change.
			return "/outreach/admin/skills", form("code", "so_suc_khoe", "name", "Sổ sức khỏe điện tử", "kind", "platform", "order", "11", "active", "1")
		}, expect(deny, map[string]outcome{"anonymous": login, "national_admin": ok})},
		{"POST /outreach/admin/requests", func(e *env, _ string) (string, url.Values) {
			e.seq++
			phone := fmt.Sprintf("09%08d", 20000000+e.seq)
			e.memberRecord(phone)
			return "/outreach/admin/requests", form("kind", "export", "phone", phone, "received_on", "2023-07-06")
		}, baToAdminsP},
		{"POST /outreach/admin/retention", func(e *env, _ string) (string, url.Values) { return "/outreach/admin/retention", form() }, pageOnly(provinceAdmins)},

		// Ceremony: Quảng Ngãi's, which Hà Nội's administrator does not see and the national
		// administrator reads (control room, readiness, screens, points) without changing.
		{"GET /ceremonies", get("/ceremonies"), pageSignedIn},
		{"GET /ceremonies/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d", e.ceremony().id), nil
		}, pageOnly(ceremonyReaders)},
		{"GET /ceremonies/{id}/edit", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/edit", e.ceremony().futureID), nil
		}, provinceOnlyP},
		{"POST /ceremonies/{id}/edit", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/edit", e.ceremony().futureID), form("title", "Lễ phát động sau", "starts_at", time.Now().Add(10*24*time.Hour).Format("2006-01-02T15:04"))
		}, provinceOnlyP},
		{"POST /ceremonies/{id}/steps", func(e *env, role string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/steps", e.ceremony().futureID), form("title", "Phát biểu của "+role)
		}, provinceOnlyP},
		// An unknown operation: refused after the access check.
		{"POST /ceremonies/{id}/steps/{pos}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/steps/1", e.ceremony().futureID), form("op", "khong-co")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid}))},
		{"POST /ceremonies/{id}/status", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/status", e.ceremony().futureID), form("status", "scheduled")
		}, provinceOnlyP},
		// A form without its file: refused after the access check.
		{"POST /ceremonies/{id}/speech", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/speech", e.ceremony().futureID), form("note", "bản 1")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid}))},
		{"POST /ceremonies/{id}/leaders", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/leaders", e.ceremony().futureID), form("username", "khong.co.ai")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid}))},
		{"POST /ceremonies/{id}/leaders/{uid}/remove", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/leaders/%d/remove", e.ceremony().futureID, e.users["province_admin"]), form()
		}, provinceOnlyP},
		{"GET /ceremonies/{id}/readiness", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/readiness?district=535", e.ceremony().id), nil
		}, ceremonyWatchers},
		// Chasing: as the API, the province and Ba Tơ's administrators (the 30-minute limit is reset
		// before every request).
		{"POST /ceremonies/{id}/chase", func(e *env, _ string) (string, url.Values) {
			e.resetChases()
			return fmt.Sprintf("/ceremonies/%d/chase", e.ceremony().id), form("district", "535")
		}, baToAdminsP},
		{"POST /ceremonies/{id}/points/{pid}/chase", func(e *env, _ string) (string, url.Values) {
			e.resetChases()
			c := e.ceremony()
			return fmt.Sprintf("/ceremonies/%d/points/%d/chase", c.id, c.baToPoint), form("district", "535")
		}, baToAdminsP},
		{"GET /ceremonies/{id}/delegates/{did}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/delegates/%d", e.ceremony().id, e.baToDelegate().ID), nil
		}, pageOnly(baToPointPeople)},
		{"POST /ceremonies/{id}/delegates/{did}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/delegates/%d", e.ceremony().id, e.baToDelegate().ID),
				form("full_name", "Trần Thị Hoa", "position", "Phó Chủ tịch UBND huyện", "group", "district_leaders")
		}, pageOnly(baToPointPeople)},
		{"POST /ceremonies/{id}/delegates/{did}/delete", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/delegates/%d/delete", e.ceremony().id, e.baToDelegate().ID), form()
		}, pageOnly(baToPointPeople)},
		{"GET /ceremonies/{id}/control", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/control", e.ceremony().id), nil
		}, ceremonyWatchers},
		{"GET /ceremonies/{id}/screen", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/ceremonies/%d/screen", e.ceremony().id), nil
		}, pageOnly(ceremonyStaff)}, // those who may watch the live events
		{"GET /ceremonies/{id}/points/{pid}", func(e *env, _ string) (string, url.Values) {
			c := e.ceremony()
			return fmt.Sprintf("/ceremonies/%d/points/%d", c.id, c.baToPoint), nil
		}, pageOnly(baToPointReaders)},
		{"GET /ceremonies/{id}/checkin/{token}", func(e *env, _ string) (string, url.Values) {
			d := e.baToDelegate()
			return fmt.Sprintf("/ceremonies/%d/checkin/%s", e.ceremony().id, d.Token), nil
		}, pageOnly(baToPointPeople)},
		{"POST /ceremonies/{id}/checkin/{token}", func(e *env, _ string) (string, url.Values) {
			d := e.baToDelegate()
			return fmt.Sprintf("/ceremonies/%d/checkin/%s", e.ceremony().id, d.Token), form()
		}, pageOnly(baToPointPeople)},

		// Training. Every course is Quảng Ngãi's: hidden from Hà Nội's administrator, read but not
		// changed nor taken by the national administrator. The course forms create a course of
		// the creator's own province (Hà Nội's for its administrator), or a national course.
		{"GET /register", get("/register"), pagePublic},
		{"POST /register", func(e *env, _ string) (string, url.Values) { return "/register", form() }, expect(invalid, nil)},
		{"GET /courses", get("/courses"), pagePublic},
		{"GET /courses/{id}", func(e *env, _ string) (string, url.Values) { return fmt.Sprintf("/courses/%d", course(e)), nil },
			expect(ok, map[string]outcome{"province_admin_hanoi": deny})},
		{"GET /courses/questions-template", get("/courses/questions-template"), pagePublic},
		{"GET /verify/{code}", get("/verify/KHONGCO1234"), pageNotFound},
		{"GET /courses/{id}/exam", func(e *env, _ string) (string, url.Values) { return fmt.Sprintf("/courses/%d/exam", course(e)), nil },
			expect(ok, map[string]outcome{"anonymous": login, "province_admin_hanoi": deny, "national_admin": deny})},
		// The start step's button: it starts an attempt for whoever may take the course (and
		// lands back on the exam page), as POST /api/v1/courses/{id}/attempts does.
		{"POST /courses/{id}/exam/start", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/courses/%d/exam/start", course(e)), form()
		}, expect(ok, map[string]outcome{"anonymous": login, "province_admin_hanoi": deny, "national_admin": deny})},
		{"GET /courses/{id}/figures", func(e *env, _ string) (string, url.Values) { return fmt.Sprintf("/courses/%d/figures", course(e)), nil },
			pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok,
				"org_admin_tinhdoan": ok, "national_admin": ok}))},
		{"POST /courses/{id}/questions", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/courses/%d/questions", e.course(true).ID), form()
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid}))},
		{"POST /courses/{id}/publish", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/courses/%d/publish", e.course(true).ID), form()
		}, provinceOnlyP},
		{"GET /certificates", get("/certificates"), pageSignedIn},
		{"GET /courses/new", get("/courses/new"), courseCreators},
		{"POST /courses", func(e *env, role string) (string, url.Values) {
			e.seq++
			return "/courses", form("title", fmt.Sprintf("Khóa trang %d", e.seq), "question_count", "10", "pass_percent", "50", "time_limit_minutes", "20")
		}, courseCreators},
		// Targets as shares: each province's administrator, for its own province.
		{"GET /training/targets", get("/training/targets"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "province_admin_hanoi": ok})},
		{"GET /training/targets/template", get("/training/targets/template"), pageSignedIn},
		{"POST /training/targets/headcounts", func(e *env, _ string) (string, url.Values) { return "/training/targets/headcounts", form() },
			pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid, "province_admin_hanoi": invalid}))},
		{"POST /training/targets/headcount", func(e *env, _ string) (string, url.Values) {
			return "/training/targets/headcount", form("code", "535", "group", "officials", "count", "25")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": invalid}))},
		{"POST /training/targets/share", func(e *env, _ string) (string, url.Values) {
			return "/training/targets/share", form("course", "0", "percent", "80")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok}))},
		{"GET /pupils/template", get("/pupils/template"), pagePublic},
		{"GET /outreach/roster-template", get("/outreach/roster-template?format=xlsx"), pagePublic},
		// A school of Sơn Tây: those who may give its pupils the learner role.
		{"GET /schools/{id}/pupils", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/schools/%d/pupils", e.orgIDs["thpt-sontay"]), nil
		}, expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "unit_admin_sontay": ok})},
		{"POST /courses/{id}/roster", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/courses/%d/roster", course(e)), form()
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": invalid, "unit_admin_bato": invalid, "unit_admin_sontay": invalid, "org_admin_tinhdoan": invalid}))},

		// Portal and notifications. The environment holds two provinces, so a portal's pages are
		// read under its prefix; every post the cases change is Quảng Ngãi's (Hà Nội's administrator
		// is told it does not exist, the national administrator may not change it).
		{"GET /news", get("/tinh/51/news"), pagePublic},
		{"GET /le-phat-dong", get("/tinh/51/le-phat-dong"), pagePublic},
		{"GET /news/{ref}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/tinh/51/news/%d", e.portalPost().ID), nil
		}, pagePublic},
		{"GET /feed.xml", get("/tinh/01/feed.xml"), pagePublic},
		{"GET /sitemap.xml", get("/sitemap.xml"), pagePublic},
		{"GET /media/{id}", get("/media/999999"), pageNotFound},
		{"GET /portal/verify", get("/portal/verify?code=KHONGCO1234"), pagePublic},
		// Each province's administrator edits its own province's posts.
		{"GET /editor/posts", get("/editor/posts"), pageOnly(provinceEditors)},
		{"GET /editor/posts/new", get("/editor/posts/new"), pageOnly(provinceEditors)},
		{"POST /editor/posts", func(e *env, role string) (string, url.Values) {
			return "/editor/posts", form("title", "Tin trang "+role, "body_html", "<p>x</p>", "status", "published")
		}, pageOnly(provinceEditors)},
		{"GET /editor/posts/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/editor/posts/%d", e.portalPost().ID), nil
		}, provinceOnlyP},
		{"POST /editor/posts/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/editor/posts/%d", e.portalPost().ID), form("title", "Sửa", "body_html", "<p>y</p>", "status", "published")
		}, provinceOnlyP},
		{"POST /editor/posts/{id}/delete", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/editor/posts/%d/delete", e.portalPost().ID), form()
		}, provinceOnlyP},
		{"GET /communication", get("/communication"), adminsOnlyP},
		{"POST /communication", func(e *env, role string) (string, url.Values) {
			return "/communication", form("owner", "u:535", "channel", "banner", "title", "Băng rôn "+role, "published_on", "2026-01-15")
		}, baToAdminsP},
		{"GET /communication/export", get("/communication/export?format=xlsx"), adminsOnlyP},
		{"GET /communication/export.xlsx", get("/communication/export.xlsx"), pagePublic},
		{"GET /account/notifications", get("/account/notifications"), pageSignedIn},
		{"POST /account/notifications", func(e *env, _ string) (string, url.Values) { return "/account/notifications", form() }, pageSignedIn},
		{"GET /unsubscribe/{token}", get("/unsubscribe/khong-co-ma-nay"), pageNotFound},
		{"POST /unsubscribe/{token}", func(e *env, _ string) (string, url.Values) { return "/unsubscribe/khong-co-ma-nay", form() }, pageNotFound},
		// Each province administrator reads its own province's outbox, the national one all of them.
		{"GET /admin/outbox", get("/admin/outbox"), expect(deny, map[string]outcome{"anonymous": login, "province_admin": ok, "province_admin_hanoi": ok, "national_admin": ok})},
		{"POST /admin/outbox/{id}/retry", func(e *env, _ string) (string, url.Values) {
			// A queued message is not retried (409 after the access check).
			return fmt.Sprintf("/admin/outbox/%d/retry", e.outboxMessage()), form()
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": conflict, "national_admin": conflict}))},

		// Reports and dashboards.
		{"GET /reports", get("/reports"), reporters},
		{"POST /reports/periods", func(e *env, role string) (string, url.Values) {
			e.seq++
			return "/reports/periods", form("title", fmt.Sprintf("Kỳ trang %d", e.seq), "period_start", "2023-07-01", "period_end", "2023-08-15", "due_date", "2023-08-15", "unit_codes", "535", "sections", "foundation")
		}, reportsWith(provinceOnlyP, map[string]outcome{"province_admin_hanoi": invalid})},
		{"POST /reports/plan", func(e *env, _ string) (string, url.Values) { return "/reports/plan", form() },
			reportsWith(provinceOnlyP, map[string]outcome{"province_admin_hanoi": ok})},
		{"GET /reports/periods/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d", e.baToPeriod().ID), nil
		}, baToReadersP},
		{"GET /reports/periods/{id}/summary", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d/summary", e.baToPeriod().ID), nil
		}, reportsWith(provinceOnlyP, map[string]outcome{"national_admin": ok})},
		{"GET /reports/periods/{id}/status/export", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d/status/export?format=xlsx", e.baToPeriod().ID), nil
		}, baToReadersP},
		{"GET /reports/periods/{id}/status.xlsx", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d/status.xlsx", e.baToPeriod().ID), nil
		}, pagePublic},
		{"POST /reports/periods/{id}/remind", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d/remind", e.baToPeriod().ID), form()
		}, provinceOnlyP},
		{"POST /reports/periods/{id}/units/{code}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/periods/%d/units/535", e.baToPeriod().ID), form()
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "unit_admin_bato": ok}))},
		{"GET /reports/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/%d", e.baToReport(reports.Draft).ID), nil
		}, baToReadersP},
		{"POST /reports/{id}/save", func(e *env, _ string) (string, url.Values) {
			r := e.baToReport(reports.Draft)
			return fmt.Sprintf("/reports/%d/save", r.ID), form("version", fmt.Sprint(r.Version), "results", "Kết quả")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "unit_admin_bato": ok}))},
		{"POST /reports/{id}/submit", func(e *env, _ string) (string, url.Values) {
			r := e.baToReport(reports.Draft)
			return fmt.Sprintf("/reports/%d/submit", r.ID), form("version", fmt.Sprint(r.Version), "results", "Kết quả", "difficulties", "Khó khăn", "proposals", "Đề xuất")
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "unit_admin_bato": ok}))},
		{"POST /reports/{id}/return", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/%d/return", e.baToReport(reports.Submitted).ID), form("comment", "Bổ sung số liệu")
		}, provinceOnlyP},
		{"POST /reports/{id}/accept", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/%d/accept", e.baToReport(reports.Submitted).ID), form()
		}, provinceOnlyP},
		{"POST /reports/{id}/reopen", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/reports/%d/reopen", e.baToReport(reports.Accepted).ID), form("comment", "Mở lại")
		}, provinceOnlyP},
		{"GET /dashboard", get("/dashboard"), pageSignedIn},
		{"GET /dashboard/units/{code}", get("/dashboard/units/535"), dashboardBaTo},
		{"GET /dashboard/units/{code}/export", get("/dashboard/units/535/export?format=xlsx"), dashboardBaTo},
		{"GET /dashboard/orgs/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/dashboard/orgs/%d", e.orgIDs["hd-bato"]), nil
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "org_admin_tinhdoan": ok, "national_admin": ok}))},
		{"GET /dashboard/orgs/{id}/export", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/dashboard/orgs/%d/export?format=xlsx&table=children", e.orgIDs["hd-bato"]), nil
		}, pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "org_admin_tinhdoan": ok, "national_admin": ok}))},
		{"GET /dashboard/public", get("/dashboard/public"), pagePublic},
		{"GET /dashboard/public/export", get("/dashboard/public/export?format=xlsx"), pagePublic},
		// Online public services (pubservices_matrix_test.go).
		{"GET /public-services", get("/public-services?unit=535"), pageOnly(psReaders)},
		{"POST /public-services/import", func(e *env, _ string) (string, url.Values) {
			return "/public-services/import", form(fileField, e.psFile(), "unit", "535")
		}, pageOnly(psImporters(invalid))},
		{"GET /public-services/export", get("/public-services/export?unit=535&format=xlsx"), pageOnly(psReaders)},
		{"GET /public-services/template", get("/public-services/template?format=xlsx"), pagePublic},
	}
}

// isPageRoute tells the HTML routes: everything but the API, the static files and the operations
// endpoints.
func isPageRoute(pattern string) bool {
	_, path, found := strings.Cut(pattern, " ")
	if !found {
		path = pattern
	}
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/static/") {
		return false
	}
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return true
}

// TestEveryPageRouteEveryRole runs every page route for every role, signed in with the login form,
// and fails when a page route is registered that the matrix does not cover.
func TestEveryPageRouteEveryRole(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cases := append(pageCases(), eventsPageCases()...)
		cases = append(cases, invitationPageCases()...)
		covered := map[string]bool{}
		for _, c := range cases {
			if covered[c.route] {
				t.Errorf("two rows for %s", c.route)
			}
			covered[c.route] = true
		}
		registered := map[string]bool{}
		var missing []string
		for _, p := range e.web.Patterns() {
			registered[p] = true
			if isPageRoute(p) && !covered[p] {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("page routes without access rules in the page matrix (add a row to pageCases): %v", missing)
		}
		for _, c := range cases {
			if !registered[c.route] {
				t.Errorf("the page matrix has a row for %s, which is not registered", c.route)
			}
		}
		// One browser per role, signed in through the form; the learner's password must not change.
		browsers := map[string]*browser{}
		for _, role := range matrixRoles {
			browsers[role] = e.browser()
			if role == "anonymous" {
				continue
			}
			if resp := browsers[role].login(strings.ReplaceAll(role, "_", "."), testPassword); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login as %s: %d", role, resp.StatusCode)
			}
		}
		for _, c := range cases {
			method, _, _ := strings.Cut(c.route, " ")
			for _, role := range matrixRoles {
				b := browsers[role]
				path, f := c.request(e, role)
				var resp *http.Response
				var body string
				if method == "GET" {
					resp, body = b.get(path)
				} else if f.Has(fileField) {
					resp, body = postFile(b, path, f)
				} else {
					resp, body = b.post(path, f)
				}
				got := pageOutcome(resp)
				if got != c.want[role] {
					t.Errorf("%s (%s) as %s: %d %s (%s), want %s; body %.300s", c.route, path, role, resp.StatusCode, resp.Header.Get("Location"), got, c.want[role], stripTags(body))
				}
				if m := securityHeadersMissing(resp); m != "" {
					t.Errorf("%s (%s) as %s: %d without %s", c.route, path, role, resp.StatusCode, m)
				}
				// Signing out and the language switch change the browser: sign in again.
				if role != "anonymous" && (c.route == "POST /logout" || c.route == "POST /login") {
					browsers[role] = e.browser()
					browsers[role].login(strings.ReplaceAll(role, "_", "."), testPassword)
				}
			}
		}
	})
}

func pageOutcome(resp *http.Response) outcome {
	loc := resp.Header.Get("Location")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && strings.HasPrefix(loc, "/login?next="):
		return login
	case resp.StatusCode >= 200 && resp.StatusCode < 400:
		return ok
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return deny
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		return invalid
	}
	return outcome(fmt.Sprint(resp.StatusCode))
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// postFile sends a form with a file as a browser does.
func postFile(b *browser, path string, f url.Values) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range f {
		for _, v := range vs {
			if k == fileField {
				fw, _ := mw.CreateFormFile("file", "nhap.csv")
				fw.Write([]byte(v))
			} else {
				mw.WriteField(k, v)
			}
		}
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.e.srv.URL)
	return b.send(req)
}
