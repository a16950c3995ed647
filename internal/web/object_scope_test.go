package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// TestOutOfScopeObjects: the administrator of district A (Sơn Tây), signed in through the form,
// acts on objects of district B (Ba Tơ) through the pages: every request is refused with 403 or 404
// and nothing changes, while the same request by Ba Tơ's administrator works (so the refusal is
// about scope, not a broken request).
func TestOutOfScopeObjects(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sonTay, baTo := e.browser(), e.browser()
		for b, name := range map[*browser]string{sonTay: "unit.admin.sontay", baTo: "unit.admin.bato"} {
			if resp := b.login(name, testPassword); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login %s: %d", name, resp.StatusCode)
			}
		}
		refused := func(what string, resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s as Sơn Tây's administrator: %d, want 403 or 404; %.200s", what, resp.StatusCode, stripTags(body))
			}
		}
		worked := func(what string, resp *http.Response) {
			t.Helper()
			if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
				t.Errorf("%s as Ba Tơ's administrator: %d, want it to work", what, resp.StatusCode)
			}
		}

		t.Run("user", func(t *testing.T) {
			u := e.userIn(e.baToCommune)
			resp, body := sonTay.get(fmt.Sprintf("/users/%d", u.ID))
			refused("GET /users/{id}", resp, body)
			if strings.Contains(body, u.Username) {
				t.Errorf("the refusal names the user %s", u.Username)
			}
			for _, path := range []string{"/users/%d/disable", "/users/%d/password", "/users/%d/grants"} {
				f := form("role", "unit_admin", "unit_code", "530")
				resp, body := sonTay.post(fmt.Sprintf(path, u.ID), f)
				refused("POST "+path, resp, body)
			}
			resp, body = sonTay.post(fmt.Sprintf("/users/%d/grants/%d/revoke", u.ID, u.Grants[0].ID), form())
			refused("POST /users/{id}/grants/{grant}/revoke", resp, body)
			after, err := e.accounts.FindUser(e.sys, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Disabled || after.MustChangePassword || len(after.Grants) != len(u.Grants) || after.Grants[0].ID != u.Grants[0].ID {
				t.Errorf("the Ba Tơ user changed: disabled %v, must change password %v, grants %+v", after.Disabled, after.MustChangePassword, after.Grants)
			}
			if _, err := e.accounts.Authenticate(e.sys, u.Username, testPassword, "192.0.2.1"); err != nil {
				t.Errorf("the Ba Tơ user's password no longer works: %v", err)
			}
			resp, _ = baTo.post(fmt.Sprintf("/users/%d/disable", u.ID), form())
			worked("POST /users/{id}/disable", resp)
		})

		t.Run("unit", func(t *testing.T) {
			name := "Thôn Ngoài Phạm Vi"
			resp, body := sonTay.post("/units/"+e.baToCommune+"/villages", form("name", name))
			refused("POST /units/{code}/villages", resp, body)
			list, err := e.units.List(e.sys, units.Filter{ParentCode: e.baToCommune, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range list {
				if v.Name == name {
					t.Errorf("Sơn Tây's administrator created village %s under %s", v.Code, e.baToCommune)
				}
			}
			resp, body = sonTay.get("/units/535")
			refused("GET /units/{code}", resp, body)
			resp, body = sonTay.get("/dashboard/units/535")
			refused("GET /dashboard/units/{code}", resp, body)
			resp, _ = baTo.post("/units/"+e.baToCommune+"/villages", form("name", name))
			worked("POST /units/{code}/villages", resp)
		})

		t.Run("team", func(t *testing.T) {
			team := e.baToTeam()
			u := e.userIn(e.baToCommune)
			resp, body := sonTay.get(fmt.Sprintf("/outreach/teams/%d", team.ID))
			refused("GET /outreach/teams/{id}", resp, body)
			resp, body = sonTay.post(fmt.Sprintf("/outreach/teams/%d/members", team.ID), form("username", u.Username))
			refused("POST /outreach/teams/{id}/members", resp, body)
			after, err := e.outreach.FindTeam(e.sys, team.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.Members) != 0 {
				t.Errorf("Sơn Tây's administrator added members to a Ba Tơ team: %+v", after.Members)
			}
			resp, _ = baTo.post(fmt.Sprintf("/outreach/teams/%d/members", team.ID), form("username", u.Username))
			worked("POST /outreach/teams/{id}/members", resp)
		})

		t.Run("records export", func(t *testing.T) {
			// The export masks phone numbers: look for the masked form.
			e.memberRecord("0977123456")
			phone := "0977***456"
			rows := func(b *browser) string {
				resp, body := b.get("/outreach/records/export?format=xlsx&unit=535")
				if resp.StatusCode != 200 {
					return ""
				}
				_, rows, err := sheet.ReadTable(bytes.NewReader([]byte(body)), sheet.DefaultLimits)
				if err != nil {
					t.Fatalf("records.xlsx: %v", err)
				}
				return fmt.Sprint(rows)
			}
			if got := rows(baTo); !strings.Contains(got, phone) {
				t.Errorf("Ba Tơ's export lacks its record %s: %s", phone, got)
			}
			if got := rows(sonTay); strings.Contains(got, phone) {
				t.Errorf("Sơn Tây's administrator exported a Ba Tơ record: %s", got)
			}
			// Refused outright, as the progress export is, not an empty file that reads as "none".
			resp, body := sonTay.get("/outreach/records/export?format=xlsx&unit=535")
			refused("GET /outreach/records/export?format=xlsx&unit=535", resp, body)
		})

		t.Run("report", func(t *testing.T) {
			r := e.baToReport(reports.Draft)
			resp, body := sonTay.get(fmt.Sprintf("/reports/%d", r.ID))
			refused("GET /reports/{id}", resp, body)
			resp, body = sonTay.post(fmt.Sprintf("/reports/%d/submit", r.ID), form("version", fmt.Sprint(r.Version), "results", "Sửa từ huyện khác",
				"difficulties", "x", "proposals", "y"))
			refused("POST /reports/{id}/submit", resp, body)
			after, err := e.reports.FindReport(e.sys, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.State != reports.Draft || after.Version != r.Version {
				t.Errorf("the Ba Tơ report changed: state %s version %d (was %d)", after.State, after.Version, r.Version)
			}
			p := e.baToPeriod()
			resp, body = sonTay.post(fmt.Sprintf("/reports/periods/%d/units/535", p.ID), form())
			refused("POST /reports/periods/{id}/units/{code}", resp, body)
		})

		t.Run("attempt", func(t *testing.T) {
			// Another learner (same organisation) on the matrix learner's exam attempt: not found,
			// and the saved answers stay as they were.
			a := e.learnerAttempt()
			other := e.fresh(accounts.NewUser{Role: "learner", OrgID: e.orgIDs["hd-bato"]})
			tok, err := e.accounts.CreateToken(e.sys, other.ID, "thử")
			if err != nil {
				t.Fatal(err)
			}
			q := a.Questions[0]
			if code := e.json("GET", fmt.Sprintf("/api/v1/attempts/%d", a.ID), tok, nil, nil); code != http.StatusNotFound {
				t.Errorf("GET another learner's attempt: %d, want 404", code)
			}
			body := map[string][]int64{"choices": {q.Options[0].ID}}
			if code := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), tok, body, nil); code != http.StatusNotFound {
				t.Errorf("PUT an answer into another learner's attempt: %d, want 404", code)
			}
			if code := e.json("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), tok, nil, nil); code != http.StatusNotFound {
				t.Errorf("submit another learner's attempt: %d, want 404", code)
			}
			after, err := e.training.GetAttempt(e.learnerCtx(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Submitted || len(after.Questions[0].Choices) != 0 {
				t.Errorf("the attempt changed: submitted %v, choices %v", after.Submitted, after.Questions[0].Choices)
			}
			// The owner's own answer works (the refusal is about the owner, not the request).
			if code := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), e.tokens["learner"], body, nil); code != http.StatusOK {
				t.Errorf("the owner's answer: %d", code)
			}
		})

		t.Run("bridge point", func(t *testing.T) {
			c := e.ceremony()
			resp, body := sonTay.get(fmt.Sprintf("/ceremonies/%d/points/%d", c.id, c.baToPoint))
			refused("GET /ceremonies/{id}/points/{pid}", resp, body)
			dl := e.baToDelegate()
			resp, body = sonTay.post(fmt.Sprintf("/ceremonies/%d/checkin/%s", c.id, dl.Token), form())
			refused("POST /ceremonies/{id}/checkin/{token}", resp, body)
			after, _, err := e.web.Ceremony.DelegateByToken(e.sys, c.id, dl.Token)
			if err != nil {
				t.Fatal(err)
			}
			{
				if !after.CheckedInAt.IsZero() {
					t.Errorf("Sơn Tây's administrator checked in a Ba Tơ delegate")
				}
			}
		})
	})
}

// TestSessionFixationWithARealSession: an attacker who plants their own, valid session id in a
// victim's browser gains nothing: the login replaces it and ends it, so the planted id is signed in
// as nobody afterwards (not as the victim, not as the attacker).
func TestSessionFixationWithARealSession(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		attacker := e.browser()
		attacker.login("learner", testPassword)
		planted := attacker.cookie("lantoa_session")
		if planted == "" {
			t.Fatal("no session after the attacker's login")
		}
		victim := e.browser()
		u, _ := url.Parse(e.srv.URL)
		victim.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lantoa_session", Value: planted, Path: "/"}})
		if resp := victim.login("unit.admin.bato", testPassword); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("victim login: %d", resp.StatusCode)
		}
		if got := victim.cookie("lantoa_session"); got == "" || got == planted {
			t.Fatalf("the victim's session id after login is the planted one")
		}
		// The planted id does not give the victim's account, nor any account.
		resp, body := attacker.get("/account")
		if resp.StatusCode != http.StatusSeeOther || strings.Contains(body, "unit.admin.bato") {
			t.Errorf("the planted session id after the victim's login: %d %.200s", resp.StatusCode, stripTags(body))
		}
	})
}

// TestPasswordChangeEndsOtherSessions: a password change signs out every other browser of the
// account and rotates the id of the one that made it.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		u := e.fresh(accounts.NewUser{Role: "team_member", UnitCode: e.baToCommune})
		one, two := e.browser(), e.browser()
		one.login(u.Username, testPassword)
		two.login(u.Username, testPassword)
		before := one.cookie("lantoa_session")
		resp, body := one.post("/account/password", form("old_password", testPassword, "password", "Mat-Khau-Moi-Dai-2024", "password_confirm", "Mat-Khau-Moi-Dai-2024"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("password change: %d %.200s", resp.StatusCode, stripTags(body))
		}
		if after := one.cookie("lantoa_session"); after == "" || after == before {
			t.Errorf("the session id was not rotated at the password change")
		}
		if resp, _ := one.get("/account"); resp.StatusCode != 200 {
			t.Errorf("the browser that changed the password is signed out: %d", resp.StatusCode)
		}
		if resp, _ := two.get("/account"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("another browser is still signed in after the password change: %d", resp.StatusCode)
		}
	})
}

// TestLoginLimitPerAddress: failures spread over many usernames from one address lock that address
// (not only each account), and the lock holds for a correct password too.
func TestLoginLimitPerAddress(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		locked := -1
		for i := range 60 {
			resp, _ := b.post("/login", form("username", fmt.Sprintf("doan.%d", i), "password", "sai mật khẩu"))
			if resp.StatusCode == http.StatusTooManyRequests {
				locked = i
				break
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i, resp.StatusCode)
			}
		}
		if locked < 0 || locked > 50 {
			t.Fatalf("60 failures over 60 usernames from one address did not lock it (first 429 at %d)", locked)
		}
		if resp := b.login("province.admin", testPassword); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a correct password from the locked address: %d, want 429", resp.StatusCode)
		}
		// Nothing is signed in from there.
		if b.cookie("lantoa_session") != "" {
			t.Errorf("a session cookie was set at a locked address")
		}
	})
}
