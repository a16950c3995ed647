package units_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func countRows(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rollupOf(t *testing.T, d *db.DB, path string) string {
	t.Helper()
	var to string
	err := d.Reader().QueryRowContext(context.Background(), "SELECT current_path FROM unit_rollup WHERE path = ?", path).Scan(&to)
	if err != nil {
		return ""
	}
	return to
}

// The plan's 2023 Quảng Ngãi switched to the map of 1 July 2025 with the shipped files.
func TestSwitchQuangNgaiTo2025(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		res, err := s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01")
		if err != nil {
			t.Fatalf("switch: %v", err)
		}
		// 1 province kept, 33 new provinces and 3,321 new communes; 13 districts and 173 communes retired.
		if res.Updated != 1 || res.Created != 33+3321 || res.Retired != 13+173 || res.Lineage != 277 || res.LineageOnly != 102 {
			t.Errorf("result = %+v", res)
		}
		if len(res.Splits) != 1 || res.Splits[0] != "/51/525/21142/" {
			t.Errorf("splits = %v, want Trà Bùi", res.Splits)
		}
		communes, _ := s.List(ctx, units.Filter{Level: units.Commune, ParentCode: "51"})
		if len(communes) != 96 {
			t.Errorf("communes of 51 = %d, want 96", len(communes))
		}
		children, _ := s.List(ctx, units.Filter{ParentCode: "51"})
		for _, c := range children {
			if c.Level == units.District {
				t.Errorf("district %s still in force", c.Code)
			}
		}
		if len(children) != 96 {
			t.Errorf("children of 51 = %d", len(children))
		}
		all, _ := s.List(ctx, units.Filter{Level: units.Commune, ParentCode: "51", IncludeRetired: true})
		if len(all) != 96+173 {
			t.Errorf("communes of 51 with the retired = %d, want 269", len(all))
		}
		districts, _ := s.List(ctx, units.Filter{Level: units.District, ParentCode: "51", IncludeRetired: true})
		if len(districts) != 13 {
			t.Errorf("retired districts = %d", len(districts))
		}
		// A reused code names today's unit; the 2023 version is still there by its path.
		anPhu, err := s.Find(ctx, "21034")
		if err != nil || anPhu.Name != "Xã An Phú" || anPhu.Path != "/51/21034/" || anPhu.ValidFrom != "2025-07-01" {
			t.Errorf("21034 = %+v, %v", anPhu, err)
		}
		nghiaDung, err := s.FindPath(ctx, "/51/522/21034/")
		if err != nil || nghiaDung.Name != "Xã Nghĩa Dũng" || nghiaDung.ValidTo != "2025-06-30" {
			t.Errorf("2023 version of 21034 = %+v, %v", nghiaDung, err)
		}
		// Roll-ups: a merged commune into its successor, Huyện Lý Sơn into the đặc khu, a split
		// commune nowhere.
		for from, to := range map[string]string{
			"/51/522/21037/": "/51/21034/",
			"/51/522/21034/": "/51/21034/",
			"/51/536/":       "/51/21548/",
			"/51/525/21142/": "",
		} {
			if got := rollupOf(t, d, from); got != to {
				t.Errorf("roll-up of %s = %q, want %q", from, got, to)
			}
		}
		if ts, _ := s.FindPath(ctx, "/51/528/"); ts.ValidTo != "2025-06-30" {
			t.Errorf("Tư Nghĩa = %+v", ts)
		}
		// The switch is recorded once.
		var n int
		d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'unit.switch'").Scan(&n)
		if n != 1 {
			t.Errorf("audit entries = %d", n)
		}
	})
}

func details(t *testing.T, err error) []apperr.Detail {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an apperr", err)
	}
	return e.Details
}

func TestSwitchRefusesBadLineageWhole(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		before := countRows(t, d, "units")
		lineage := string(units.QuangNgaiLineage2025CSV()) +
			"99999,Xã Không Có,21037,Xã Nghĩa Dõng,51\n" + // new code absent from the units file
			"21034,Xã An Phú,21999,Xã Không Có,51\n" // old code unknown in a province the database holds
		_, err := s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), strings.NewReader(lineage), "2025-07-01")
		ds := details(t, err)
		lines := map[int]string{}
		for _, x := range ds {
			lines[x.Line] = x.Key
		}
		if lines[279] != "units.error.lineage_new_missing" || lines[280] != "units.error.lineage_old_missing" || len(ds) != 2 {
			t.Errorf("details = %+v", ds)
		}
		if after := countRows(t, d, "units"); after != before || countRows(t, d, "unit_lineage") != 0 {
			t.Errorf("units %d → %d: something changed", before, after)
		}

		// No lineage at all, into a database that holds 2023 Quảng Ngãi.
		_, err = s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), nil, "2025-07-01")
		var e *apperr.Error
		if !errors.As(err, &e) || e.Key != "units.error.switch_needs_lineage" {
			t.Errorf("without lineage: %v", err)
		}
		// The plain import of the 2025 map says the same.
		_, err = s.Import(ctx, bytes.NewReader(units.Vietnam2025CSV()))
		if !errors.As(err, &e) || e.Key != "units.error.switch_needs_lineage" || e.Args[0] != "51" {
			t.Errorf("plain import: %v", err)
		}
		if after := countRows(t, d, "units"); after != before {
			t.Errorf("units %d → %d after refusals", before, after)
		}
	})
}

func TestSwitchRefusesCycle(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		// The 2023 map without Xã Nghĩa Dõng, which went into Nghĩa Dũng; Thị trấn Châu Ổ (21040) is named a
		// predecessor too but stays in force.
		var file strings.Builder
		for _, line := range strings.Split(string(units.QuangNgai2023CSV()), "\n") {
			if !strings.HasPrefix(line, "21037,") {
				file.WriteString(line + "\n")
			}
		}
		lineage := "new_code,new_name,old_code,old_name,old_province_code\n" +
			"21034,Xã Nghĩa Dũng,21037,Xã Nghĩa Dõng,51\n" +
			"21034,Xã Nghĩa Dũng,21040,Thị trấn Châu Ổ,51\n"
		_, err := s.SwitchMap(ctx, strings.NewReader(file.String()), strings.NewReader(lineage), "2024-01-01")
		ds := details(t, err)
		if len(ds) != 1 || ds[0].Line != 3 || ds[0].Key != "units.error.lineage_cycle" {
			t.Errorf("details = %+v", ds)
		}
		// Without the bad row the merger goes through: Nghĩa Dõng rolls up into Nghĩa Dũng, which
		// keeps its version.
		res, err := s.SwitchMap(ctx, strings.NewReader(file.String()), strings.NewReader(lineage[:strings.LastIndex(strings.TrimSuffix(lineage, "\n"), "\n")+1]), "2024-01-01")
		if err != nil || res.Retired != 1 || res.Created != 0 {
			t.Fatalf("merger: %+v %v", res, err)
		}
		if got := rollupOf(t, d, "/51/522/21037/"); got != "/51/522/21034/" {
			t.Errorf("roll-up = %q", got)
		}
	})
}

func TestSwitchMalformedLineage(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		for name, lineage := range map[string]string{
			"header":   "a,b,c\n1,2,3\n",
			"syntax":   "new_code,new_name,old_code,old_name,old_province_code\n21034,\"Xã,21037,x,51\n",
			"codes":    "new_code,new_name,old_code,old_name,old_province_code\nabc,Xã,21037,x,51\n",
			"empty":    "new_code,new_name,old_code,old_name,old_province_code\n",
			"not utf8": "new_code,new_name,old_code,old_name,old_province_code\n21034,X\xff,21037,x,51\n",
		} {
			_, err := s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), strings.NewReader(lineage), "2025-07-01")
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-13-01"); err == nil {
			t.Error("bad date accepted")
		}
		if n := countRows(t, d, "unit_lineage"); n != 0 {
			t.Errorf("lineage rows = %d", n)
		}
	})
}

// After the switch: the versions of a code by date, the split's assignment, villages and a
// re-import of the 2023 file.
func TestAfterTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		village, err := s.CreateVillage(ctx, units.Unit{Name: "Thôn Trà Bùi 1", ParentCode: "21142"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			t.Fatal(err)
		}
		for date, want := range map[string]string{"2023-07-15": "Xã Nghĩa Dũng", "2025-06-30": "Xã Nghĩa Dũng", "2025-07-01": "Xã An Phú", "2026-01-01": "Xã An Phú"} {
			if u, err := s.FindAt(ctx, "21034", date); err != nil || u.Name != want {
				t.Errorf("21034 on %s = %q, %v; want %s", date, u.Name, err, want)
			}
		}
		if _, err := s.FindAt(ctx, "21034", "2025-7-1"); err == nil {
			t.Error("a malformed date was accepted")
		}
		// The village of a retired commune was retired with it; none can be added there now.
		if v, _ := s.FindPath(ctx, village.Path); v.ValidTo != "2025-06-30" {
			t.Errorf("village = %+v", v)
		}
		if _, err := s.CreateVillage(ctx, units.Unit{Name: "Thôn Mới", ParentCode: "21142"}); err == nil {
			t.Error("a village was added under a retired commune")
		}
		// Trà Bùi feeds both successors' "from split units" line until it is assigned.
		for _, code := range []string{"21136", "21157"} {
			u, _ := s.Find(ctx, code)
			if splits, err := s.SplitInto(ctx, u.Path); err != nil || len(splits) != 1 || splits[0] != "/51/525/21142/" {
				t.Errorf("splits into %s = %v, %v", code, splits, err)
			}
		}
		from, into, err := s.Lineage(ctx, "/51/525/21142/")
		if err != nil || len(from) != 0 || len(into) != 2 {
			t.Errorf("Trà Bùi's lineage: %v %v %v", from, into, err)
		}
		if err := s.AssignSplit(ctx, "/51/525/21142/", "21034"); err == nil {
			t.Error("assigned a split unit to a unit that is not its successor")
		}
		if err := s.AssignSplit(ctx, "/51/525/21142/", "21157"); err != nil {
			t.Fatal(err)
		}
		if got := rollupOf(t, d, village.Path); got != "/51/21157/" {
			t.Errorf("the split commune's village rolls up to %q", got)
		}
		if splits, _ := s.SplitInto(ctx, "/51/21136/"); len(splits) != 0 {
			t.Errorf("still a split after the assignment: %v", splits)
		}
		// Re-importing the 2023 file is refused line by line (the units moved), not half applied.
		before := countRows(t, d, "units")
		if _, err := s.Import(ctx, bytes.NewReader(units.QuangNgai2023CSV())); err == nil {
			t.Error("the 2023 file was imported over the 2025 map")
		}
		if after := countRows(t, d, "units"); after != before {
			t.Errorf("units %d → %d", before, after)
		}
	})
}

// A file without date columns leaves a retired unit retired (it used to put valid_to back to ”).
func TestImportKeepsDatesWithoutDateColumns(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s, ctx := seeded(t, d)
		if err := s.Retire(ctx, "21037", "21034", "2024-12-31"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, bytes.NewReader(units.QuangNgai2023CSV())); err != nil {
			t.Fatal(err)
		}
		u, _ := s.FindPath(ctx, "/51/522/21037/")
		if u.ValidTo != "2024-12-31" || u.SuccessorCode != "21034" {
			t.Errorf("after re-import: %+v", u)
		}
		if got := rollupOf(t, d, "/51/522/21037/"); got != "/51/522/21034/" {
			t.Errorf("retire's roll-up = %q", got)
		}
	})
}
