package units_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func seeded(t *testing.T, d *db.DB) (*units.Service, context.Context) {
	t.Helper()
	s := units.NewService(d)
	ctx := authz.WithActor(context.Background(), authz.System)
	if ok, err := s.SeedQuangNgai(ctx); err != nil || !ok {
		t.Fatalf("seed: %v %v", ok, err)
	}
	return s, ctx
}

func TestSeedCounts(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		for level, want := range map[units.Level]int{units.Province: 1, units.District: 13, units.Commune: 173} {
			n, err := s.Count(ctx, units.Filter{Level: level})
			if err != nil || n != want {
				t.Errorf("count %s = %d, %v; want %d", level, n, err, want)
			}
		}
		lySon, err := s.Find(ctx, "536")
		if err != nil || lySon.ChildCount != 0 || lySon.Type != "huyen" {
			t.Errorf("Lý Sơn = %+v, %v", lySon, err)
		}
		baTo, _ := s.Find(ctx, "535")
		if baTo.ChildCount != 19 || baTo.Path != "/51/535/" {
			t.Errorf("Ba Tơ = %+v", baTo)
		}
		again, err := s.SeedQuangNgai(ctx)
		if err != nil || again {
			t.Errorf("second seed loaded again: %v %v", again, err)
		}
	})
}

func TestSearchIgnoresAccentsAndToneStyle(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		cases := []struct {
			q    string
			want string
		}{
			{"ba to", "535"},
			{"duc pho", "534"},
			{"Đức Phổ", "534"},
		}
		for _, c := range cases {
			got, err := s.List(ctx, units.Filter{Query: c.q})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, u := range got {
				found = found || u.Code == c.want
			}
			if !found {
				t.Errorf("search %q did not find %s (got %d)", c.q, c.want, len(got))
			}
		}
		// Both tone-mark styles find the same names.
		a, _ := s.List(ctx, units.Filter{Query: "Hòa"})
		b, _ := s.List(ctx, units.Filter{Query: "Hoà"})
		if len(a) == 0 || len(a) != len(b) {
			t.Errorf("Hòa found %d, Hoà found %d", len(a), len(b))
		}
		under, _ := s.List(ctx, units.Filter{Under: "/51/535/", Level: units.Commune})
		if len(under) != 19 {
			t.Errorf("Ba Tơ communes = %d", len(under))
		}
	})
}

func TestImportRejectsWholeFileOnBadRow(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		before, _ := s.Count(ctx, units.Filter{IncludeRetired: true})
		bad := "code,name,level,parent_code\n" +
			"99,Tỉnh Thử,province,\n" +
			"991,Huyện Thử,district,99\n" +
			"99x1,Xã Sai Mã,commune,991\n" + // line 4: code not 5 digits
			"99112,,commune,991\n" + // line 5: no name
			"99113,Xã Mồ Côi,commune,777\n" // line 6: unknown parent
		_, err := s.Import(ctx, strings.NewReader(bad))
		ae := apperr.As(err)
		if ae.Kind != apperr.Invalid {
			t.Fatalf("err = %v", err)
		}
		lines := map[int]bool{}
		for _, det := range ae.Details {
			lines[det.Line] = true
		}
		if !lines[4] || !lines[5] {
			t.Errorf("bad lines reported = %v", lines)
		}
		after, _ := s.Count(ctx, units.Filter{IncludeRetired: true})
		if after != before {
			t.Errorf("units changed from %d to %d", before, after)
		}
		// Now a good file with a parent check that needs the second pass.
		if _, err := s.Import(ctx, strings.NewReader("code,name,level,parent_code\n99113,Xã Mồ Côi,commune,777\n")); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown parent accepted: %v", err)
		}
		for _, junk := range []string{"", "\xff\xfe", "a,b\n1,2\n", "code,name,level,parent_code\n\"unterminated,x,commune,535\n"} {
			if _, err := s.Import(ctx, strings.NewReader(junk)); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("import %q: %v", junk, err)
			}
		}
		res, err := s.Import(ctx, strings.NewReader("code,name,level,parent_code\n99,Tỉnh Thử,province,\n991,Huyện Thử,district,99\n"))
		if err != nil || res.Created != 2 {
			t.Fatalf("good import: %+v %v", res, err)
		}
	})
}

func TestImportRefusedToOthers(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	s := units.NewService(d)
	actor := &authz.Actor{UserID: 5, Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}}
	_, err := s.Import(authz.WithActor(context.Background(), actor), strings.NewReader("code,name,level,parent_code\n99,Tỉnh Thử,province,\n"))
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("unit admin imported a province: %v", err)
	}
	learner := &authz.Actor{UserID: 6, Grants: []authz.Grant{{Role: authz.Learner, UnitCode: "535", UnitPath: "/51/535/"}}}
	if _, err := s.Import(authz.WithActor(context.Background(), learner), strings.NewReader("code,name,level,parent_code\n")); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("learner imported: %v", err)
	}
}

func TestVillagesAndSuccessors(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := seeded(t, d)
		baTo := authz.WithActor(context.Background(), &authz.Actor{UserID: 7, Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}})
		communes, _ := s.List(sys, units.Filter{ParentCode: "535"})
		v, err := s.CreateVillage(baTo, units.Unit{Name: "Thôn Gò Da", ParentCode: communes[0].Code})
		if err != nil {
			t.Fatal(err)
		}
		if v.Level != units.Village || v.Type != "thon" || !strings.HasPrefix(v.Path, communes[0].Path) {
			t.Errorf("village = %+v", v)
		}
		sonTay, _ := s.List(sys, units.Filter{ParentCode: "530"})
		if _, err := s.CreateVillage(baTo, units.Unit{Name: "Thôn Lạ", ParentCode: sonTay[0].Code}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("Ba Tơ admin added a village in Sơn Tây: %v", err)
		}
		if _, err := s.CreateVillage(baTo, units.Unit{Name: strings.Repeat("x", 300), ParentCode: communes[0].Code}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("oversized name accepted: %v", err)
		}
		// The 2025 merger: Nghĩa An and Nghĩa Phú became xã An Phú (kept code 21262 in GSO); here we
		// merge one into the other and check that data of the retired one rolls up.
		if err := s.Retire(sys, "21253", "21262", "2025-01-01"); err != nil {
			t.Fatal(err)
		}
		cur, err := s.Current(sys, "21253")
		if err != nil || cur.Code != "21262" {
			t.Errorf("current of 21253 = %+v, %v", cur, err)
		}
		if n, _ := s.Count(sys, units.Filter{Level: units.Commune}); n != 172 {
			t.Errorf("communes in force = %d", n)
		}
		if err := s.Retire(baTo, "21262", "", "2025-01-01"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("unit admin retired a unit: %v", err)
		}
	})
}

func TestUnitAdminImportsOwnVillagesOnly(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := seeded(t, d)
		baTo := authz.WithActor(context.Background(), &authz.Actor{UserID: 7, Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}})
		communes, _ := s.List(sys, units.Filter{ParentCode: "535"})
		sonTay, _ := s.List(sys, units.Filter{ParentCode: "530"})
		c := communes[0].Code
		good := "code,name,level,parent_code\n" + c + "-01,Thôn 1,village," + c + "\n" + c + "-02,Thôn 2,village," + c + "\n"
		res, err := s.Import(baTo, strings.NewReader(good))
		if err != nil || res.Created != 2 {
			t.Fatalf("village import: %+v %v", res, err)
		}
		bad := "code,name,level,parent_code\n" + c + "-03,Thôn 3,village," + c + "\n" +
			sonTay[0].Code + "-01,Thôn Lạ,village," + sonTay[0].Code + "\n" + // line 3: another district
			"99,Tỉnh Thử,province,\n" // line 4: not a village
		_, err = s.Import(baTo, strings.NewReader(bad))
		ae := apperr.As(err)
		lines := map[int]bool{}
		for _, det := range ae.Details {
			lines[det.Line] = true
		}
		if ae.Kind != apperr.Invalid || !lines[3] || !lines[4] || lines[2] {
			t.Errorf("scope errors: %v %v", err, lines)
		}
		if v, _ := s.List(sys, units.Filter{ParentCode: c}); len(v) != 2 {
			t.Errorf("villages after refused import: %d", len(v))
		}
	})
}

// The province is a tenant: a province administrator imports and retires units in their own
// province only, only the command line adds a province, and nobody renames one.
func TestProvinceBoundaryOfTheTree(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, sys := seeded(t, d)
		haNoiCSV := units.ProvinceCSV(units.Vietnam2023CSV(), "01")
		res, err := s.Import(sys, strings.NewReader(string(haNoiCSV)))
		if err != nil || res.Created != 1+30+579 {
			t.Fatalf("import Hà Nội: %+v %v", res, err)
		}
		qng := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
		hn := authz.WithActor(context.Background(), &authz.Actor{UserID: 2, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "01", UnitPath: "/01/"}}})
		nat := authz.WithActor(context.Background(), &authz.Actor{UserID: 3, Grants: []authz.Grant{{Role: authz.NationalAdmin}}})

		// Quảng Ngãi's administrator loads its own units, the province row unchanged included.
		if _, err := s.Import(qng, strings.NewReader("code,name,level,parent_code\n51,Tỉnh Quảng Ngãi,province,\n535,Huyện Ba Tơ,district,51\n")); err != nil {
			t.Errorf("own province: %v", err)
		}
		bad := "code,name,level,parent_code\n" +
			"535,Huyện Ba Tơ,district,51\n" + // line 2: its own, fine
			"00001,Phường Phúc Xá Mới,commune,001\n" + // line 3: renames a Hà Nội commune
			"99998,Xã Lạ,commune,001\n" + // line 4: adds a commune under a Hà Nội district
			"98,Tỉnh Thử,province,\n" + // line 5: a new province
			"51,Tỉnh Quảng Ngãi Mới,province,\n" // line 6: renames its own province
		_, err = s.Import(qng, strings.NewReader(bad))
		lines := detailLines(err)
		if !apperr.Is(err, apperr.Invalid) || lines[2] || !lines[3] || !lines[4] || !lines[5] || !lines[6] {
			t.Errorf("cross-province import: %v, lines %v", err, lines)
		}
		// Hà Nội's administrator renames nothing of Quảng Ngãi's.
		_, err = s.Import(hn, strings.NewReader("code,name,level,parent_code\n535,Huyện Ba Tơ Đổi Tên,district,51\n"))
		if lines := detailLines(err); !lines[2] {
			t.Errorf("Hà Nội renaming Ba Tơ: %v", err)
		}
		if u, _ := s.Find(sys, "535"); u.Name != "Huyện Ba Tơ" {
			t.Errorf("Ba Tơ renamed to %q", u.Name)
		}
		// A unit cannot move to another province, not even from the command line.
		_, err = s.Import(sys, strings.NewReader("code,name,level,parent_code\n535,Huyện Ba Tơ,district,01\n"))
		if lines := detailLines(err); !lines[2] {
			t.Errorf("moving Ba Tơ under Hà Nội: %v", err)
		}
		// A national administrator changes no province's tree.
		if _, err := s.Import(nat, strings.NewReader("code,name,level,parent_code\n535,Huyện Ba Tơ,district,51\n")); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("national import: %v", err)
		}
		// Retiring: only the unit's own province, and a province only from the command line.
		if err := s.Retire(hn, "21253", "21262", "2025-01-01"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("Hà Nội retired a Quảng Ngãi commune: %v", err)
		}
		if err := s.Retire(qng, "51", "", "2025-07-01"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a province administrator retired the province: %v", err)
		}
		if err := s.Retire(qng, "21253", "21262", "2025-01-01"); err != nil {
			t.Errorf("Quảng Ngãi retiring its own commune: %v", err)
		}
		// Reading the whole country's file again changes nothing and adds the other 61 provinces.
		res, err = s.Import(sys, strings.NewReader(string(units.Vietnam2023CSV())))
		if err != nil || res.Created != 11366-187-610 {
			t.Errorf("national file: %+v %v", res, err)
		}
	})
}

func detailLines(err error) map[int]bool {
	lines := map[int]bool{}
	if err == nil {
		return lines
	}
	for _, d := range apperr.As(err).Details {
		lines[d.Line] = true
	}
	return lines
}
