package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// importHaNoi loads Hà Nội (01) from the embedded national reference beside Quảng Ngãi.
func importHaNoi(t *testing.T, d *db.DB) {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).Import(sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
		t.Fatal(err)
	}
}

// TestTrainingFiguresByProvince: a national course's figures split by province — Hà Nội's
// province, district and commune count Hà Nội's learners only, and Quảng Ngãi's its own.
func TestTrainingFiguresByProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		importHaNoi(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		tr := training.NewService(d)
		c, err := tr.CreateCourse(sys, training.Course{Title: "Kỹ năng số cho mọi người", Exam: training.Exam{QuestionCount: 2, PassPercent: 50, TimeLimitMinutes: 20}})
		if err != nil {
			t.Fatal(err)
		}
		bank := "category,type,question,A,B,C,D,correct\n"
		for i := 0; i < 3; i++ {
			bank += fmt.Sprintf("An toàn thông tin,single,Câu hỏi %d?,Một,Hai,Ba,Bốn,C\n", i)
		}
		if _, err := tr.ImportQuestions(sys, c.ID, strings.NewReader(bank)); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		hanoiCommunes, _ := units.NewService(d).List(sys, units.Filter{ParentCode: "001", Limit: 1})
		baToCommunes, _ := units.NewService(d).List(sys, units.Filter{ParentCode: "535", Limit: 1})
		enrol := func(username, unit string) {
			u, err := f.acc.CreateUser(sys, accounts.NewUser{Username: username, Password: "mật khẩu thử nghiệm 2023", Role: authz.Learner, UnitCode: unit})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Enrol(authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}), c.ID); err != nil {
				t.Fatal(err)
			}
		}
		enrol("hv.badinh.1", hanoiCommunes[0].Code)
		enrol("hv.badinh.2", hanoiCommunes[0].Code)
		enrol("hv.bato", baToCommunes[0].Code)
		p := &reports.TrainingProvider{Svc: tr}
		for path, want := range map[string]float64{"/01/": 2, "/01/001/": 2, hanoiCommunes[0].Path: 2, "/01/002/": 0, "/51/": 1, "/51/535/": 1, "/51/530/": 0} {
			fields, err := p.Fields(context.Background(), path, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if got := figure(fields, "enrolled"); got != want {
				t.Errorf("%s: %v enrolled, want %v", path, got, want)
			}
			if got := figure(fields, fmt.Sprintf("course_%d_enrolled", c.ID)); got != want {
				t.Errorf("%s: the course's own figure %v, want %v", path, got, want)
			}
		}
		// The national dashboard adds the provinces up.
		f.svc.Register(p)
		dash, err := f.svc.PublicDashboard(context.Background(), "", 7)
		if err != nil || !dash.National || len(dash.Children) != 2 || figure(dash.Headline, "enrolled") != 3 {
			t.Fatalf("national dashboard: %v %+v", err, dash.Headline)
		}
		if len(dash.Map) != 0 || len(dash.Grid) != 2 || dash.Grid[0].Code != "01" {
			t.Errorf("national dashboard draws %d shapes and %d tiles", len(dash.Map), len(dash.Grid))
		}
	})
}

// TestCeremonyFiguresOfTheProvince: the ceremony section counts the latest ceremony of the unit's
// own province — a newer ceremony of another province changes nothing, and a province that holds
// none has no ceremony figures.
func TestCeremonyFiguresOfTheProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		setup(t, d)
		importHaNoi(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		cer := ceremony.NewService(d, units.NewService(d), events.New(d, nil))
		qng, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động Quảng Ngãi", StartsAt: time.Now().Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cer.GeneratePoints(sys, qng.ID); err != nil {
			t.Fatal(err)
		}
		p := reports.CeremonyProvider{Svc: cer}
		// A province without a ceremony has no ceremony figures at all: Quảng Ngãi's do not count.
		if fields, err := p.Fields(context.Background(), "/01/", time.Now()); err != nil || len(fields) != 0 {
			t.Errorf("a province without a ceremony: %v %+v", err, fields)
		}
		_, err = cer.Create(sys, ceremony.Ceremony{Province: "01", Title: "Lễ phát động Hà Nội", StartsAt: time.Now().Add(72 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		fields, err := p.Fields(context.Background(), "/51/", time.Now())
		if err != nil || figure(fields, "points") != 1+13+173 {
			t.Fatalf("Quảng Ngãi's points under a newer Hà Nội ceremony: %v %+v", err, fields)
		}
		if fields, _ := p.Fields(context.Background(), "/51/535/", time.Now()); figure(fields, "points") < 2 {
			t.Errorf("Ba Tơ's points: %+v", fields)
		}
		// Hà Nội's ceremony has no points yet: its figures are zero, never Quảng Ngãi's.
		if fields, err := p.Fields(context.Background(), "/01/", time.Now()); err != nil || figure(fields, "points") != 0 {
			t.Errorf("Hà Nội's points: %v %+v", err, fields)
		}
	})
}

// TestPeriodsOfProvinces: periods belong to a province or are national; each province
// administrator defines and reviews its own, a national one the national administrator; the
// reminders and documents name the unit's province from the unit tree.
func TestPeriodsOfProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupOutbox(t, d)
		importHaNoi(t, d)
		hanoi := actor("Sở TT&TT Hà Nội", authz.ProvinceAdmin, "01", "/01/")
		baDinh := actor("UBND Ba Đình", authz.UnitAdmin, "001", "/01/001/")
		national := authz.WithActor(context.Background(), &authz.Actor{UserID: 9, Username: "bo.tttt", Grants: []authz.Grant{{Role: authz.NationalAdmin}}})
		in := reports.PeriodInput{Title: "Báo cáo tháng", PeriodStart: "2023-08-01", PeriodEnd: "2023-08-31", DueDate: "2023-08-12", UnitLevel: "district", Sections: []string{"foundation"}}
		// Each province's "every district" is its own.
		hp, err := f.svc.CreatePeriod(hanoi, in)
		if err != nil || hp.Province != "01" || len(hp.UnitCodes) != 30 {
			t.Fatalf("Hà Nội's period: %v %s %d", err, hp.Province, len(hp.UnitCodes))
		}
		qp, err := f.svc.CreatePeriod(f.province, in)
		if err != nil || qp.Province != "51" || len(qp.UnitCodes) != 13 {
			t.Fatalf("Quảng Ngãi's period: %v %s %d", err, qp.Province, len(qp.UnitCodes))
		}
		for name, c := range map[string]struct {
			ctx  context.Context
			in   reports.PeriodInput
			kind apperr.Kind
		}{
			"Hà Nội naming Quảng Ngãi":       {hanoi, reports.PeriodInput{ProvinceCode: "51", UnitLevel: "district"}, apperr.Forbidden},
			"Hà Nội listing Ba Tơ":           {hanoi, reports.PeriodInput{UnitCodes: []string{"001", "535"}}, apperr.Invalid},
			"national defining a province's": {national, reports.PeriodInput{UnitLevel: "district", ProvinceCode: "01"}, apperr.Forbidden},
			"Hà Nội defining a national one": {hanoi, reports.PeriodInput{UnitLevel: "province"}, apperr.Forbidden},
			"a district defining anything":   {baDinh, reports.PeriodInput{UnitLevel: "district"}, apperr.Forbidden},
			"no such province":               {f.province, reports.PeriodInput{UnitLevel: "district", ProvinceCode: "00"}, apperr.Invalid},
			"a province and a district":      {national, reports.PeriodInput{UnitCodes: []string{"01", "535"}}, apperr.Invalid},
			"national naming a province":     {national, reports.PeriodInput{UnitLevel: "province", ProvinceCode: "01"}, apperr.Invalid},
		} {
			x := in
			x.UnitLevel, x.UnitCodes, x.ProvinceCode = c.in.UnitLevel, c.in.UnitCodes, c.in.ProvinceCode
			if _, err := f.svc.CreatePeriod(c.ctx, x); !apperr.Is(err, c.kind) {
				t.Errorf("%s: %v, want %s", name, err, c.kind)
			}
		}
		// Each province lists its own periods; the national administrator every one.
		for ctx, want := range map[context.Context]int{hanoi: 1, f.province: 1, national: 2, baDinh: 1} {
			if list, err := f.svc.ListPeriods(ctx); err != nil || len(list) != want {
				t.Errorf("%s lists %d periods (%v), want %d", authz.ActorFrom(ctx).Username, len(list), err, want)
			}
		}
		if _, err := f.svc.FindPeriod(hanoi, qp.ID); !apperr.Is(err, apperr.NotFound) || !apperr.Denial(err) {
			t.Errorf("Hà Nội finding Quảng Ngãi's period: %v", err)
		}
		// Ba Đình reports; Hà Nội reviews; Quảng Ngãi and the national administrator do not.
		r, err := f.svc.OpenReport(baDinh, hp.ID, "001")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(baDinh, r.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Return(f.province, r.ID, "x"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Quảng Ngãi returning Hà Nội's report: %v", err)
		}
		if _, err := f.svc.Accept(national, r.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("national accepting Hà Nội's report: %v", err)
		}
		if _, err := f.svc.Summary(national, hp.ID); err != nil {
			t.Errorf("national reading Hà Nội's summary: %v", err)
		}
		if _, err := f.svc.Summary(f.province, hp.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Quảng Ngãi reading Hà Nội's summary: %v", err)
		}
		if _, err := f.svc.Accept(hanoi, r.ID); err != nil {
			t.Errorf("Hà Nội accepting: %v", err)
		}
		// Reminders, as the hourly run sends them: each names the unit's own province and carries
		// its unit; none names Quảng Ngãi for Hà Nội.
		sys := authz.WithActor(context.Background(), authz.System)
		for _, n := range []accounts.NewUser{
			{Username: "ubnd.hoankiem", Email: "hoankiem@example.vn", Role: authz.UnitAdmin, UnitCode: "002"},
			{Username: "ubnd.bato", Email: "bato@example.vn", Role: authz.UnitAdmin, UnitCode: "535"},
		} {
			n.Password = "mật khẩu thử nghiệm 2023"
			if _, err := f.acc.CreateUser(sys, n); err != nil {
				t.Fatal(err)
			}
		}
		// Hà Nội's administrator reminds its own units only.
		if res, err := f.svc.SendReminders(hanoi); err != nil || res.Queued != 1 {
			t.Fatalf("Hà Nội's reminders: %+v %v", res, err)
		}
		if res, err := f.svc.SendReminders(sys); err != nil || res.Queued != 1 {
			t.Fatalf("the remaining reminders: %+v %v", res, err)
		}
		msgs, _ := f.out.List(context.Background(), notify.Filter{})
		byRecipient := map[string]notify.Message{}
		for _, m := range msgs {
			byRecipient[m.Recipient] = m
		}
		hk, bt := byRecipient["hoankiem@example.vn"], byRecipient["bato@example.vn"]
		if hk.UnitPath != "/01/002/" || !strings.Contains(hk.Body, "UBND quận Hoàn Kiếm") || !strings.Contains(hk.Body, "UBND thành phố Hà Nội") || strings.Contains(hk.Body, "Quảng Ngãi") {
			t.Errorf("Hoàn Kiếm's reminder: %s %q", hk.UnitPath, hk.Body)
		}
		if bt.UnitPath != "/51/535/" || !strings.Contains(bt.Body, "UBND huyện Ba Tơ") || !strings.Contains(bt.Body, "tỉnh Quảng Ngãi") || strings.Contains(bt.Body, "Hà Nội") {
			t.Errorf("Ba Tơ's reminder: %s %q", bt.UnitPath, bt.Body)
		}
	})
}

// upTo is a module's migration files up to version v, to build a database as it was before a
// later migration.
func upTo(t *testing.T, fsys fs.FS, v int) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(fsys, "migrations", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &n); err != nil || n > v {
			return nil
		}
		b, err := fs.ReadFile(fsys, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPeriodProvinceBackfill: the periods of a database from before report periods had a
// province become the province of the units they assign (Quảng Ngãi's for one that assigns none).
func TestPeriodProvinceBackfill(t *testing.T) {
	var before []db.MigrationSet
	for _, s := range schema.All() {
		if s.Module == "reports" {
			s = db.MigrationSet{Module: s.Module, FS: upTo(t, s.FS, 2)}
		}
		before = append(before, s)
	}
	dbtest.Each(t, before, func(t *testing.T, d *db.DB) {
		ctx := authz.WithActor(context.Background(), authz.System)
		if _, err := units.NewService(d).SeedQuangNgai(ctx); err != nil {
			t.Fatal(err)
		}
		importHaNoi(t, d)
		ids := map[string]int64{}
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for name, assigned := range map[string]map[string]string{"qng": {"535": "/51/535/", "530": "/51/530/"}, "hanoi": {"001": "/01/001/"}, "none": nil} {
				id, err := tx.InsertID(ctx, "INSERT INTO report_periods (title, period_start, period_end, due_at, created_at) VALUES ('Cũ', '2023-07-01', '2023-08-15', 0, 0) RETURNING id")
				if err != nil {
					return err
				}
				ids[name] = id
				for code, path := range assigned {
					if _, err := tx.ExecContext(ctx, "INSERT INTO report_assignments (period_id, unit_code, unit_path) VALUES (?, ?, ?)", id, code, path); err != nil {
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
		for name, want := range map[string]string{"qng": "51", "hanoi": "01", "none": "51"} {
			var got string
			if err := d.Reader().QueryRowContext(ctx, "SELECT province_code FROM report_periods WHERE id = ?", ids[name]).Scan(&got); err != nil || got != want {
				t.Errorf("period %s: province %q (%v), want %q", name, got, err, want)
			}
		}
	})
}
