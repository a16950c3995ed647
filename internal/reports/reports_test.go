package reports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

type fixture struct {
	svc *reports.Service
	acc *accounts.Service
	// out is the outbox of a fixture made by setupOutbox.
	out                    *notify.Service
	province, baTo, sonTay context.Context
	clock                  *time.Time
}

func actor(name string, role authz.Role, code, path string) context.Context {
	a := &authz.Actor{UserID: 1, Username: name, Name: name, Grants: []authz.Grant{{Role: role, UnitCode: code, UnitPath: path}}}
	return audit.WithWho(authz.WithActor(context.Background(), a), audit.Who{Username: name})
}

// setupOutbox is setup with an outbox for the reminders.
func setupOutbox(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	out := notify.NewService(d)
	f := setup(t, d, reports.WithNotify(out, ""))
	f.out = out
	return f
}

func setup(t *testing.T, d *db.DB, opts ...reports.ServiceOption) *fixture {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2023, 8, 10, 9, 0, 0, 0, reports.VietnamTime)
	svc := reports.NewService(d, u, opts...)
	svc.Now = func() time.Time { return clock }
	f := &fixture{svc: svc, acc: accounts.NewService(d), clock: &clock,
		province: actor("Sở TT&TT", authz.ProvinceAdmin, "51", "/51/"),
		baTo:     actor("UBND Ba Tơ", authz.UnitAdmin, "535", "/51/535/"),
		sonTay:   actor("UBND Sơn Tây", authz.UnitAdmin, "530", "/51/530/")}
	svc.Now = func() time.Time { return *f.clock }
	return f
}

func fullDraft() reports.DraftInput {
	return reports.DraftInput{Narratives: map[string]string{"results": "Đã thành lập 19 Tổ Công nghệ số cộng đồng.", "difficulties": "Sóng di động yếu ở các xã vùng cao.", "proposals": "Đề nghị hỗ trợ thiết bị."},
		SignerName: "Phạm Thị Lan", SignerPosition: "Chủ tịch"}
}

func TestWorkflowStatusAndLock(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		// Only the province defines reports.
		if _, _, err := f.svc.CreatePlanPeriod(f.baTo, ""); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("district creating the plan's period: %v", err)
		}
		p, created, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil || !created {
			t.Fatalf("plan period: %v %v", created, err)
		}
		if len(p.UnitCodes) != 13 || p.DueDate != "2023-08-15" || p.Title != reports.PlanTitle {
			t.Fatalf("plan period: %+v", p)
		}
		if again, created, err := f.svc.CreatePlanPeriod(f.province, ""); err != nil || created || again.ID != p.ID {
			t.Fatalf("second plan period: %v %v %v", again.ID, created, err)
		}
		// Sơn Tây cannot open Ba Tơ's report; Ba Tơ opens its own.
		if _, err := f.svc.OpenReport(f.sonTay, p.ID, "535"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("Sơn Tây opening Ba Tơ's report: %v", err)
		}
		if _, err := f.svc.OpenReport(f.province, p.ID, "535"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("province writing Ba Tơ's report: %v", err)
		}
		r, err := f.svc.OpenReport(f.baTo, p.ID, "535")
		if err != nil || r.State != reports.Draft {
			t.Fatalf("open: %v %+v", err, r)
		}
		if _, err := f.svc.FindReport(f.sonTay, r.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("Sơn Tây reading Ba Tơ's report: %v", err)
		}
		// Submitting without narratives is refused; with them, before the due date, on time.
		if _, err := f.svc.Submit(f.baTo, r.ID, reports.DraftInput{}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("empty submit: %v", err)
		}
		r, err = f.svc.Submit(f.baTo, r.ID, fullDraft())
		if err != nil || r.State != reports.Submitted || r.OnTime == nil || !*r.OnTime || len(r.Figures) == 0 {
			t.Fatalf("submit: %v %+v", err, r)
		}
		snapshot := figure(r.Figures, "orgs")
		// Data changes after submission do not change the submitted report.
		if err := d.WriteTx(context.Background(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(context.Background(), "INSERT INTO orgs (name, kind, unit_code, unit_path, path, search_key, created_at, updated_at) VALUES ('Trường Mới', 'school', '535', '/51/535/', '/999/', 'truong moi', 0, 0)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r2, _ := f.svc.FindReport(f.province, r.ID)
		if figure(r2.Figures, "orgs") != snapshot {
			t.Fatalf("snapshot changed: %v → %v", snapshot, figure(r2.Figures, "orgs"))
		}
		// A submitted report awaits review: the district cannot edit it.
		if _, err := f.svc.SaveDraft(f.baTo, r.ID, fullDraft()); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("edit while submitted: %v", err)
		}
		// Only the province returns, and with a comment.
		if _, err := f.svc.Return(f.baTo, r.ID, "x"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("district returning: %v", err)
		}
		if _, err := f.svc.Return(f.province, r.ID, "  "); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("return without comment: %v", err)
		}
		if _, err := f.svc.Return(f.province, r.ID, strings.Repeat("x", reports.MaxComment+1)); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("oversized comment: %v", err)
		}
		r, err = f.svc.Return(f.province, r.ID, "Bổ sung số liệu xã Ba Vì")
		if err != nil || r.State != reports.Returned || r.ReturnComment != "Bổ sung số liệu xã Ba Vì" {
			t.Fatalf("return: %v %+v", err, r)
		}
		// Resubmitted after the due date, it keeps the timeliness of its first submission.
		*f.clock = time.Date(2023, 8, 20, 9, 0, 0, 0, reports.VietnamTime)
		stale := fullDraft()
		stale.Version = 1
		if _, err := f.svc.Submit(f.baTo, r.ID, stale); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("stale version: %v", err)
		}
		if r, err = f.svc.Submit(f.baTo, r.ID, fullDraft()); err != nil || r.State != reports.Submitted || !*r.OnTime {
			t.Fatalf("resubmit: %v %+v", err, r)
		}
		// Replaying an accept is refused; an accepted report is locked with a reason.
		if r, err = f.svc.Accept(f.province, r.ID); err != nil || r.State != reports.Accepted {
			t.Fatalf("accept: %v", err)
		}
		if _, err := f.svc.Accept(f.province, r.ID); !apperr.Is(err, apperr.Locked) {
			t.Fatalf("accept twice: %v", err)
		}
		_, err = f.svc.SaveDraft(f.baTo, r.ID, fullDraft())
		if !apperr.Is(err, apperr.Locked) {
			t.Fatalf("edit after accept: %v", err)
		}
		msg := i18n.MustLoad().T("vi", apperr.As(err).Key, apperr.As(err).Args...)
		if !strings.Contains(msg, "Sở TT&TT") || !strings.Contains(msg, "20/08/2023") {
			t.Errorf("locked message %q does not say who and when", msg)
		}
		// Sơn Tây submits late; Đức Phổ drafts only; the others are missing.
		st, _ := f.svc.OpenReport(f.sonTay, p.ID, "530")
		if _, err := f.svc.Submit(f.sonTay, st.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		status, err := f.svc.PeriodStatus(f.province, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if status.Assigned != 13 || status.Reported != 2 || status.OnTime != 1 || status.Late != 1 || status.Missing != 11 {
			t.Fatalf("status: %+v", status)
		}
		if status.ReportingRate != 2.0/13 || status.OnTimeRate != 1.0/13 {
			t.Errorf("rates %v %v", status.ReportingRate, status.OnTimeRate)
		}
		for _, u := range status.Units {
			switch u.UnitCode {
			case "535":
				if u.State != reports.Accepted || !*u.OnTime {
					t.Errorf("Ba Tơ: %+v", u)
				}
			case "530":
				if u.State != reports.Submitted || *u.OnTime {
					t.Errorf("Sơn Tây: %+v", u)
				}
			default:
				if u.State != reports.Missing || u.OnTime != nil {
					t.Errorf("%s: %+v", u.UnitCode, u)
				}
			}
		}
		// A district sees only itself.
		own, err := f.svc.PeriodStatus(f.baTo, p.ID)
		if err != nil || own.Assigned != 1 || own.Units[0].UnitCode != "535" {
			t.Fatalf("Ba Tơ's status: %v %+v", err, own)
		}
		if list, _ := f.svc.ListReports(f.sonTay, p.ID); len(list) != 1 || list[0].UnitCode != "530" {
			t.Fatalf("Sơn Tây's list: %+v", list)
		}
		// Reopening is the province's, with a reason, and audited.
		if _, err := f.svc.Reopen(f.baTo, r.ID, "x"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("district reopening: %v", err)
		}
		if r, err = f.svc.Reopen(f.province, r.ID, "Sai số liệu"); err != nil || r.State != reports.Returned {
			t.Fatalf("reopen: %v", err)
		}
		// Returned, it counts in neither rate but as returned; the totals still add up.
		if status, err = f.svc.PeriodStatus(f.province, p.ID); err != nil || status.Returned != 1 || status.Reported != 1 || status.Missing != 11 ||
			status.Reported+status.Returned+status.Missing != status.Assigned || status.ReportingRate != 1.0/13 || status.OnTimeRate != 0 {
			t.Errorf("status after reopening: %v %+v", err, status)
		}
		entries, _ := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "report.reopen"})
		if len(entries) != 1 || entries[0].Detail != "Sai số liệu" {
			t.Errorf("reopen audit: %+v", entries)
		}
		// Summary and exports.
		sum, err := f.svc.Summary(f.province, p.ID)
		if err != nil || len(sum.Sections) == 0 || len(sum.Sections[0].Rows) != 1 {
			t.Fatalf("summary: %v %+v", err, sum.Sections)
		}
		if _, err := f.svc.Summary(f.baTo, p.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("district summary: %v", err)
		}
		tr := func(k string, a ...any) string { return i18n.MustLoad().T("vi", k, a...) }
		var x bytes.Buffer
		if err := sum.WriteXLSX(&x, tr); err != nil {
			t.Fatal(err)
		}
		checkXLSX(t, x.Bytes(), 3)
		doc, err := f.svc.Document(f.province, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		x.Reset()
		if err := doc.WriteXLSX(&x, tr); err != nil {
			t.Fatal(err)
		}
		checkXLSX(t, x.Bytes(), 3)
		x.Reset()
		if err := doc.WritePDF(&x, tr); err != nil {
			t.Fatal(err)
		}
		checkPDFText(t, x.Bytes(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ỦY BAN NHÂN DÂN", "HUYỆN SƠN TÂY", "Nơi nhận", "Sơn Tây, ngày 20 tháng 8 năm 2023")
		x.Reset()
		if err := sum.WritePDF(&x, tr, *f.clock); err != nil {
			t.Fatal(err)
		}
		checkPDFText(t, x.Bytes(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "BÁO CÁO TỔNG HỢP")
	})
}

func figure(fields []reports.Field, key string) float64 {
	for _, f := range fields {
		if f.Key == key {
			return f.Value
		}
	}
	return -1
}

func checkXLSX(t *testing.T, b []byte, minSheets int) {
	t.Helper()
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not an xlsx: %v", err)
	}
	if n := len(f.GetSheetList()); n < minSheets {
		t.Errorf("%d sheets, want ≥ %d: %v", n, minSheets, f.GetSheetList())
	}
}

func checkPDFText(t *testing.T, pdf []byte, wants ...string) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	text, ok := pdftest.Text(t, pdf)
	if !ok {
		return
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("PDF text lacks %q:\n%s", w, text)
		}
	}
}

func TestPeriodValidation(t *testing.T) {
	base := reports.PeriodInput{Title: "Báo cáo", PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15", DueDate: "2023-08-15", UnitLevel: "district"}
	cases := map[string]func(*reports.PeriodInput){
		"empty title":      func(p *reports.PeriodInput) { p.Title = " " },
		"long title":       func(p *reports.PeriodInput) { p.Title = strings.Repeat("á", reports.MaxTitle+1) },
		"bad date":         func(p *reports.PeriodInput) { p.DueDate = "15/08/2023" },
		"end before start": func(p *reports.PeriodInput) { p.PeriodEnd = "2023-06-01" },
		"due before start": func(p *reports.PeriodInput) { p.DueDate = "2023-06-01" },
		"both unit kinds":  func(p *reports.PeriodInput) { p.UnitCodes = []string{"535"} },
		"bad level":        func(p *reports.PeriodInput) { p.UnitLevel = "village" },
		"bad new level":    func(p *reports.PeriodInput) { p.UnitLevel, p.ReportingLevel = "", "village" },
		"levels disagree":  func(p *reports.PeriodInput) { p.ReportingLevel = "commune" },
		"bad narrative":    func(p *reports.PeriodInput) { p.Narratives = []string{"poem"} },
		"bad symbol":       func(p *reports.PeriodInput) { p.NumberPrefix = "bc ubnd" },
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
	// No level and no units: the province's default level (decided by the service, which knows the
	// tree), not an error.
	noLevel := base
	noLevel.UnitLevel = ""
	if err := noLevel.Validate(); err != nil {
		t.Errorf("a period without a level refused: %v", err)
	}
	for name, mut := range cases {
		in := base
		mut(&in)
		if err := in.Validate(); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := (reports.DraftInput{Narratives: map[string]string{"results": strings.Repeat("a", reports.MaxNarrative+1)}}).Validate(); err == nil {
		t.Error("oversized narrative accepted")
	}
	if err := (reports.DraftInput{Narratives: map[string]string{"poem": "x"}}).Validate(); err == nil {
		t.Error("unknown narrative accepted")
	}
}

func TestCreatePeriodUnitsAndSections(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		in := reports.PeriodInput{Title: "Báo cáo tháng 9", PeriodStart: "2023-09-01", PeriodEnd: "2023-09-30", DueDate: "2023-10-05", UnitCodes: []string{"535", "530", "535"}, Sections: []string{"foundation"}}
		p, err := f.svc.CreatePeriod(f.province, in)
		if err != nil || len(p.UnitCodes) != 2 {
			t.Fatalf("create: %v %+v", err, p)
		}
		in.UnitCodes = []string{"99999"}
		if _, err := f.svc.CreatePeriod(f.province, in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown unit: %v", err)
		}
		in.UnitCodes, in.Sections = []string{"535"}, []string{"astrology"}
		if _, err := f.svc.CreatePeriod(f.province, in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown section: %v", err)
		}
		// Sections left out: the period carries every figure, as the web form's default does.
		in.Title, in.Sections = "Báo cáo không chọn mục", nil
		if all, err := f.svc.CreatePeriod(f.province, in); err != nil || strings.Join(all.Sections, ",") != strings.Join(f.svc.Sections(), ",") || len(all.Sections) == 0 {
			t.Errorf("period without sections: %v %v, want %v", err, all.Sections, f.svc.Sections())
		}
		// A period is invisible to units not assigned to it.
		if _, err := f.svc.FindPeriod(actor("UBND Đức Phổ", authz.UnitAdmin, "534", "/51/534/"), p.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unassigned district sees the period: %v", err)
		}
		if list, _ := f.svc.ListPeriods(actor("UBND Đức Phổ", authz.UnitAdmin, "534", "/51/534/")); len(list) != 0 {
			t.Errorf("unassigned district lists %d periods", len(list))
		}
		learner := actor("hv", authz.Learner, "535", "/51/535/")
		if _, err := f.svc.ListPeriods(learner); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner lists periods: %v", err)
		}
	})
}

func TestRemindersDedupe(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setupOutbox(t, d)
		sys := authz.WithActor(context.Background(), authz.System)
		for _, n := range []accounts.NewUser{
			{Username: "ubnd.bato", Email: "bato@example.vn", Role: authz.UnitAdmin, UnitCode: "535"},
			{Username: "ubnd.sontay", Email: "sontay@example.vn", Role: authz.UnitAdmin, UnitCode: "530"},
			{Username: "ubnd.ducpho", Role: authz.UnitAdmin, UnitCode: "534"}, // no e-mail: nobody to remind
		} {
			n.Password = "mật khẩu thử nghiệm 2023"
			if _, err := f.acc.CreateUser(sys, n); err != nil {
				t.Fatal(err)
			}
		}
		p, _, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil {
			t.Fatal(err)
		}
		// Ten days before the due date: nothing to remind yet.
		*f.clock = time.Date(2023, 8, 5, 9, 0, 0, 0, reports.VietnamTime)
		if res, err := f.svc.SendReminders(f.province); err != nil || res.Queued != 0 {
			t.Fatalf("early reminders: %+v %v", res, err)
		}
		*f.clock = time.Date(2023, 8, 13, 9, 0, 0, 0, reports.VietnamTime)
		r, _ := f.svc.OpenReport(f.sonTay, p.ID, "530")
		if _, err := f.svc.Submit(f.sonTay, r.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendReminders(f.baTo); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("district sending reminders: %v", err)
		}
		res, err := f.svc.SendReminders(f.province)
		if err != nil || res.Queued != 1 {
			t.Fatalf("reminders: %+v %v", res, err)
		}
		msgs, _ := f.out.List(context.Background(), notify.Filter{})
		if len(msgs) != 1 || msgs[0].Recipient != "bato@example.vn" || msgs[0].Kind != notify.ReportReminder || !strings.Contains(msgs[0].Body, "15/08/2023") {
			t.Fatalf("queued: %+v", msgs)
		}
		if res, err := f.svc.SendReminders(f.province); err != nil || res.Queued != 0 {
			t.Fatalf("replayed reminders: %+v %v", res, err)
		}
		// By hand, one period at a time: the other period due the same day is left alone, and
		// the answer counts the administrators who have no address to remind.
		q, err := f.svc.CreatePeriod(f.province, reports.PeriodInput{Title: "Báo cáo bổ sung", PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15",
			DueDate: "2023-08-15", UnitCodes: []string{"530", "534"}, Sections: []string{"foundation"}})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.RemindPeriod(f.province, p.ID); err != nil || res.Queued != 0 || res.WithoutEmail != 1 {
			t.Fatalf("reminders of the plan's period: %+v %v", res, err)
		}
		if res, err := f.svc.RemindPeriod(f.province, q.ID); err != nil || res.Queued != 1 || res.Periods != 1 || res.WithoutEmail != 1 {
			t.Fatalf("reminders of the other period: %+v %v", res, err)
		}
		if msgs, _ := f.out.List(context.Background(), notify.Filter{}); len(msgs) != 2 || msgs[0].Recipient != "sontay@example.vn" { // newest first
			t.Fatalf("queued: %+v", msgs)
		}
		if _, err := f.svc.RemindPeriod(f.province, 999999); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown period: %v", err)
		}
		if _, err := f.svc.RemindPeriod(f.baTo, q.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("district reminding: %v", err)
		}
	})
}

// TestSignerKept: like the narratives, the signer changes only when the input names it.
func TestSignerKept(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		p, _, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.svc.OpenReport(f.baTo, p.ID, "535")
		if _, err := f.svc.SaveDraft(f.baTo, r.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		var in reports.DraftInput
		if err := json.Unmarshal([]byte(`{"narratives":{"results":"Đã thành lập 20 Tổ."}}`), &in); err != nil {
			t.Fatal(err)
		}
		if r, err = f.svc.Submit(f.baTo, r.ID, in); err != nil || r.SignerName != "Phạm Thị Lan" || r.SignerPosition != "Chủ tịch" || r.Narratives["results"] != "Đã thành lập 20 Tổ." {
			t.Fatalf("submit without a signer: %v %+v", err, r)
		}
		doc, err := f.svc.Document(f.province, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var x bytes.Buffer
		if err := doc.WritePDF(&x, func(k string, a ...any) string { return i18n.MustLoad().T("vi", k, a...) }); err != nil {
			t.Fatal(err)
		}
		checkPDFText(t, x.Bytes(), "CHỦ TỊCH", "Phạm Thị Lan")
		// A key present but empty clears; unknown keys are refused as before.
		if err := json.Unmarshal([]byte(`{"signer_position":""}`), &in); err != nil || !in.SignerPositionGiven || in.SignerNameGiven {
			t.Errorf("presence: %+v %v", in, err)
		}
		if err := json.Unmarshal([]byte(`{"signer":"x"}`), &in); err == nil {
			t.Errorf("unknown key accepted")
		}
	})
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 7: "7", 1234: "1.234", 10000000: "10.000.000", 12.5: "12,50", -1234: "-1.234"} {
		if got := reports.FormatNumber(v); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0%", 1: "100%", 0.875: "87,5%", 2.0 / 13: "15,4%"} {
		if got := reports.Percent(v); got != want {
			t.Errorf("Percent(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestDistrictMap(t *testing.T) {
	shapes, err := reports.DistrictMap(map[string]float64{"535": 0.95, "530": 0.1})
	if err != nil || len(shapes) != 13 {
		t.Fatalf("%d shapes, %v", len(shapes), err)
	}
	w, h := reports.MapSize()
	for _, s := range shapes {
		if !strings.HasPrefix(s.D, "M") || strings.Count(s.D, "L") < 20 {
			t.Errorf("%s: path %.40s", s.Code, s.D)
		}
		if s.LabelX < 0 || s.LabelX > w || s.LabelY < 0 || s.LabelY > h {
			t.Errorf("%s: label outside the box", s.Code)
		}
		switch s.Code {
		case "535":
			if s.Bucket != 4 {
				t.Errorf("Ba Tơ bucket %d", s.Bucket)
			}
		case "530":
			if s.Bucket != 0 {
				t.Errorf("Sơn Tây bucket %d", s.Bucket)
			}
		default:
			if s.Bucket != -1 {
				t.Errorf("%s bucket %d", s.Code, s.Bucket)
			}
		}
	}
}

func TestDashboardsAndCache(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		dash, err := f.svc.PublicDashboard(context.Background(), "51", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(dash.Children) != 13 || len(dash.Map) != 13 || dash.ChildKind != "district" || dash.Measure.Key == "" {
			t.Fatalf("province dashboard: %d children, %d shapes, kind %s, measure %+v", len(dash.Children), len(dash.Map), dash.ChildKind, dash.Measure)
		}
		if len(dash.Series) == 0 || len(dash.Series[0].Points) != 10 {
			t.Fatalf("series: %+v", dash.Series)
		}
		if figure(dash.Headline, "communes") != 173 {
			t.Errorf("communes: %v", figure(dash.Headline, "communes"))
		}
		// A new organisation shows within a minute, not before the cache expires.
		before := figure(dash.Headline, "orgs")
		if err := d.WriteTx(context.Background(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(context.Background(), "INSERT INTO orgs (name, kind, unit_code, unit_path, path, search_key, created_at, updated_at) VALUES ('Trường Mới', 'school', '535', '/51/535/', '/999/', 'truong moi', 0, 0)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		*f.clock = f.clock.Add(30 * time.Second)
		dash, _ = f.svc.PublicDashboard(context.Background(), "51", 10)
		if got := figure(dash.Headline, "orgs"); got != before {
			t.Errorf("within the cache's minute: %v, want the cached %v", got, before)
		}
		*f.clock = f.clock.Add(reports.CacheTTL)
		dash, _ = f.svc.PublicDashboard(context.Background(), "51", 10)
		if got := figure(dash.Headline, "orgs"); got != before+1 {
			t.Errorf("after the cache's minute: %v, want %v", got, before+1)
		}
		// District and commune dashboards; scope.
		if _, err := f.svc.UnitDashboard(f.sonTay, "535", 10); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Sơn Tây reading Ba Tơ's dashboard: %v", err)
		}
		bt, err := f.svc.UnitDashboard(f.baTo, "535", 10)
		if err != nil || bt.ChildKind != "commune" || len(bt.Children) != 19 || len(bt.Map) != 0 {
			t.Fatalf("Ba Tơ's dashboard: %v %s %d", err, bt.ChildKind, len(bt.Children))
		}
		if _, err := f.svc.UnitDashboard(context.Background(), "535", 10); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("anonymous district dashboard: %v", err)
		}
		c, err := f.svc.UnitDashboard(f.baTo, bt.Children[0].Code, 10)
		if err != nil || c.ChildKind != "team" || len(c.Trail) != 2 {
			t.Fatalf("commune dashboard: %v %+v", err, c.Trail)
		}
	})
}
