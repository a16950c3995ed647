package orgs_test

import (
	"context"
	"testing"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func rolledTo(t *testing.T, d *db.DB, path string) string {
	t.Helper()
	var to string
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT current_path FROM org_rollup WHERE path = ?", path).Scan(&to); err != nil {
		return ""
	}
	return to
}

// Sở TT&TT merges into Sở Khoa học và Công nghệ from 1 March 2025: it is retired the day before,
// names its successor, rolls up into it (with what had rolled into it before), leaves the
// listings in force and is audited. Bad input is refused with nothing changed.
func TestMergeOrganisations(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys := authz.WithActor(context.Background(), authz.System)
		if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
			t.Fatal(err)
		}
		s := orgs.NewService(d)
		mk := func(name string, parent int64) orgs.Org {
			o, err := s.Create(sys, orgs.Org{Name: name, Kind: orgs.Department, UnitCode: "51", ParentID: parent})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		tttt := mk("Sở Thông tin và Truyền thông", 0)
		khcn := mk("Sở Khoa học và Công nghệ", 0)
		center := mk("Trung tâm Công nghệ thông tin và Truyền thông", tttt.ID)
		other := mk("Sở Giáo dục và Đào tạo", 0)
		bato, err := s.Create(sys, orgs.Org{Name: "Trường THCS Ba Tơ", Kind: orgs.School, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}

		// Refusals, each changing nothing.
		unitAdmin := authz.WithActor(context.Background(), &authz.Actor{UserID: 9, Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitPath: "/51/535/"}}})
		hanoi := authz.WithActor(context.Background(), &authz.Actor{UserID: 10, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitPath: "/01/"}}})
		for _, c := range []struct {
			name       string
			ctx        context.Context
			id, into   int64
			effective  string
			kind       apperr.Kind
			key, field string
		}{
			{"with a sub-organisation in force", sys, tttt.ID, khcn.ID, "2025-03-01", apperr.Invalid, "orgs.error.merge_children", "org_id"},
			{"into itself", sys, khcn.ID, khcn.ID, "2025-03-01", apperr.Invalid, "orgs.error.successor_cycle", "successor_id"},
			{"into its own sub-organisation", sys, tttt.ID, center.ID, "2025-03-01", apperr.Invalid, "orgs.error.successor_cycle", "successor_id"},
			{"into an unknown organisation", sys, center.ID, 99999, "2025-03-01", apperr.Invalid, "orgs.error.successor_missing", "successor_id"},
			{"a bad date", sys, center.ID, khcn.ID, "01/03/2025", apperr.Invalid, "orgs.error.date", "effective"},
			{"an impossible date", sys, center.ID, khcn.ID, "2025-02-30", apperr.Invalid, "orgs.error.date", "effective"},
			{"a unit administrator", unitAdmin, center.ID, khcn.ID, "2025-03-01", apperr.Forbidden, "orgs.error.merge_forbidden", ""},
			{"another province's administrator", hanoi, center.ID, khcn.ID, "2025-03-01", apperr.NotFound, "orgs.error.not_found", ""},
			{"an unknown organisation", sys, 99999, khcn.ID, "2025-03-01", apperr.NotFound, "orgs.error.not_found", ""},
		} {
			_, err := s.Merge(c.ctx, c.id, c.into, c.effective)
			e := apperr.As(err)
			if e == nil || e.Kind != c.kind || e.Key != c.key || e.Field != c.field {
				t.Errorf("%s: %v (%+v)", c.name, err, e)
			}
		}
		if rolledTo(t, d, tttt.Path) != "" || rolledTo(t, d, center.Path) != "" {
			t.Fatal("a refused merger rolled something up")
		}

		// The centre first (into the successor), then the department.
		if _, err := s.Merge(sys, center.ID, khcn.ID, "2025-03-01"); err != nil {
			t.Fatal(err)
		}
		res, err := s.Merge(sys, tttt.ID, khcn.ID, "2025-03-01")
		if err != nil {
			t.Fatal(err)
		}
		if res.Org.ValidTo != "2025-02-28" || res.Org.SuccessorID != khcn.ID || !res.Org.Retired() || res.Successor.ID != khcn.ID || res.RolledUp != 1 {
			t.Errorf("merge result %+v", res)
		}
		if rolledTo(t, d, tttt.Path) != khcn.Path || rolledTo(t, d, center.Path) != khcn.Path {
			t.Errorf("roll-up: %q %q", rolledTo(t, d, tttt.Path), rolledTo(t, d, center.Path))
		}
		if _, err := s.Merge(sys, tttt.ID, other.ID, "2025-04-01"); apperr.As(err) == nil || apperr.As(err).Key != "orgs.error.retired" {
			t.Errorf("merging a retired organisation again: %v", err)
		}
		if _, err := s.Merge(sys, bato.ID, tttt.ID, "2025-04-01"); apperr.As(err) == nil || apperr.As(err).Key != "orgs.error.retired" {
			t.Errorf("merging into a retired organisation: %v", err)
		}
		if _, err := s.Create(sys, orgs.Org{Name: "Phòng mới", Kind: orgs.Department, ParentID: tttt.ID}); apperr.As(err) == nil || apperr.As(err).Key != "orgs.error.retired" {
			t.Errorf("a sub-organisation of a retired one: %v", err)
		}
		// A later merger of the successor carries the earlier ones along.
		if _, err := s.Merge(sys, khcn.ID, other.ID, "2026-01-01"); err != nil {
			t.Fatal(err)
		}
		if rolledTo(t, d, tttt.Path) != other.Path || rolledTo(t, d, khcn.Path) != other.Path {
			t.Errorf("chained roll-up: %q %q", rolledTo(t, d, tttt.Path), rolledTo(t, d, khcn.Path))
		}
		// Listings show organisations in force unless asked.
		list, _ := s.List(sys, orgs.Filter{UnitPath: "/51/"})
		all, _ := s.List(sys, orgs.Filter{UnitPath: "/51/", IncludeRetired: true})
		if len(list) != 2 || len(all) != 5 {
			t.Errorf("in force %d, with the merged %d", len(list), len(all))
		}
		entries, err := audit.List(sys, d.Reader(), audit.Filter{Action: "org.merge"})
		if err != nil || len(entries) != 3 {
			t.Errorf("audit entries %d %v", len(entries), err)
		}
	})
}
