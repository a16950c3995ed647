package web_test

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The roles of the matrix: anonymous, then one token per role, with two unit administrators so
// that "in scope" and "out of scope" are both exercised across districts, the administrator of a
// second province (Hà Nội) so that they are across provinces, and a national administrator, who
// reads every province and changes none. Every object the cases make belongs to Quảng Ngãi.
var matrixRoles = []string{"anonymous", "province_admin", "unit_admin_bato", "unit_admin_sontay", "org_admin_tinhdoan", "team_member", "bridge_operator", "learner",
	"province_admin_hanoi", "national_admin"}

// outcome is what a role gets: ok (2xx), anon (401) or deny (403 or 404: refused, and for objects
// outside the scope their existence is not confirmed either).
type outcome string

const (
	ok   outcome = "ok"
	anon outcome = "anon"
	deny outcome = "deny"
	// refused is a 422 that names the out-of-scope lines of an import.
	refused outcome = "refused"
)

// expect builds the outcomes of one route: everyone gets def, except the roles listed.
func expect(def outcome, except map[string]outcome) map[string]outcome {
	m := map[string]outcome{}
	for _, r := range matrixRoles {
		m[r] = def
		if o, found := except[r]; found {
			m[r] = o
		}
	}
	return m
}

var (
	public     = expect(ok, nil)
	signedIn   = expect(ok, map[string]outcome{"anonymous": anon})
	adminsOnly = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "org_admin_tinhdoan": ok,
		"province_admin_hanoi": ok, "national_admin": ok})
	baToAdmins   = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok})
	provinceOnly = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok})
	nobody       = expect(deny, map[string]outcome{"anonymous": anon})
)

type matrixCase struct {
	route string // the registered pattern, e.g. "POST /api/v1/users"
	// request builds a fresh request for one role: path and JSON body. Objects are made anew for
	// every role so that no case depends on another's changes.
	request func(e *env, role string) (path, body string)
	want    map[string]outcome
}

func matrixCases() []matrixCase {
	baToUser := func(e *env) accounts.User {
		return e.fresh(accounts.NewUser{Role: authz.TeamMember, UnitCode: e.baToCommune})
	}
	return []matrixCase{
		{"GET /api/v1/units", func(e *env, _ string) (string, string) { return "/api/v1/units?level=district", "" }, public},
		{"GET /api/v1/units/{code}", func(e *env, _ string) (string, string) { return "/api/v1/units/535", "" }, public},
		{"POST /api/v1/units/import", func(e *env, _ string) (string, string) {
			return "/api/v1/units/import", "code,name,level,parent_code\n" + e.baToCommune + "-99,Thôn Nhập,village," + e.baToCommune + "\n"
		}, expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": refused, "province_admin_hanoi": refused})},
		{"POST /api/v1/units/{code}/villages", func(e *env, role string) (string, string) {
			return "/api/v1/units/" + e.baToCommune + "/villages", fmt.Sprintf(`{"name":"Thôn Thử %s"}`, strings.ReplaceAll(role, "_", " "))
		}, baToAdmins},
		{"POST /api/v1/units/split-assignments", func(e *env, _ string) (string, string) {
			return "/api/v1/units/split-assignments", `{"path":"` + e.splitCommune() + `","into":"21400"}`
		}, provinceOnly},
		{"GET /api/v1/orgs", func(e *env, _ string) (string, string) { return "/api/v1/orgs", "" }, public},
		{"GET /api/v1/orgs/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/orgs/%d", e.orgIDs["hd-bato"]), ""
		}, public},
		{"POST /api/v1/orgs", func(e *env, role string) (string, string) {
			return "/api/v1/orgs", fmt.Sprintf(`{"name":"Trường Thử %s","kind":"school","unit_code":"535"}`, role)
		}, baToAdmins},
		{"POST /api/v1/orgs/{id}/merge", func(e *env, role string) (string, string) {
			// A merger is the province's decision: a department of the province merged into another.
			e.seq++
			old := e.mustOrg(orgs.Org{Name: fmt.Sprintf("Sở cũ %s %d", role, e.seq), Kind: orgs.Department, UnitCode: "51"})
			into := e.mustOrg(orgs.Org{Name: fmt.Sprintf("Sở mới %s %d", role, e.seq), Kind: orgs.Department, UnitCode: "51"})
			return fmt.Sprintf("/api/v1/orgs/%d/merge", old.ID), fmt.Sprintf(`{"successor_id":%d,"effective":"2025-03-01"}`, into.ID)
		}, provinceOnly},
		{"GET /api/v1/me", func(e *env, _ string) (string, string) { return "/api/v1/me", "" }, signedIn},
		{"GET /api/v1/users", func(e *env, _ string) (string, string) { return "/api/v1/users", "" }, adminsOnly},
		{"POST /api/v1/users", func(e *env, role string) (string, string) {
			e.seq++
			return "/api/v1/users", fmt.Sprintf(`{"username":"new.%d","password":%q,"role":"team_member","unit_code":%q}`, e.seq, testPassword, e.baToCommune)
		}, baToAdmins},
		{"GET /api/v1/users/{id}", func(e *env, _ string) (string, string) { return fmt.Sprintf("/api/v1/users/%d", baToUser(e).ID), "" }, baToAdmins},
		{"POST /api/v1/users/{id}/grants", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d/grants", baToUser(e).ID), `{"role":"learner","unit_code":"535"}`
		}, baToAdmins},
		{"DELETE /api/v1/users/{id}/grants/{grant}", func(e *env, _ string) (string, string) {
			u := baToUser(e)
			return fmt.Sprintf("/api/v1/users/%d/grants/%d", u.ID, u.Grants[0].ID), ""
		}, baToAdmins},
		{"POST /api/v1/users/{id}/disable", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d/disable", baToUser(e).ID), ""
		}, baToAdmins},
		{"POST /api/v1/users/{id}/enable", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/users/%d/enable", baToUser(e).ID), ""
		}, baToAdmins},
		{"GET /api/v1/tokens", func(e *env, _ string) (string, string) { return "/api/v1/tokens", "" }, signedIn},
		{"POST /api/v1/tokens", func(e *env, _ string) (string, string) { return "/api/v1/tokens", `{"name":"thử"}` }, signedIn},
		{"DELETE /api/v1/tokens/{id}", func(e *env, _ string) (string, string) {
			// Someone else's token: nobody may revoke it through their own account.
			u := baToUser(e)
			if _, err := e.accounts.CreateToken(e.sys, u.ID, "other"); err != nil {
				e.t.Fatal(err)
			}
			list, _ := e.accounts.ListTokens(e.sys, u.ID)
			return fmt.Sprintf("/api/v1/tokens/%d", list[0].ID), ""
		}, nobody},
		{"GET /api/v1/audit", func(e *env, _ string) (string, string) { return "/api/v1/audit", "" }, adminsOnly},
	}
}

// TestEveryAPIRouteEveryRole runs every API route for every role and checks the outcome, and
// fails when a route is registered that the matrix does not cover.
func TestEveryAPIRouteEveryRole(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cases := matrixCases()
		cases = append(cases, trainingMatrixCases()...)
		cases = append(cases, outreachMatrixCases()...)
		cases = append(cases, ceremonyMatrixCases()...)
		cases = append(cases, reportsMatrixCases()...)
		cases = append(cases, portalMatrixCases()...)
		cases = append(cases, pubservicesMatrixCases()...)
		cases = append(cases, eventsMatrixCases()...)
		cases = append(cases, invitationMatrixCases()...)
		covered := map[string]bool{"/api/": true}
		for _, c := range cases {
			covered[c.route] = true
		}
		var missing []string
		for _, p := range e.web.Patterns() {
			if strings.Contains(p, "/api/") && !covered[p] {
				missing = append(missing, p)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Fatalf("API routes without access rules in the matrix: %v", missing)
		}
		denials := map[string][]string{} // role → the requests refused to it
		for _, c := range cases {
			method, _, _ := strings.Cut(c.route, " ")
			for _, role := range matrixRoles {
				path, body := c.request(e, role)
				ct := "application/json"
				if strings.HasSuffix(path, "/import") {
					ct = "text/csv"
				}
				var resp *http.Response
				var b []byte
				if strings.HasSuffix(path, "/events") || strings.Contains(path, "/events?") {
					resp = e.streamHead(path, e.tokens[role]) // a stream never ends: the status is enough
				} else {
					resp, b = e.do(method, path, e.tokens[role], ct, body)
				}
				var got outcome
				switch {
				case resp.StatusCode >= 200 && resp.StatusCode < 300:
					got = ok
				case resp.StatusCode == http.StatusUnauthorized:
					got = anon
				case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
					got = deny
				case resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(string(b), "phạm vi"):
					got = refused
				default:
					got = outcome(fmt.Sprint(resp.StatusCode))
				}
				if got != c.want[role] {
					t.Errorf("%s as %s: %d (%s), want %s; body %.200s", c.route, role, resp.StatusCode, got, c.want[role], b)
				}
				if got == deny && role != "anonymous" {
					denials[role] = append(denials[role], method+" "+path)
				}
				if m := securityHeadersMissing(resp); m != "" {
					t.Errorf("%s as %s: %d without %s", c.route, role, resp.StatusCode, m)
				}
			}
		}
		// Every refusal is in the audit log, once: one access.denied row each, or counted on an
		// access.denied_more row past an actor's budget for the minute.
		auditedDenials(t, d, denials)
		// An unknown API path answers JSON 404 for everyone.
		if resp, b := e.do("GET", "/api/v1/nothing", "", "", ""); resp.StatusCode != 404 || !strings.Contains(string(b), "not_found") {
			t.Errorf("unknown API path: %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.do("PUT", "/api/v1/units", "", "", ""); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("PUT /api/v1/units: %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
		// A made-up or revoked token is refused, not treated as anonymous.
		if resp, _ := e.do("GET", "/api/v1/units", "lt_forged", "", ""); resp.StatusCode != 401 {
			t.Errorf("forged token: %d", resp.StatusCode)
		}
	})
}

// auditedDenials checks that the audit log holds every refused request of denials (role → the
// requests), no more and no fewer: rows of access.denied plus the counts of access.denied_more.
func auditedDenials(t *testing.T, d *db.DB, denials map[string][]string) {
	t.Helper()
	rows, err := d.Reader().QueryContext(t.Context(), "SELECT actor_name, action, object_id, detail FROM audit_log WHERE action IN ('access.denied', 'access.denied_more')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	logged := map[string]int{}
	details := map[string]map[string]bool{}
	for rows.Next() {
		var actor, action, objectID, detail string
		if err := rows.Scan(&actor, &action, &objectID, &detail); err != nil {
			t.Fatal(err)
		}
		switch action {
		case "access.denied":
			logged[actor]++
			if details[actor] == nil {
				details[actor] = map[string]bool{}
			}
			details[actor][strings.Join(strings.Fields(detail)[:2], " ")] = true
		case "access.denied_more":
			n, _ := strconv.Atoi(objectID)
			logged[actor] += n
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for role, reqs := range denials {
		user := strings.ReplaceAll(role, "_", ".")
		if logged[user] != len(reqs) {
			var unlogged []string
			for _, r := range reqs {
				if p, _, _ := strings.Cut(r, "?"); !details[user][p] {
					unlogged = append(unlogged, r)
				}
			}
			t.Errorf("%s was refused %d requests, the audit log counts %d; not logged one by one: %v", role, len(reqs), logged[user], unlogged)
		}
	}
}
