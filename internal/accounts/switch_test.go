package accounts_test

import (
	"bytes"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func grantOf(t *testing.T, u accounts.User, role authz.Role) authz.Grant {
	t.Helper()
	for _, g := range u.Grants {
		if g.Role == role {
			return g
		}
	}
	t.Fatalf("%s has no %s grant: %+v", u.Username, role, u.Grants)
	return authz.Grant{}
}

// Across the switch to the map of 2025: a learner of Xã Nghĩa Dõng moves to Xã An Phú; a school of
// Nghĩa Dõng is located in An Phú and its people's grants follow; the administrator of Xã Nghĩa
// Dũng (2023) keeps a grant on that retired version, while code 21034 now names Xã An Phú, whose
// administrator (a commune directly under its province) can be appointed. A retired unit takes no
// new grant.
func TestGrantsAcrossTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		os := orgs.NewService(d)
		us := units.NewService(d)
		us.OnSwitch(os.FollowUnits)
		us.OnSwitch(s.FollowUnits)
		school, err := os.Create(sys, orgs.Org{Name: "Trường Tiểu học Nghĩa Dõng", Kind: orgs.School, UnitCode: "21037"})
		if err != nil {
			t.Fatal(err)
		}
		learner, err := s.CreateUser(sys, accounts.NewUser{Username: "hocvien.nghiadong", Password: pw, Role: authz.Learner, UnitCode: "21037"})
		if err != nil {
			t.Fatal(err)
		}
		pupil, err := s.CreateUser(sys, accounts.NewUser{Username: "hocsinh.nghiadong", Password: pw, Role: authz.Learner, OrgID: school.ID})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.nghiadung", Password: pw, Role: authz.UnitAdmin, UnitCode: "21034"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := us.SwitchMap(sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}
		reload := func(u accounts.User) accounts.User {
			t.Helper()
			got, err := s.FindUser(sys, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if g := grantOf(t, reload(learner), authz.Learner); g.UnitPath != "/51/21034/" || g.UnitCode != "21034" {
			t.Errorf("the learner's grant after the switch: %+v", g)
		}
		if o, _ := os.Find(sys, school.ID); o.UnitPath != "/51/21034/" || o.UnitCode != "21034" {
			t.Errorf("the school after the switch: %+v", o)
		}
		if g := grantOf(t, reload(pupil), authz.Learner); g.UnitPath != "/51/21034/" || g.OrgPath != school.Path {
			t.Errorf("the pupil's grant after the switch: %+v", g)
		}
		if g := grantOf(t, reload(admin), authz.UnitAdmin); g.UnitPath != "/51/522/21034/" {
			t.Errorf("the 2023 administrator's grant moved: %+v", g)
		}
		// An Phú's administrator: a commune directly under its province.
		anPhu, err := s.CreateUser(sys, accounts.NewUser{Username: "ubnd.anphu", Password: pw, Role: authz.UnitAdmin, UnitCode: "21034"})
		if err != nil {
			t.Fatal(err)
		}
		if g := grantOf(t, anPhu, authz.UnitAdmin); g.UnitPath != "/51/21034/" {
			t.Errorf("An Phú's administrator's grant: %+v", g)
		}
		// The 2023 administrator of Nghĩa Dũng can be appointed to An Phú too: the same code, another
		// unit version, so a second grant.
		both, err := s.AddGrant(sys, admin.ID, authz.UnitAdmin, "21034", 0)
		if err != nil {
			t.Fatalf("a grant on 2025's 21034 beside one on 2023's: %v", err)
		}
		if n := len(both.Grants); n != 2 {
			t.Errorf("grants of the administrator of both versions: %+v", both.Grants)
		}
		// The An Phú administrator sees the learner who moved to it.
		ctx := authz.WithActor(sys, &authz.Actor{UserID: anPhu.ID, Username: anPhu.Username, Grants: anPhu.Grants})
		if _, err := s.FindUser(ctx, learner.ID); err != nil {
			t.Errorf("An Phú's administrator cannot see its learner: %v", err)
		}
		// A district of 2023 takes no new grant.
		_, err = s.CreateUser(sys, accounts.NewUser{Username: "ubnd.tunghia", Password: pw, Role: authz.UnitAdmin, UnitCode: "522"})
		if e := apperr.As(err); e == nil || e.Key != "units.error.not_found" {
			t.Errorf("a grant on a retired district: %v", err)
		}
	})
}

// A merged organisation takes no new people.
func TestNoGrantOnAMergedOrganisation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := setup(t, d)
		os := orgs.NewService(d)
		old, _ := os.Create(sys, orgs.Org{Name: "Sở Thông tin và Truyền thông", Kind: orgs.Department, UnitCode: "51"})
		succ, _ := os.Create(sys, orgs.Org{Name: "Sở Khoa học và Công nghệ", Kind: orgs.Department, UnitCode: "51"})
		if _, err := os.Merge(sys, old.ID, succ.ID, "2025-03-01"); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateUser(sys, accounts.NewUser{Username: "qt.tttt", Password: pw, Role: authz.OrgAdmin, OrgID: old.ID})
		if e := apperr.As(err); e == nil || e.Key != "orgs.error.retired" || e.Field != "org_id" {
			t.Errorf("a grant on a merged organisation: %v", err)
		}
		if _, err := s.CreateUser(sys, accounts.NewUser{Username: "qt.khcn", Password: pw, Role: authz.OrgAdmin, OrgID: succ.ID}); err != nil {
			t.Errorf("a grant on the successor: %v", err)
		}
	})
}
