package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// openTest opens the services on a fresh SQLite database, closed when the test ends.
func openTest(t *testing.T) *Services {
	t.Helper()
	svc, err := open(context.Background(), filepath.Join(t.TempDir(), "l.db"), db.Options{Synchronous: "OFF"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Training.Close()
		svc.Outreach.Close()
		svc.DB.Close()
	})
	return svc
}

// TestPortalHeadlineFigures: the headline figures (citizens guided, learners passed,
// teams at work) are registered on the portal, and the map's districts come from the campaign.
func TestPortalHeadlineFigures(t *testing.T) {
	ctx := context.Background()
	svc := openTest(t)
	sys := audit.WithWho(authz.WithActor(ctx, authz.System), audit.Who{Username: "test"})
	keys := func() map[string]int64 {
		figs, err := portalFigures(svc).Collect(ctx, "51")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int64{}
		for _, f := range figs {
			m[f.Key] = f.Value
		}
		return m
	}
	got := keys()
	for _, k := range []string{"portal.figure.outreach.teams", "portal.figure.training.passed", "portal.figure.units.district"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no figure %s before a campaign: %v", k, got)
		}
	}
	if _, err := svc.Outreach.CreateCampaign(sys, outreach.Campaign{Name: "Ra quân", LaunchAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	team, err := svc.Outreach.CreateTeam(sys, outreach.Team{Name: "Tổ Ba Tơ", UnitCode: "535"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Outreach.CreateTeam(sys, outreach.Team{Name: "Tổ Sơn Tây", UnitCode: "530"}); err != nil {
		t.Fatal(err)
	}
	got = keys()
	if _, ok := got["portal.figure.outreach.citizens"]; !ok {
		t.Errorf("no citizens guided once there is a campaign: %v", got)
	}
	if got["portal.figure.outreach.teams"] != 0 {
		t.Errorf("teams without members counted as at work: %v", got["portal.figure.outreach.teams"])
	}
	if _, err := svc.Accounts.CreateUser(sys, accounts.NewUser{Username: "thanhvien.bato", Password: "mat-khau-thu-2023", Role: authz.TeamMember, UnitCode: "535"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Outreach.AddMember(sys, team.ID, "thanhvien.bato", false); err != nil {
		t.Fatal(err)
	}
	if got = keys(); got["portal.figure.outreach.teams"] != 1 {
		t.Errorf("teams at work: %v, want 1", got["portal.figure.outreach.teams"])
	}
	figs, err := PortalDistricts(svc.Outreach, svc.Units).DistrictFigures(ctx, "51")
	if err != nil || len(figs.Items) != 13 {
		t.Fatalf("districts: %d %v", len(figs.Items), err)
	}
	for _, f := range figs.Items {
		if !f.Measured || (f.Code == "535" && f.Target != 1) { // one member: the measure is members meeting the target of members
			t.Errorf("district %+v", f)
		}
	}
}

// TestPortalSourcesByProvince: every portal source answers for the province asked: a second
// province (Hà Nội) has its own districts, no campaign figures of Quảng Ngãi's, its own teams and
// units; "tỉnh Quảng Ngãi"'s figures are never the country's.
func TestPortalSourcesByProvince(t *testing.T) {
	ctx := context.Background()
	svc := openTest(t)
	sys := audit.WithWho(authz.WithActor(ctx, authz.System), audit.Who{Username: "test"})
	if _, err := svc.Units.Import(sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
		t.Fatal(err)
	}
	team, err := svc.Outreach.CreateTeam(sys, outreach.Team{Name: "Tổ Ba Tơ", UnitCode: "535"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Accounts.CreateUser(sys, accounts.NewUser{Username: "thanhvien.bato", Password: "mat-khau-thu-2023", Role: authz.TeamMember, UnitCode: "535"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Outreach.AddMember(sys, team.ID, "thanhvien.bato", false); err != nil {
		t.Fatal(err)
	}
	reg := portalFigures(svc)
	figs := map[string]map[string]int64{}
	for _, prov := range []string{"51", "01"} {
		list, err := reg.Collect(ctx, prov)
		if err != nil {
			t.Fatal(err)
		}
		figs[prov] = map[string]int64{}
		for _, f := range list {
			figs[prov][f.Key] = f.Value
		}
	}
	if figs["51"]["portal.figure.outreach.teams"] != 1 || figs["01"]["portal.figure.outreach.teams"] != 0 {
		t.Errorf("teams at work by province: %v", figs)
	}
	if figs["51"]["portal.figure.users.team_member"] != 1 || figs["01"]["portal.figure.users.team_member"] != 0 {
		t.Errorf("team members by province: %v", figs)
	}
	if figs["51"]["portal.figure.units.district"] != 13 || figs["01"]["portal.figure.units.district"] != 30 {
		t.Errorf("districts by province: %v", figs)
	}
	hn, err := PortalDistricts(svc.Outreach, svc.Units).DistrictFigures(ctx, "01")
	if err != nil || len(hn.Items) != 30 {
		t.Fatalf("Hà Nội's districts: %d %v", len(hn.Items), err)
	}
	for _, f := range hn.Items {
		u, err := svc.Units.Find(ctx, f.Code)
		if err != nil || !strings.HasPrefix(u.Path, "/01/") || f.Name != u.Name || f.Measured {
			t.Errorf("Hà Nội's map holds %+v (%v)", f, err)
		}
	}
}

// TestPortalHostFlag: --portal-host HOST=CODE (repeatable) and LANTOA_PORTAL_HOSTS (a comma list)
// map host names to provinces; a malformed mapping is a usage error, and a code that names no
// province stops the server at start with a clear message.
func TestPortalHostFlag(t *testing.T) {
	h := portalHosts{}
	if err := h.Set("ChuyenDoiSo.QuangNgai.gov.vn=51, cds.hanoi.gov.vn:8443=01"); err != nil {
		t.Fatal(err)
	}
	if err := h.Set("chuyendoiso.quangngai.gov.vn.=51"); err != nil {
		t.Errorf("the same mapping again: %v", err)
	}
	if len(h) != 2 || h["chuyendoiso.quangngai.gov.vn"] != "51" || h["cds.hanoi.gov.vn"] != "01" {
		t.Errorf("mappings %v", h)
	}
	for _, bad := range []string{"chuyendoiso.quangngai.gov.vn", "=51", "host=", "a/b=51", "chuyendoiso.quangngai.gov.vn=01"} {
		if err := h.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--portal-host", "cds.example.vn=99"}, "", "99"},
		{nil, "cds.example.vn=51,cds2.example.vn=98", "98"},
		{[]string{"--portal-host", "khong-dung-dang"}, "", "HOST=PROVINCE-CODE"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"serve", "--db", filepath.Join(t.TempDir(), "l.db"), "--addr", "127.0.0.1:0", "--log-level", "error"}, c.args...)
		code := Main(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
			if k == "LANTOA_PORTAL_HOSTS" {
				return c.env
			}
			return ""
		}})
		if code == 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v %q: exit %d, %s", c.args, c.env, code, errOut.String())
		}
	}
}
