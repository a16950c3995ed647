package reports_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// The dashboards take a child's figures from its provider's ChildFields, computed once for every
// child: each must be what the provider's Fields answers for that child, on the map of 2023 (a
// province's districts, a district's communes) and on the map of 2025 (the province's 96
// communes), with grants still on the 2023 units that roll up (no switch hook) and after they
// moved, and after a split unit was assigned.
func TestChildFieldsAreTheChildrensFields(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		setup(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		us := units.NewService(d)
		// Villages in communes that merge (Nghĩa Dõng, Nghĩa Dũng into An Phú), that split (Trà
		// Bùi) and that stay whole.
		places := []string{"535"}
		for _, c := range []string{"21037", "21034", "21142", "21049", "21205"} {
			for v := range 2 {
				u, err := us.CreateVillage(sys, units.Unit{Name: fmt.Sprintf("Thôn %d", v+1), ParentCode: c})
				if err != nil {
					t.Fatal(err)
				}
				places = append(places, u.Code)
			}
			places = append(places, c)
		}
		var members []outreach.GenMember
		now := db.Millis(time.Now())
		err := d.WriteTx(sys, func(tx *db.Tx) error {
			for i := range 90 {
				id, err := tx.InsertID(sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
					VALUES (?, ?, '', ?, '!', 0, ?, ?) RETURNING id`, fmt.Sprintf("tv.%d", i), fmt.Sprintf("Thành viên %d", i), fmt.Sprintf("tv %d", i), now, now)
				if err != nil {
					return err
				}
				members = append(members, outreach.GenMember{UserID: id, UnitCode: places[i%len(places)]})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out := outreach.NewService(d, accounts.NewService(d))
		defer out.Close()
		if err := out.SeedSkills(sys); err != nil {
			t.Fatal(err)
		}
		if _, err := outreach.Generate(context.Background(), d, outreach.GenSpec{Seed: 5, Members: members, Records: 4000, Province: "51",
			Launch: time.Date(2023, 7, 28, 1, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteTx(sys, func(tx *db.Tx) error {
			_, err := tx.ExecContext(sys, "UPDATE users SET disabled = 1 WHERE username IN ('tv.3', 'tv.17')")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		acc := accounts.NewService(d)
		for i, c := range []string{"21034", "21037", "21205"} {
			if _, err := acc.CreateUser(sys, accounts.NewUser{Username: fmt.Sprintf("ubnd.%d", i), Password: "mật khẩu thử nghiệm 2023", Role: authz.UnitAdmin, UnitCode: c}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []string{"21037", "21142", "535"} {
			if _, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THCS " + c, Kind: orgs.School, UnitCode: c}); err != nil {
				t.Fatal(err)
			}
		}
		cer := ceremony.NewService(d, us, events.New(d, nil))
		qng, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động", StartsAt: time.Now().Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cer.GeneratePoints(sys, qng.ID); err != nil {
			t.Fatal(err)
		}
		asOf := time.Now().Add(time.Hour)
		// mayDefer names a section that may leave the children to Fields (a nil answer): the
		// ceremony's, while its points lie on the 2023 units.
		same := func(stage, parent string, wantChildren int, mayDefer string) {
			t.Helper()
			// A service of its own for each stage: outreach keeps unit lookups for 10 s, and the
			// map switch of this test runs without outreach's hook, which would drop them.
			fresh := outreach.NewService(d, accounts.NewService(d))
			defer fresh.Close()
			providers := []reports.ChildrenProvider{reports.NewFoundationProvider(d), reports.OutreachProvider{Svc: fresh},
				reports.CeremonyProvider{Svc: ceremony.NewService(d, units.NewService(d), events.New(d, nil)), Units: units.NewService(d)}}
			children, err := us.List(sys, units.Filter{ParentPath: parent})
			if err != nil || len(children) != wantChildren {
				t.Fatalf("%s: %d children of %s, want %d (%v)", stage, len(children), parent, wantChildren, err)
			}
			for _, p := range providers {
				all, err := p.ChildFields(context.Background(), parent, asOf)
				if err != nil {
					t.Fatalf("%s: %s ChildFields(%s): %v", stage, p.Section(), parent, err)
				}
				if all == nil && p.Section() == mayDefer {
					continue
				}
				if len(all) != len(children) {
					t.Errorf("%s: %s ChildFields(%s) has %d children, want %d", stage, p.Section(), parent, len(all), len(children))
				}
				nonzero := 0
				for _, c := range children {
					want, err := p.Fields(context.Background(), c.Path, asOf)
					if err != nil {
						t.Fatal(err)
					}
					got, ok := all[c.Path]
					if !ok {
						continue
					}
					if a, b := asMap(got), asMap(want); a != b {
						t.Errorf("%s: %s of %s (%s):\n one pass %s\n  by unit %s", stage, p.Section(), c.Path, c.Name, a, b)
					}
					for _, f := range want {
						if f.Value != 0 {
							nonzero++
						}
					}
				}
				if nonzero == 0 {
					t.Errorf("%s: %s has nothing to compare under %s", stage, p.Section(), parent)
				}
			}
		}
		same("2023, province", "/51/", 13, "")
		same("2023, Tư Nghĩa", "/51/522/", 23, "")
		switchTo2025(t, d)
		same("2025, grants and points on 2023 units", "/51/", 96, "ceremony")
		if err := d.WriteTx(sys, func(tx *db.Tx) error { return out.FollowSwitch(sys, tx) }); err != nil {
			t.Fatal(err)
		}
		if _, err := cer.GeneratePoints(sys, qng.ID); err != nil {
			t.Fatal(err)
		}
		same("2025, grants moved, points regenerated", "/51/", 96, "")
		if err := us.AssignSplit(sys, "/51/525/21142/", "21157"); err != nil {
			t.Fatal(err)
		}
		same("2025, split assigned", "/51/", 96, "")
	})
}

// asMap writes fields as key=value/target in key order, for comparing two answers whose lists of
// skills may order ties differently.
func asMap(fields []reports.Field) string {
	m := map[string]string{}
	var keys []string
	for _, f := range fields {
		m[f.Key] = fmt.Sprintf("%v/%v", f.Value, f.Target)
		keys = append(keys, f.Key)
	}
	slices.Sort(keys)
	s := ""
	for _, k := range keys {
		s += k + "=" + m[k] + " "
	}
	return s
}
