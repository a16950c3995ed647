package reports_test

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func switchTo2025(t *testing.T, d *db.DB) {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SwitchMap(sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
		t.Fatalf("switch: %v", err)
	}
}

// cells is every sheet of a workbook, cell by cell, as text: what a reader of the export sees (the
// file's bytes also carry the moment it was written).
func cells(t *testing.T, xlsx []byte) string {
	t.Helper()
	wb, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, name := range wb.GetSheetList() {
		rows, err := wb.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("== " + name + "\n")
		for _, row := range rows {
			b.WriteString(strings.Join(row, " | ") + "\n")
		}
	}
	return b.String()
}

// exports renders a report's xlsx and the text of its PDF.
func exports(t *testing.T, f *fixture, ctx context.Context, id int64) (xlsx []byte, pdfText string) {
	t.Helper()
	doc, err := f.svc.Document(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	tr := func(k string, a ...any) string { return i18n.MustLoad().T("vi", k, a...) }
	var x, p bytes.Buffer
	if err := doc.WriteXLSX(&x, tr); err != nil {
		t.Fatal(err)
	}
	if err := doc.WritePDF(&p, tr); err != nil {
		t.Fatal(err)
	}
	text, ok := pdftest.Text(t, p.Bytes())
	if !ok {
		text = "" // no PDF text extractor on this machine: the xlsx comparison still holds
	}
	return x.Bytes(), text
}

// The 2023 report of Huyện Tư Nghĩa (528), accepted and locked before the switch to the 2025 map,
// exports exactly as it was locked afterwards: a submitted report is its snapshot, named by the
// unit version it was made under, whatever the map says today. A 2023 commune-level period lists
// its 173 communes once each after the switch, though 55 of their codes now name 2025 units.
func TestLockedReportSurvivesTheMapSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		p, _, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil || p.ReportingLevel != "district" || len(p.UnitCodes) != 13 {
			t.Fatalf("plan period: %+v %v", p, err)
		}
		tuNghia := actor("UBND Tư Nghĩa", authz.UnitAdmin, "528", "/51/528/")
		r, err := f.svc.OpenReport(tuNghia, p.ID, "528")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(tuNghia, r.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		if r, err = f.svc.Accept(f.province, r.ID); err != nil || r.State != reports.Accepted || r.UnitName != "Huyện Tư Nghĩa" {
			t.Fatalf("accept: %+v %v", r, err)
		}
		xlsxBefore, pdfBefore := exports(t, f, f.province, r.ID)
		communes, err := f.svc.CreatePeriod(f.province, reports.PeriodInput{Title: "Báo cáo cấp xã 2023", PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15",
			DueDate: "2023-08-20", ReportingLevel: "commune", Sections: []string{"foundation"}})
		if err != nil || communes.ReportingLevel != "commune" || len(communes.UnitCodes) != 173 {
			t.Fatalf("2023 commune period: %d units, %v", len(communes.UnitCodes), err)
		}

		switchTo2025(t, d)
		*f.clock = time.Date(2025, 8, 1, 9, 0, 0, 0, reports.VietnamTime)

		after, err := f.svc.FindReport(f.province, r.ID)
		if err != nil || after.UnitName != "Huyện Tư Nghĩa" || after.State != reports.Accepted || len(after.Figures) != len(r.Figures) {
			t.Fatalf("report after the switch: %+v %v", after, err)
		}
		xlsxAfter, pdfAfter := exports(t, f, f.province, r.ID)
		if before, after := cells(t, xlsxBefore), cells(t, xlsxAfter); before != after {
			t.Errorf("the locked report's xlsx changed with the map switch:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if pdfAfter != pdfBefore {
			t.Errorf("the locked report's PDF changed with the map switch:\nbefore:\n%s\nafter:\n%s", pdfBefore, pdfAfter)
		}
		if pdfBefore != "" && (!strings.Contains(pdfAfter, "HUYỆN TƯ NGHĨA") || !strings.Contains(pdfAfter, "Phạm Thị Lan") || !strings.Contains(pdfAfter, "Sở Thông tin và Truyền thông")) {
			t.Errorf("PDF text:\n%s", pdfAfter)
		}
		// A locked report stays locked.
		if _, err := f.svc.SaveDraft(tuNghia, r.ID, fullDraft()); !apperr.Is(err, apperr.Locked) {
			t.Errorf("locked report changed after the switch: %v", err)
		}
		// Status of both 2023 periods: each assigned unit version once.
		st, err := f.svc.PeriodStatus(f.province, p.ID)
		if err != nil || st.Assigned != 13 || st.Reported != 1 {
			t.Errorf("plan period after the switch: %+v %v", st, err)
		}
		st, err = f.svc.PeriodStatus(f.province, communes.ID)
		if err != nil || st.Assigned != 173 || len(st.Units) != 173 {
			t.Fatalf("2023 commune period after the switch: %d units, %v", len(st.Units), err)
		}
		for _, u := range st.Units {
			if u.UnitCode == "21034" && u.UnitName != "Xã Nghĩa Dũng" {
				t.Errorf("21034 in the 2023 period is named %q, want the 2023 unit", u.UnitName)
			}
		}
	})
}

// On the 2025 map the communes report directly to the province: a period with no level asks the
// 96 communes; a commune's administrator submits, the province reviews, reminders reach the 2025
// commune's administrator (not the 2023 holder of the same code), and the rates count 96.
func TestCommunesReportDirectlyOn2025Map(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupOutbox(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		newUser := func(n accounts.NewUser) {
			n.Password = "mật khẩu thử nghiệm 2023"
			if _, err := f.acc.CreateUser(sys, n); err != nil {
				t.Fatal(err)
			}
		}
		// Made before the switch: the administrator of the 2023 Xã Nghĩa Dũng, code 21034.
		newUser(accounts.NewUser{Username: "ubnd.nghiadung", Email: "nghiadung@example.vn", Role: authz.UnitAdmin, UnitCode: "21034"})
		switchTo2025(t, d)
		newUser(accounts.NewUser{Username: "ubnd.anphu", Email: "anphu@example.vn", Role: authz.UnitAdmin, UnitCode: "21034"})
		*f.clock = time.Date(2025, 8, 1, 9, 0, 0, 0, reports.VietnamTime)

		if level, err := f.svc.DefaultLevel(f.province, "51"); err != nil || level != "commune" {
			t.Fatalf("default level on the 2025 map: %q %v", level, err)
		}
		base := reports.PeriodInput{Title: "Báo cáo Bình dân học vụ số tháng 8/2025", PeriodStart: "2025-07-28", PeriodEnd: "2025-08-31", DueDate: "2025-09-05",
			Sections: []string{"foundation"}}
		// Bad input: districts where there are none; two level fields that disagree; a level and a list.
		bad := map[string]reports.PeriodInput{
			"no districts": func() reports.PeriodInput { x := base; x.ReportingLevel = "district"; return x }(),
			"disagreeing": func() reports.PeriodInput {
				x := base
				x.ReportingLevel = "commune"
				x.UnitLevel = "district"
				return x
			}(),
			"level and list": func() reports.PeriodInput {
				x := base
				x.ReportingLevel, x.UnitCodes = "commune", []string{"21034"}
				return x
			}(),
			"village": func() reports.PeriodInput { x := base; x.ReportingLevel = "village"; return x }(),
		}
		for name, in := range bad {
			if _, err := f.svc.CreatePeriod(f.province, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		p, err := f.svc.CreatePeriod(f.province, base)
		if err != nil || p.ReportingLevel != "commune" || len(p.UnitCodes) != 96 {
			t.Fatalf("period by default: %q, %d units, %v", p.ReportingLevel, len(p.UnitCodes), err)
		}
		anPhu := actor("UBND xã An Phú", authz.UnitAdmin, "21034", "/51/21034/")
		other := actor("UBND xã Trà Bồng", authz.UnitAdmin, "21115", "/51/21115/")
		if list, err := f.svc.ListPeriods(anPhu); err != nil || len(list) != 1 || list[0].ID != p.ID {
			t.Fatalf("An Phú's periods: %+v %v", list, err)
		}
		r, err := f.svc.OpenReport(anPhu, p.ID, "21034")
		if err != nil || r.UnitName != "Xã An Phú" {
			t.Fatalf("open: %+v %v", r, err)
		}
		if _, err := f.svc.OpenReport(other, p.ID, "21034"); err == nil {
			t.Error("another commune opened An Phú's report")
		}
		if _, err := f.svc.FindReport(other, r.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another commune read An Phú's report: %v", err)
		}
		// Reminders three days before: the 2025 administrator of 21034 is reminded, the 2023 one
		// (another unit, retired) is not.
		*f.clock = time.Date(2025, 9, 3, 9, 0, 0, 0, reports.VietnamTime)
		if _, err := f.svc.RemindPeriod(f.province, p.ID); err != nil {
			t.Fatal(err)
		}
		msgs, _ := f.out.List(context.Background(), notify.Filter{})
		var to []string
		for _, m := range msgs {
			to = append(to, m.Recipient)
		}
		if len(msgs) != 1 || msgs[0].Recipient != "anphu@example.vn" || !strings.Contains(msgs[0].Body, "UBND xã An Phú") || !strings.Contains(msgs[0].Body, "UBND tỉnh Quảng Ngãi (qua Sở Khoa học và Công nghệ)") {
			t.Errorf("reminders went to %v: %+v", to, msgs)
		}
		if r, err = f.svc.Submit(anPhu, r.ID, fullDraft()); err != nil || r.State != reports.Submitted {
			t.Fatalf("submit: %v", err)
		}
		if communes := figure(r.Figures, "communes"); communes != 1 {
			t.Errorf("An Phú's snapshot counts %v communes", communes)
		}
		st, err := f.svc.PeriodStatus(f.province, p.ID)
		if err != nil || st.Assigned != 96 || st.Reported != 1 || st.OnTime != 1 || st.ReportingRate != 1.0/96 {
			t.Errorf("status: %+v %v", st, err)
		}
		if r, err = f.svc.Accept(f.province, r.ID); err != nil || r.State != reports.Accepted {
			t.Errorf("accept: %v", err)
		}
		sum, err := f.svc.Summary(f.province, p.ID)
		if err != nil || len(sum.Sections) == 0 || len(sum.Sections[0].Rows) != 1 || sum.Sections[0].Rows[0].UnitName != "Xã An Phú" {
			t.Errorf("summary: %+v %v", sum.Sections, err)
		}
		// The commune's document goes to the province through the Department of Science and
		// Technology, which took over the Department of Information and Communications in 2025.
		if _, text := exports(t, f, f.province, r.ID); text != "" && (!strings.Contains(text, "ỦY BAN NHÂN DÂN XÃ AN PHÚ") || !strings.Contains(text, "qua Sở KH&CN") || strings.Contains(text, "Truyền thông")) {
			t.Errorf("An Phú's PDF:\n%s", text)
		}
	})
}

// The dashboards draw the level that exists: Quảng Ngãi's 13 district shapes on the 2023 map; on
// the 2025 map its 96 communes as tiles (no commune shapes are known, none is invented), each a
// drill-down to the commune's own dashboard with no district between.
func TestDashboardLevelsAcrossTheSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		d23, err := f.svc.UnitDashboard(f.province, "51", 7)
		if err != nil || d23.ChildKind != "district" || len(d23.Children) != 13 || len(d23.Map) != 13 || len(d23.Grid) != 0 {
			t.Fatalf("2023 dashboard: %s, %d children, %d shapes, %d tiles, %v", d23.ChildKind, len(d23.Children), len(d23.Map), len(d23.Grid), err)
		}
		switchTo2025(t, d)
		d25, err := f.svc.UnitDashboard(f.province, "51", 7)
		if err != nil || d25.ChildKind != "commune" || len(d25.Children) != 96 || len(d25.Map) != 0 || len(d25.Grid) != 96 {
			t.Fatalf("2025 dashboard: %s, %d children, %d shapes, %d tiles, %v", d25.ChildKind, len(d25.Children), len(d25.Map), len(d25.Grid), err)
		}
		var anPhu reports.Child
		for _, c := range d25.Children {
			if c.Code == "21034" {
				anPhu = c
			}
		}
		if anPhu.Name != "Xã An Phú" || !anPhu.Open {
			t.Errorf("An Phú on the province's dashboard: %+v", anPhu)
		}
		commune, err := f.svc.UnitDashboard(actor("UBND xã An Phú", authz.UnitAdmin, "21034", "/51/21034/"), "21034", 7)
		if err != nil || len(commune.Trail) != 1 || commune.Trail[0].Code != "51" || commune.ChildKind != "team" {
			t.Errorf("An Phú's dashboard: trail %+v, %s, %v", commune.Trail, commune.ChildKind, err)
		}
		if _, err := f.svc.UnitDashboard(actor("UBND xã An Phú", authz.UnitAdmin, "21034", "/51/21034/"), "21115", 7); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("a commune opened another commune's dashboard: %v", err)
		}
	})
}

// Live figures are "as it is now": an organisation registered in the 2023 Xã Nghĩa Dũng counts in
// Xã An Phú, the 2025 commune it was merged into, and no longer in the commune that reuses
// nothing of it.
func TestLiveFiguresRollUp(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		setup(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		if _, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THCS Nghĩa Dũng", Kind: orgs.School, UnitCode: "21034"}); err != nil {
			t.Fatal(err)
		}
		p := reports.NewFoundationProvider(d)
		before, err := p.Fields(sys, "/51/522/21034/", time.Now())
		if err != nil || figure(before, "orgs") != 1 {
			t.Fatalf("2023 figures: %v %v", figure(before, "orgs"), err)
		}
		switchTo2025(t, d)
		now, err := p.Fields(sys, "/51/21034/", time.Now())
		if err != nil || figure(now, "orgs") != 1 {
			t.Errorf("An Phú's organisations today: %v %v", figure(now, "orgs"), err)
		}
		province, err := p.Fields(sys, "/51/", time.Now())
		if err != nil || figure(province, "orgs") != 1 || figure(province, "communes") != 96 {
			t.Errorf("the province today: orgs %v, communes %v, %v", figure(province, "orgs"), figure(province, "communes"), err)
		}
	})
}

// The migration that adds the reporting level gives each existing period the level of the units it
// assigns: district, commune, empty when listed at mixed levels, province for a national period.
func TestReportingLevelMigration(t *testing.T) {
	var before []db.MigrationSet
	for _, s := range schema.All() {
		if s.Module == "reports" {
			out := fstest.MapFS{}
			err := fs.WalkDir(s.FS, ".", func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() || path.Base(p) == "0004_reporting_level.sql" {
					return err
				}
				b, err := fs.ReadFile(s.FS, p)
				out[p] = &fstest.MapFile{Data: b}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			s = db.MigrationSet{Module: s.Module, FS: out}
		}
		before = append(before, s)
	}
	dbtest.Each(t, before, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		periods := map[string][]string{"district": {"/51/535/", "/51/530/"}, "commune": {"/51/522/21034/"}, "": {"/51/535/", "/51/522/21034/"}, "province": {"/51/"}}
		ids := map[string]int64{}
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for level, paths := range periods {
				province := "51"
				if level == "province" {
					province = ""
				}
				id, err := tx.InsertID(ctx, `INSERT INTO report_periods (province_code, title, period_start, period_end, due_at, created_at) VALUES (?, ?, '2023-07-01', '2023-08-15', 0, 0) RETURNING id`,
					province, "Kỳ "+level)
				if err != nil {
					return err
				}
				ids[level] = id
				for _, p := range paths {
					code := path.Base(p)
					if _, err := tx.ExecContext(ctx, "INSERT INTO report_assignments (period_id, unit_code, unit_path) VALUES (?, ?, ?)", id, code, p); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(ctx, schema.All()); err != nil {
			t.Fatal(err)
		}
		for level, id := range ids {
			ctx := f.province
			if level == "province" {
				ctx = actor("Ban chỉ đạo", authz.NationalAdmin, "", "")
			}
			p, err := f.svc.FindPeriod(ctx, id)
			if err != nil || p.ReportingLevel != level {
				t.Errorf("period %q after the migration: %q %v", level, p.ReportingLevel, err)
			}
		}
	})
}
