package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
	"github.com/lantoa/lantoa/internal/web"
)

const testPassword = "mật khẩu thử nghiệm 2023"

// env is a running server over a seeded database, with a token for each role.
type env struct {
	t   testing.TB
	srv *httptest.Server
	// app is what app.Build made: web is its server, and the services below are its own.
	app                        *app.App
	web                        *web.Server
	accounts                   *accounts.Service
	units                      *units.Service
	orgs                       *orgs.Service
	training                   *training.Service
	outreach                   *outreach.Service
	sys                        context.Context
	tokens                     map[string]string // role case → token
	users                      map[string]int64
	orgIDs                     map[string]int64
	baToCommune, sonTayCommune string
	// haNoiCommune lies in the second province of the environment (Hà Nội, two of its districts),
	// whose administrator is the role province_admin_hanoi.
	haNoiCommune string
	seq          int
	// splits are split communes not yet handed out by splitCommune.
	splits []string
	// cer is the ceremony the matrix cases share (see ceremony_api_test.go).
	cer ceremonyFixture
	// reports is the reports service (see reports_api_test.go).
	reports *reports.Service
}

// newEnv is the test deployment of two provinces: Quảng Ngãi and part of Hà Nội, with a token for
// every role of the matrices.
func newEnv(t testing.TB, d *db.DB) *env { t.Helper(); return newEnvOf(t, d, true) }

// newQuangNgaiEnv is a single-province deployment, as a fresh `lantoa serve` makes: Quảng Ngãi
// only, whose portal is "/". It has newEnv's services, organisations and roles, without Hà Nội
// (and without Hà Nội's administrator).
func newQuangNgaiEnv(t testing.TB, d *db.DB) *env { t.Helper(); return newEnvOf(t, d, false) }

func newEnvOf(t testing.TB, d *db.DB, haNoi bool) *env {
	t.Helper()
	a := build(t, app.BuildConfig{DB: d})
	e := &env{t: t, app: a, web: a.Web, accounts: a.Accounts, units: a.Units, orgs: a.Orgs, training: a.Training, outreach: a.Outreach, reports: a.Reports,
		sys: authz.WithActor(context.Background(), authz.System), tokens: map[string]string{}, users: map[string]int64{}, orgIDs: map[string]int64{}}
	if haNoi {
		if _, err := e.units.Import(e.sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01", "001", "002"))); err != nil {
			t.Fatal(err)
		}
	}
	e.startCampaign()
	e.srv = httptest.NewServer(e.web)
	t.Cleanup(e.srv.Close)
	bt, _ := e.units.List(e.sys, units.Filter{ParentCode: "535", Limit: 1})
	st, _ := e.units.List(e.sys, units.Filter{ParentCode: "530", Limit: 1})
	e.baToCommune, e.sonTayCommune = bt[0].Code, st[0].Code
	roles := map[string]accounts.NewUser{}
	if haNoi {
		hn, _ := e.units.List(e.sys, units.Filter{ParentCode: "001", Limit: 1})
		e.haNoiCommune = hn[0].Code
		e.orgIDs["thpt-hanoi"] = e.mustOrg(orgs.Org{Name: "Trường THPT Phan Đình Phùng", Kind: orgs.School, UnitCode: "001"}).ID
		roles["province_admin_hanoi"] = accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "01"}
	}
	tinhDoan := e.mustOrg(orgs.Org{Name: "Tỉnh đoàn Quảng Ngãi", Kind: orgs.Union, UnitCode: "51"})
	e.orgIDs["tinhdoan"] = tinhDoan.ID
	e.orgIDs["hd-bato"] = e.mustOrg(orgs.Org{Name: "Huyện đoàn Ba Tơ", Kind: orgs.Union, UnitCode: "535", ParentID: tinhDoan.ID}).ID
	e.orgIDs["thpt-sontay"] = e.mustOrg(orgs.Org{Name: "Trường THPT Sơn Tây", Kind: orgs.School, UnitCode: "530"}).ID
	for name, n := range map[string]accounts.NewUser{
		"province_admin":     {Role: authz.ProvinceAdmin, UnitCode: "51"},
		"unit_admin_bato":    {Role: authz.UnitAdmin, UnitCode: "535"},
		"unit_admin_sontay":  {Role: authz.UnitAdmin, UnitCode: "530"},
		"org_admin_tinhdoan": {Role: authz.OrgAdmin, OrgID: e.orgIDs["tinhdoan"]},
		"team_member":        {Role: authz.TeamMember, UnitCode: e.baToCommune},
		"bridge_operator":    {Role: authz.BridgeOperator, UnitCode: "535"},
		"learner":            {Role: authz.Learner, OrgID: e.orgIDs["hd-bato"]},
		"national_admin":     {Role: authz.NationalAdmin},
	} {
		roles[name] = n
	}
	// Sorted, so that user ids do not change from run to run.
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		n := roles[name]
		u := e.mustUser(strings.ReplaceAll(name, "_", "."), n)
		e.users[name] = u.ID
		tok, err := e.accounts.CreateToken(e.sys, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	return e
}

// build is the application as serve builds it (app.Build), on the test's database (cfg.DB), with
// the portals' figures counted afresh on every request and only errors logged; it closes when the
// test ends.
func build(t testing.TB, cfg app.BuildConfig) *app.App {
	t.Helper()
	cfg.FreshFigures = true
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func (e *env) mustOrg(o orgs.Org) orgs.Org {
	e.t.Helper()
	created, err := e.orgs.Create(e.sys, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

func (e *env) mustUser(username string, n accounts.NewUser) accounts.User {
	e.t.Helper()
	n.Username, n.Password = username, testPassword
	u, err := e.accounts.CreateUser(e.sys, n)
	if err != nil {
		e.t.Fatalf("create %s: %v", username, err)
	}
	return u
}

// fresh makes a new user for one case, so that cases do not depend on each other's changes.
func (e *env) fresh(n accounts.NewUser) accounts.User {
	e.seq++
	return e.mustUser(fmt.Sprintf("fresh.%d", e.seq), n)
}

func (e *env) do(method, path, token, contentType, body string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *env) json(method, path, token string, body any, out any) int {
	e.t.Helper()
	var s string
	if body != nil {
		b, _ := json.Marshal(body)
		s = string(b)
	}
	resp, b := e.do(method, path, token, "application/json", s)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

type listed struct {
	Items []struct {
		ID       int64    `json:"id"`
		Username string   `json:"username"`
		Roles    []string `json:"roles"`
		Grants   []struct {
			Role     string `json:"role"`
			UnitCode string `json:"unit_code"`
			OrgID    int64  `json:"org_id"`
		} `json:"grants"`
		Code       string `json:"code"`
		Level      string `json:"level"`
		ParentCode string `json:"parent_code"`
	} `json:"items"`
}

func TestPublicUnitsAPI(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Quảng Ngãi (1 + 13 + 173) and the environment's part of Hà Nội (1 + 2 + 32).
		for level, want := range map[string]int{"province": 2, "district": 15, "commune": 205} {
			var got listed
			if code := e.json("GET", "/api/v1/units?level="+level, "", nil, &got); code != 200 || len(got.Items) != want {
				t.Errorf("level %s: %d items, status %d", level, len(got.Items), code)
			}
		}
		var got listed
		e.json("GET", "/api/v1/units?q=ba%20to", "", nil, &got)
		found := false
		for _, it := range got.Items {
			found = found || (it.Code == "535" && it.Level == "district" && it.ParentCode == "51")
		}
		if !found {
			t.Errorf("q=ba to did not find 535: %+v", got.Items)
		}
		for _, bad := range []string{"/api/v1/units?level=planet", "/api/v1/units?limit=-1", "/api/v1/units?q=" + strings.Repeat("a", 200)} {
			if code := e.json("GET", bad, "", nil, nil); code != http.StatusUnprocessableEntity {
				t.Errorf("GET %s = %d", bad, code)
			}
		}
		if code := e.json("GET", "/api/v1/units/99999", "", nil, nil); code != 404 {
			t.Errorf("unknown unit = %d", code)
		}
	})
}

func TestUserScopeContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		baTo := e.tokens["unit_admin_bato"]
		// A Ba Tơ administrator cannot create an administrator for Sơn Tây.
		code := e.json("POST", "/api/v1/users", baTo, map[string]any{"username": "ubnd.sontay.2", "password": testPassword, "role": "unit_admin", "unit_code": "530"}, nil)
		if code != http.StatusForbidden {
			t.Errorf("Ba Tơ admin creating a Sơn Tây admin: %d, want 403", code)
		}
		// …but can for one of Ba Tơ's communes.
		var created struct {
			ID    int64    `json:"id"`
			Roles []string `json:"roles"`
		}
		code = e.json("POST", "/api/v1/users", baTo, map[string]any{"username": "ubnd.xa.1", "password": testPassword, "role": "unit_admin", "unit_code": e.baToCommune}, &created)
		if code != http.StatusCreated || created.ID == 0 || len(created.Roles) != 1 || created.Roles[0] != "unit_admin" {
			t.Errorf("create commune admin: %d %+v", code, created)
		}
		// The listing holds nobody outside Ba Tơ.
		var list listed
		if code := e.json("GET", "/api/v1/users", baTo, nil, &list); code != 200 || len(list.Items) == 0 {
			t.Fatalf("list: %d", code)
		}
		baToCommunes, _ := e.units.List(e.sys, units.Filter{Under: "/51/535/"})
		inBaTo := map[string]bool{}
		for _, u := range baToCommunes {
			inBaTo[u.Code] = true
		}
		for _, u := range list.Items {
			ok := false
			for _, g := range u.Grants {
				ok = ok || inBaTo[g.UnitCode] || g.OrgID == e.orgIDs["hd-bato"]
			}
			if !ok {
				t.Errorf("Ba Tơ admin sees %s with grants %+v", u.Username, u.Grants)
			}
			if u.Username == "province.admin" || u.Username == "unit.admin.sontay" {
				t.Errorf("Ba Tơ admin sees %s", u.Username)
			}
		}
		// Filters: role and unit; the province sees every team member.
		e.json("GET", "/api/v1/users?role=team_member", e.tokens["province_admin"], nil, &list)
		if len(list.Items) != 1 || list.Items[0].Username != "team.member" {
			t.Errorf("role filter: %+v", list.Items)
		}
		e.json("GET", "/api/v1/users?unit=530", e.tokens["province_admin"], nil, &list)
		for _, u := range list.Items {
			if u.Username != "unit.admin.sontay" {
				t.Errorf("unit=530 lists %s", u.Username)
			}
		}
		// A Sơn Tây filter from Ba Tơ's administrator is empty, not a leak.
		e.json("GET", "/api/v1/users?unit=530", baTo, nil, &list)
		if len(list.Items) != 0 {
			t.Errorf("Ba Tơ admin filtering Sơn Tây sees %d users", len(list.Items))
		}
		// The org coordinator sees the org subtree's people and nobody else.
		e.json("GET", "/api/v1/users", e.tokens["org_admin_tinhdoan"], nil, &list)
		for _, u := range list.Items {
			if u.Username != "org.admin.tinhdoan" && u.Username != "learner" {
				t.Errorf("Tỉnh đoàn coordinator sees %s", u.Username)
			}
		}
		// Bad input.
		for _, body := range []string{`{"username":"x"`, `{"username":"ab","password":"short","role":"unit_admin","unit_code":"535"}`,
			`{"username":"okname","password":"` + testPassword + `","role":"emperor","unit_code":"535"}`,
			`{"username":"okname","password":"` + testPassword + `","role":"unit_admin","unit_code":"535","extra":1}`,
			`{"username":"okname","password":"` + testPassword + `","role":"unit_admin","org_id":1}`,
			`{"username":"okname","password":"` + strings.Repeat("x", 300) + `","role":"unit_admin","unit_code":"535"}`,
			`{"username":"` + strings.Repeat("a", 70) + `","password":"` + testPassword + `","role":"unit_admin","unit_code":"535"}`} {
			resp, b := e.do("POST", "/api/v1/users", e.tokens["province_admin"], "application/json", body)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("body %.60s: %d %s", body, resp.StatusCode, b)
			}
			var apiErr struct {
				Error struct{ Message string } `json:"error"`
			}
			json.Unmarshal(b, &apiErr)
			if apiErr.Error.Message == "" || strings.Contains(apiErr.Error.Message, "%!") {
				t.Errorf("no clean Vietnamese message for %.40s: %s", body, b)
			}
		}
		big := `{"username":"` + strings.Repeat("a", 2<<20) + `"}`
		if resp, _ := e.do("POST", "/api/v1/users", e.tokens["province_admin"], "application/json", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MB body: %d", resp.StatusCode)
		}
		// Duplicate username.
		if code := e.json("POST", "/api/v1/users", e.tokens["province_admin"], map[string]any{"username": "ubnd.xa.1", "password": testPassword, "role": "learner", "unit_code": "535"}, nil); code != http.StatusConflict {
			t.Errorf("duplicate username: %d", code)
		}
	})
}
