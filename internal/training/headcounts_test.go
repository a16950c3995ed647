package training_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

func headcountFile(rows ...[]any) *bytes.Reader {
	return bytes.NewReader(xlsxOf(training.HeadcountHeader, rows...))
}

func rowByKey(rows []training.FigureRow, key string) (training.FigureRow, bool) {
	for _, r := range rows {
		if r.Key == key && !r.Direct && !r.Earlier {
			return r, true
		}
	}
	return training.FigureRow{}, false
}

func shareIs(p *float64, want float64) bool { return p != nil && *p == want }

// The province imports its headcounts; the figures carry each row's headcount and shares (null
// where none is known), the leaderboard ranks by share, and the workspace's list names who is
// below the province's target. Every bad file is refused whole, its lines named, nothing written.
func TestHeadcountsAndShares(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := setupTenants(t, d) // the first learner, a pupil of Trường THPT Ba Tơ (535), passed
		var school int64
		if err := d.Reader().QueryRowContext(context.Background(), `SELECT id FROM orgs WHERE name = 'Trường THPT Ba Tơ'`).Scan(&school); err != nil {
			t.Fatal(err)
		}
		tc := fmt.Sprintf("TC%d", school)
		if _, err := x.svc.StartAttempt(x.learners[1], x.course.ID); err != nil { // sat, not yet passed
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM training_headcounts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Without headcounts: null shares everywhere.
		rows, err := x.svc.Figures(x.qng, training.FigureFilter{CourseID: x.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Headcount != nil || r.CompletedShare != nil || r.PassedShare != nil {
				t.Errorf("a share without headcount: %+v", r)
			}
		}

		// Bad files: each refused whole with its lines named.
		bad := []struct {
			name string
			rows [][]any
			line int
			key  string
		}{
			{"unknown unit", [][]any{{"535", "cán bộ, công chức", 10}, {"99999", "giáo viên", 3}}, 3, "training.headcount.unit_unknown"},
			{"another province's unit", [][]any{{x.hnCommune, "cán bộ, công chức", 10}}, 2, "training.headcount.unit_unknown"},
			{"unknown organisation", [][]any{{"TC999999", "giáo viên", 3}}, 2, "training.headcount.org_unknown"},
			{"negative", [][]any{{"535", "officials", -5}}, 2, "training.headcount.negative"},
			{"not a number", [][]any{{"535", "officials", "nhiều"}}, 2, "training.headcount.count"},
			{"unknown group", [][]any{{"535", "người dân", 5}}, 2, "training.headcount.group"},
			{"duplicate", [][]any{{"535", "officials", 5}, {"535", "cán bộ, công chức", 6}}, 3, "training.import.duplicate_in_file"},
			{"below completed (organisation)", [][]any{{"535", "officials", 10}, {tc, "pupils", 0}}, 3, "training.headcount.below_completed"},
			{"below completed (unit)", [][]any{{"535", "officials", 0}}, 2, "training.headcount.below_completed"},
		}
		for _, b := range bad {
			_, err := x.svc.ImportHeadcounts(x.qng, "51", headcountFile(b.rows...))
			ae := apperr.As(err)
			if err == nil || ae.Kind != apperr.Invalid || ae.Key != "training.error.headcount_rejected" {
				t.Errorf("%s: %v", b.name, err)
				continue
			}
			found := false
			for _, dt := range ae.Details {
				found = found || (dt.Line == b.line && dt.Key == b.key)
			}
			if !found {
				t.Errorf("%s: details %+v, want line %d %s", b.name, ae.Details, b.line, b.key)
			}
			if n := count(); n != 0 {
				t.Fatalf("%s: %d headcounts written", b.name, n)
			}
		}
		// A file that is not the template.
		_, err = x.svc.ImportHeadcounts(x.qng, "51", bytes.NewReader(xlsxOf([]string{"username", "Nhóm", "Số người"}, []any{"535", "officials", 5})))
		if ae := apperr.As(err); err == nil || ae.Key != "training.error.headcount_header" {
			t.Errorf("another header: %v", err)
		}
		// Only the province's administrator imports its headcounts.
		_, err = x.svc.ImportHeadcounts(x.hn, "51", headcountFile([]any{"535", "officials", 10}))
		forbidden(t, "Hà Nội's administrator into Quảng Ngãi", err)
		_, err = x.svc.ImportHeadcounts(x.learners[0], "51", headcountFile([]any{"535", "officials", 10}))
		forbidden(t, "a learner", err)
		if n := count(); n != 0 {
			t.Fatalf("refused imports wrote %d", n)
		}

		// A good file.
		n, err := x.svc.ImportHeadcounts(x.qng, "51", headcountFile(
			[]any{"535", "cán bộ, công chức", 6}, []any{"535", "teachers", 4}, []any{"522", "officials", 20}, []any{tc, "học sinh", 4}))
		if err != nil || n != 4 {
			t.Fatalf("import: %d %v", n, err)
		}
		var audited int
		if err := d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'headcount.import' AND unit_path = '/51/'`).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("audit: %d %v", audited, err)
		}
		// The page's single edit, under the same rules.
		if err := x.svc.SetHeadcount(x.qng, "51", training.HeadcountLine{Code: "535", Group: "officials", Count: "-1"}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("negative edit: %v", err)
		}
		if err := x.svc.SetHeadcount(x.qng, "51", training.HeadcountLine{Code: "535", Group: "officials", Count: "16"}); err != nil {
			t.Fatal(err)
		}
		list, err := x.svc.Headcounts(x.qng, "51")
		if err != nil || len(list) != 4 {
			t.Fatalf("headcounts: %+v %v", list, err)
		}
		if _, err := x.svc.Headcounts(x.hn, "51"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("Hà Nội reads Quảng Ngãi's headcounts: %v", err)
		}

		// Figures by unit: Ba Tơ 1 passed of 16+4, 1 of 2 who sat; Bình Sơn (522) 0 of 20; the
		// others unknown.
		rows, err = x.svc.Figures(x.qng, training.FigureFilter{CourseID: x.course.ID})
		if err != nil {
			t.Fatal(err)
		}
		baTo, _ := rowByKey(rows, "535")
		if baTo.Headcount == nil || *baTo.Headcount != 20 || !shareIs(baTo.CompletedShare, 5) || !shareIs(baTo.PassedShare, 50) {
			t.Errorf("Ba Tơ: %+v", baTo)
		}
		other, _ := rowByKey(rows, "522")
		if other.Headcount == nil || *other.Headcount != 20 || !shareIs(other.CompletedShare, 0) || other.PassedShare != nil {
			t.Errorf("522: %+v", other)
		}
		for _, r := range rows {
			if r.Key != "535" && r.Key != "522" && r.Headcount != nil {
				t.Errorf("a headcount where none is known: %+v", r)
			}
		}
		// By organisation: the school's 4 pupils, 1 completed.
		orgRows, err := x.svc.Figures(x.qng, training.FigureFilter{CourseID: x.course.ID, By: "org"})
		if err != nil {
			t.Fatal(err)
		}
		sch, ok := rowByKey(orgRows, fmt.Sprint(school))
		if !ok || sch.Headcount == nil || *sch.Headcount != 4 || !shareIs(sch.CompletedShare, 25) {
			t.Errorf("the school: %+v (%v)", sch, ok)
		}
		// The leaderboard ranks by share: Ba Tơ (5 %), then 522 (0 %), then the rest by passed.
		board, err := x.svc.Figures(x.qng, training.FigureFilter{CourseID: x.course.ID, Level: "district", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(board) != 3 || board[0].Key != "535" || board[1].Key != "522" || board[2].Headcount != nil {
			t.Errorf("leaderboard: %+v", board)
		}
		// The totals of the province.
		tot, err := x.svc.TotalsFor(x.qng, x.course.ID)
		if err != nil || tot.Headcount == nil || *tot.Headcount != 40 {
			t.Errorf("totals: %+v %v", tot, err)
		}
		// The figures' export has the columns too.
		var xb bytes.Buffer
		if err := x.svc.ExportFigures(x.qng, x.course.ID, &xb); err != nil {
			t.Fatal(err)
		}
		xf, err := excelize.OpenReader(&xb)
		if err != nil {
			t.Fatal(err)
		}
		sheetRows, err := xf.GetRows("Theo huyện")
		if err != nil || len(sheetRows) < 2 || len(sheetRows[0]) != 9 || sheetRows[0][7] != "% hoàn thành" {
			t.Fatalf("export header: %v %v", sheetRows, err)
		}
		for _, r := range sheetRows[1:] {
			if r[0] == "535" && (len(r) < 9 || r[6] != "20" || r[7] != "5" || r[8] != "50") {
				t.Errorf("export Ba Tơ: %q", r)
			}
		}
		// A count below those completed is refused now that Ba Tơ's school has a pass.
		_, err = x.svc.ImportHeadcounts(x.qng, "51", headcountFile([]any{tc, "pupils", 0}))
		if ae := apperr.As(err); err == nil || len(ae.Details) != 1 || ae.Details[0].Key != "training.headcount.below_completed" {
			t.Errorf("below completed: %v", err)
		}

		// The target: the province's administrator only, 1–100 %.
		if err := x.svc.SetTargetShare(x.qng, "51", 0, 0); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("0 %%: %v", err)
		}
		if err := x.svc.SetTargetShare(x.qng, "51", 0, 101); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("101 %%: %v", err)
		}
		forbidden(t, "Hà Nội sets Quảng Ngãi's target", x.svc.SetTargetShare(x.hn, "51", 0, 80))
		below, target, err := x.svc.BelowTarget(x.qng, x.course.ID)
		if err != nil || target != 0 || len(below) != 0 {
			t.Errorf("no target yet: %+v %d %v", below, target, err)
		}
		if err := x.svc.SetTargetShare(x.qng, "51", 0, 80); err != nil {
			t.Fatal(err)
		}
		if err := d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'target.set'`).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("target audit: %d %v", audited, err)
		}
		below, target, err = x.svc.BelowTarget(x.qng, x.course.ID)
		if err != nil || target != 80 {
			t.Fatalf("below: %d %v", target, err)
		}
		names := map[string]float64{}
		for _, b := range below {
			names[b.Kind+b.Code] = *b.CompletedShare
		}
		if len(below) != 3 || names["unit522"] != 0 || names["unit535"] != 5 || names["org"+fmt.Sprint(school)] != 25 || below[0].Code != "522" {
			t.Errorf("below target: %+v", below)
		}
		// A district's administrator sees its district and the school in it; the school's its
		// school only.
		baToAdmin := x.adminOf(t, "ubnd.bato.below", authz.UnitAdmin, "535", 0)
		below, _, err = x.svc.BelowTarget(baToAdmin, x.course.ID)
		if err != nil || len(below) != 2 || below[0].Code != "535" || below[1].Code != fmt.Sprint(school) {
			t.Errorf("below target for Ba Tơ: %+v %v", below, err)
		}
		principal := x.adminOf(t, "hieutruong.bato", authz.OrgAdmin, "", school)
		below, _, err = x.svc.BelowTarget(principal, x.course.ID)
		if err != nil || len(below) != 1 || below[0].Kind != training.HeadcountOrg {
			t.Errorf("below target for the school: %+v %v", below, err)
		}
		// A course's own target overrides the province's.
		if err := x.svc.SetTargetShare(x.qng, "51", x.course.ID, 5); err != nil {
			t.Fatal(err)
		}
		below, _, err = x.svc.BelowTarget(x.qng, x.course.ID)
		if err != nil || len(below) != 1 || below[0].Code != "522" {
			t.Errorf("below 5 %%: %+v %v", below, err)
		}
		// Hà Nội's administrator sees nothing of Quảng Ngãi's.
		hnRows, err := x.svc.Figures(x.hn, training.FigureFilter{CourseID: x.course.ID})
		if err == nil {
			for _, r := range hnRows {
				if r.Headcount != nil {
					t.Errorf("Hà Nội reads a Quảng Ngãi headcount: %+v", r)
				}
			}
		}
		// A district's administrator reads its own share; a commune's reading its district's row
		// (its own people only) gets none.
		dist := x.adminOf(t, "ubnd.bato", authz.UnitAdmin, "535", 0)
		own, err := x.svc.Figures(dist, training.FigureFilter{CourseID: x.course.ID})
		if r, ok := rowByKey(own, "535"); err != nil || !ok || !shareIs(r.CompletedShare, 5) {
			t.Errorf("Ba Tơ's administrator: %+v %v", own, err)
		}
		commune := x.adminOf(t, "ubnd.xa", authz.UnitAdmin, x.firstCommune(t, "535"), 0)
		up, err := x.svc.Figures(commune, training.FigureFilter{CourseID: x.course.ID, Parent: "51"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range up {
			if r.Headcount != nil {
				t.Errorf("a commune's administrator gets its district's share: %+v", r)
			}
		}
	})
}

func (x *tenants) firstCommune(t *testing.T, district string) string {
	t.Helper()
	var code string
	if err := x.d.Reader().QueryRowContext(context.Background(), `SELECT code FROM units WHERE parent_path = '/51/'||?||'/' AND valid_to = '' ORDER BY code LIMIT 1`, district).Scan(&code); err != nil {
		t.Fatal(err)
	}
	return code
}
