package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
	"github.com/xuri/excelize/v2"
)

// day is the Vietnam-time date of t, as periods write it.
func day(t time.Time) string { return t.In(reports.VietnamTime).Format("2006-01-02") }

// sheetRows writes a workbook with write and returns the rows of its sheet named name.
func sheetRows(t *testing.T, write func(io.Writer) error, name string) [][]string {
	t.Helper()
	var x bytes.Buffer
	if err := write(&x); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(x.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := wb.GetRows(name)
	if err != nil {
		t.Fatalf("no sheet %q: %v %v", name, err, wb.GetSheetList())
	}
	return rows
}

// submitFor defines a period of Ba Tơ over [from, to] with the given sections and submits Ba Tơ's
// report, returning its snapshot.
func submitFor(t *testing.T, f *fixture, title string, from, to time.Time, sections ...string) []reports.Field {
	t.Helper()
	return submitReport(t, f, title, from, to, sections...).Figures
}

// submitReport is submitFor's report.
func submitReport(t *testing.T, f *fixture, title string, from, to time.Time, sections ...string) reports.Report {
	t.Helper()
	p, err := f.svc.CreatePeriod(f.province, reports.PeriodInput{Title: title, PeriodStart: day(from), PeriodEnd: day(to), DueDate: day(to.AddDate(0, 0, 5)),
		UnitCodes: []string{"535"}, Sections: sections})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.OpenReport(f.baTo, p.ID, "535")
	if err != nil {
		t.Fatal(err)
	}
	r, err = f.svc.Submit(f.baTo, r.ID, fullDraft())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReportCountsItsPeriodsCampaign is the acceptance contract: a report of a period whose dates
// exclude a later campaign does not count that campaign's records. A period ending inside a
// campaign's window counts the records of its own days only, and enterprises count apart.
func TestReportCountsItsPeriodsCampaign(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		now := time.Now()
		*f.clock = now
		sys := authz.WithActor(context.Background(), authz.System)
		out := outreach.NewService(d, accounts.NewService(d))
		defer out.Close()
		f.svc.Register(reports.OutreachProvider{Svc: out})
		if err := out.SeedSkills(sys); err != nil {
			t.Fatal(err)
		}
		communes, _ := units.NewService(d).List(sys, units.Filter{ParentCode: "535", Limit: 1})
		team, err := out.CreateTeam(sys, outreach.Team{Name: "Tổ CNS cộng đồng số 1", UnitCode: communes[0].Code})
		if err != nil {
			t.Fatal(err)
		}
		member, err := f.acc.CreateUser(sys, accounts.NewUser{Username: "tv.bato", Password: "mật khẩu thử nghiệm 2023", Role: authz.TeamMember, UnitCode: communes[0].Code})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.AddMember(sys, team.ID, "tv.bato", true); err != nil {
			t.Fatal(err)
		}
		// The earlier campaign ran 40 days ago; the later one began an hour ago.
		earlyLaunch := now.AddDate(0, 0, -40)
		_, err = out.CreateCampaign(sys, outreach.Campaign{Name: "7 ngày đợt 1", LaunchAt: earlyLaunch, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.CreateCampaign(sys, outreach.Campaign{Name: "7 ngày đợt 2", LaunchAt: now.Add(-time.Hour), Days: 7}); err != nil {
			t.Fatal(err)
		}
		mctx := authz.WithActor(sys, &authz.Actor{UserID: member.ID, Username: member.Username, Grants: member.Grants})
		n := 0
		record := func(at time.Time, citizen string) {
			t.Helper()
			n++
			if _, err := out.SaveRecord(mctx, outreach.RecordInput{ClientID: fmt.Sprintf("0b6c3f0e-8f0a-4c7e-9d1a-2f4b5c6d7e%02d", n), Citizen: outreach.Citizen{Name: citizen, BirthYear: 1966},
				Skills: []string{"dvc_tinh"}, GuidedAt: at, Consent: &outreach.Consent{Given: true, Version: "v1"}}); err != nil {
				t.Fatal(err)
			}
		}
		// Two citizens on the early campaign's first day, one on its sixth; one in the later campaign.
		record(earlyLaunch.Add(time.Hour), "Đinh Văn Nhiều")
		record(earlyLaunch.Add(2*time.Hour), "Phạm Thị Hoa")
		record(earlyLaunch.AddDate(0, 0, 5), "Đinh Thị Lý")
		record(now.Add(-time.Minute), "Hồ Văn Mười")
		if _, err := out.SaveRecord(mctx, outreach.RecordInput{ClientID: "0b6c3f0e-8f0a-4c7e-9d1a-2f4b5c6d7eff", Enterprise: &outreach.Enterprise{Name: "HTX Nông sản Ba Tơ", TaxCode: "4300123456"},
			Skills: []string{"hoa_don_dien_tu"}, GuidedAt: earlyLaunch.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		out.Close() // flush the counters

		// A period over the early campaign's days, before the later one: its three records only.
		rep := submitReport(t, f, "Báo cáo đợt 1", earlyLaunch.AddDate(0, 0, -1), earlyLaunch.AddDate(0, 0, 10), "outreach")
		figs := rep.Figures
		if figure(figs, "records") != 3 || figure(figs, "citizens") != 3 || figure(figs, "enterprises") != 1 || figure(figs, "enterprise_records") != 1 {
			t.Errorf("period of the early campaign counts: %+v", figs)
		}
		// The report's workbook and PDF show the enterprises beside the citizens, apart.
		doc, err := f.svc.Document(f.province, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		tr := i18n.MustLoad().Translator("vi")
		rows := sheetRows(t, func(w io.Writer) error { return doc.WriteXLSX(w, tr) }, tr("reports.section.outreach"))
		got := map[string]string{}
		for _, row := range rows {
			if len(row) > 1 {
				got[row[0]] = row[1]
			}
		}
		if got["Số doanh nghiệp được hướng dẫn (theo mã số thuế)"] != "1" || got["Số lượt hướng dẫn doanh nghiệp"] != "1" || got["Số lượt hướng dẫn"] != "3" {
			t.Errorf("the workbook's outreach sheet: %v", rows)
		}
		var pdf bytes.Buffer
		if err := doc.WritePDF(&pdf, tr); err != nil {
			t.Fatal(err)
		}
		keepPDF(t, "report-enterprises.pdf", pdf.Bytes())
		if text, ok := pdftest.Text(t, pdf.Bytes()); ok && !strings.Contains(strings.Join(strings.Fields(text), " "), "Số lượt hướng dẫn doanh nghiệp") {
			t.Errorf("the PDF names no enterprises:\n%s", text)
		}
		if figure(figs, "teams") != 1 || figure(figs, "members") != 1 {
			t.Errorf("teams and members: %+v", figs)
		}
		// A period ending on the early campaign's third day counts the records of its own days.
		figs = submitFor(t, f, "Báo cáo giữa đợt 1", earlyLaunch.AddDate(0, 0, -3), earlyLaunch.AddDate(0, 0, 2), "outreach")
		if figure(figs, "records") != 2 || figure(figs, "citizens") != 2 || figure(figs, "enterprises") != 1 {
			t.Errorf("period ending inside the early campaign: %+v", figs)
		}
		// A period between the campaigns counts neither.
		figs = submitFor(t, f, "Báo cáo giữa hai đợt", earlyLaunch.AddDate(0, 0, 15), earlyLaunch.AddDate(0, 0, 20), "outreach")
		if figure(figs, "records") != -1 || figure(figs, "teams") != 1 {
			t.Errorf("period between the campaigns: %+v", figs)
		}
		// The current period counts the later campaign's record, not the earlier's three.
		figs = submitFor(t, f, "Báo cáo đợt 2", now.AddDate(0, 0, -2), now.AddDate(0, 0, 10), "outreach")
		if figure(figs, "records") != 1 || figure(figs, "citizens") != 1 || figure(figs, "enterprises") != 0 {
			t.Errorf("period of the later campaign: %+v", figs)
		}
		// The draft's preview binds to its period the same way.
		p, err := f.svc.CreatePeriod(f.province, reports.PeriodInput{Title: "Xem trước đợt 1", PeriodStart: day(earlyLaunch), PeriodEnd: day(earlyLaunch.AddDate(0, 0, 8)),
			DueDate: day(now), UnitCodes: []string{"535"}, Sections: []string{"outreach"}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.svc.OpenReport(f.baTo, p.ID, "535")
		doc, err = f.svc.Document(f.baTo, r.ID)
		if err != nil || !doc.Preview || figure(doc.Figures, "records") != 3 {
			t.Errorf("preview of the early period: %v %+v", err, doc.Figures)
		}
	})
}

// TestReportCountsItsPeriodsCeremony is Ba Tơ's case: a newer ceremony still without points does
// not make an older period's report show "points 0"; a period that holds no ceremony has no
// ceremony figures.
func TestReportCountsItsPeriodsCeremony(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		now := time.Now()
		*f.clock = now
		sys := authz.WithActor(context.Background(), authz.System)
		cer := ceremony.NewService(d, units.NewService(d), events.New(d, nil))
		p := reports.CeremonyProvider{Svc: cer}
		f.svc.Register(p)
		first, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động Quảng Ngãi", StartsAt: now.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cer.GeneratePoints(sys, first.ID); err != nil {
			t.Fatal(err)
		}
		// A newer ceremony, a month later, has no points yet.
		if _, err := cer.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động đợt 2", StartsAt: now.AddDate(0, 1, 0)}); err != nil {
			t.Fatal(err)
		}
		latest, err := p.Fields(context.Background(), "/51/535/", now)
		if err != nil || figure(latest, "points") != 0 {
			t.Fatalf("the latest ceremony has no points: %v %+v", err, latest)
		}
		figs := submitFor(t, f, "Báo cáo tháng này", now.AddDate(0, 0, -1), now.AddDate(0, 0, 10), "ceremony")
		if figure(figs, "points") < 2 {
			t.Errorf("the period's own ceremony's points: %+v", figs)
		}
		if figs := submitFor(t, f, "Báo cáo tháng sau", now.AddDate(0, 0, 25), now.AddDate(0, 0, 40), "ceremony"); figure(figs, "points") != 0 {
			t.Errorf("the later period's ceremony has no points: %+v", figs)
		}
		if figs := submitFor(t, f, "Báo cáo tháng trước", now.AddDate(0, 0, -40), now.AddDate(0, 0, -10), "ceremony"); len(figs) != 0 {
			t.Errorf("a period without a ceremony: %+v", figs)
		}
	})
}

// TestDashboardMeasureIsOutreachMeasure: on both engines, the dashboard compares districts on
// outreach's one measure (outreach.Tally.Measure, which the portal's map shows too): each
// district's share is its members meeting the target over its members, as outreach counts them.
func TestDashboardMeasureIsOutreachMeasure(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		*f.clock = time.Now()
		sys := authz.WithActor(context.Background(), authz.System)
		out := outreach.NewService(d, accounts.NewService(d))
		defer out.Close()
		f.svc.Register(reports.OutreachProvider{Svc: out})
		if err := out.SeedSkills(sys); err != nil {
			t.Fatal(err)
		}
		if _, err := out.CreateCampaign(sys, outreach.Campaign{Name: "7 ngày", LaunchAt: time.Now().Add(-time.Hour), Days: 7}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, unit := range []string{"535", "535", "530"} {
			team, err := out.CreateTeam(sys, outreach.Team{Name: fmt.Sprintf("Tổ %d", i), UnitCode: unit})
			if err != nil {
				t.Fatal(err)
			}
			u, err := f.acc.CreateUser(sys, accounts.NewUser{Username: fmt.Sprintf("tv.%d", i), Password: "mật khẩu thử nghiệm 2023", Role: authz.TeamMember, UnitCode: unit})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := out.AddMember(sys, team.ID, u.Username, true); err != nil {
				t.Fatal(err)
			}
			m := authz.WithActor(sys, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
			for j := 0; j < 7-2*i; j++ { // 7, 5 and 3 citizens: only the first member meets the target
				n++
				if _, err := out.SaveRecord(m, outreach.RecordInput{ClientID: fmt.Sprintf("3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b%04d", n), Citizen: outreach.Citizen{Name: fmt.Sprintf("Người dân %d", n), BirthYear: 1980},
					Skills: []string{"dvc_tinh"}, GuidedAt: time.Now().Add(-time.Minute), Consent: &outreach.Consent{Given: true, Version: "v1"}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		out.Close()
		prog, err := out.Progress(sys, "51", 0)
		if err != nil {
			t.Fatal(err)
		}
		dash, err := f.svc.PublicDashboard(context.Background(), "51", 7)
		if err != nil || dash.Measure.Key != reports.MeasureKey {
			t.Fatalf("measure: %v %+v", err, dash.Measure)
		}
		share := map[string]float64{}
		for _, c := range dash.Children {
			share[c.Code] = c.Share
		}
		for _, ch := range prog.Children {
			v, of := ch.Measure()
			want := -1.0
			if of > 0 {
				want = float64(v) / float64(of)
			}
			if share[ch.Unit.Code] != want {
				t.Errorf("%s: dashboard %.2f, outreach's measure %d of %d", ch.Unit.Code, share[ch.Unit.Code], v, of)
			}
		}
		if share["535"] != 0.5 || share["530"] != 0 {
			t.Errorf("Ba Tơ %.2f, Sơn Tây %.2f", share["535"], share["530"])
		}
	})
}

// TestSummaryCarriesPublicServices: on both engines, the summary of a province's period carries
// the province's online public services before and after its launch, in its workbook (a sheet
// of its own) and its PDF; a national period's does not.
func TestSummaryCarriesPublicServices(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		launch := time.Date(2025, 3, 20, 8, 0, 0, 0, reports.VietnamTime)
		ps := pubservices.NewService(d, units.NewService(d), func(_ context.Context, p string) (time.Time, error) {
			if p == "51" {
				return launch, nil
			}
			return time.Time{}, nil
		})
		f := setup(t, d, reports.WithPublicServices(ps))
		p, err := f.svc.CreatePeriod(f.province, reports.PeriodInput{Title: "Báo cáo quý II/2025", PeriodStart: "2025-04-01", PeriodEnd: "2025-06-30", DueDate: "2025-07-05",
			UnitCodes: []string{"535"}, Sections: []string{"foundation"}})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := f.svc.Summary(f.province, p.ID)
		if err != nil || sum.PublicServices != nil {
			t.Fatalf("before any statistics: %v %+v", err, sum.PublicServices)
		}
		file := "Mã đơn vị,Tên đơn vị,Tháng,Tổng số hồ sơ tiếp nhận,Hồ sơ trực tuyến,Hồ sơ trực tuyến toàn trình,Hồ sơ thanh toán trực tuyến\n" +
			"21484,Thị trấn Ba Tơ,2025-01,100,20,10,5\n21484,Thị trấn Ba Tơ,2025-02,100,30,10,5\n21484,Thị trấn Ba Tơ,2025-03,100,40,10,5\n" +
			"21484,Thị trấn Ba Tơ,2025-04,100,50,20,10\n21484,Thị trấn Ba Tơ,2025-05,100,60,20,10\n"
		if _, err := ps.Import(f.province, strings.NewReader(file), false); err != nil {
			t.Fatal(err)
		}
		sum, err = f.svc.Summary(f.province, p.ID)
		if err != nil || sum.PublicServices == nil || sum.PublicServices.Before.Months != 2 || sum.PublicServices.After.Months != 2 ||
			sum.PublicServices.Change.OnlineShare == nil || *sum.PublicServices.Change.OnlineShare != 30 {
			t.Fatalf("summary's public services: %v %+v", err, sum.PublicServices)
		}
		tr := i18n.MustLoad().Translator("vi")
		rows := sheetRows(t, func(w io.Writer) error { return sum.WriteXLSX(w, tr) }, tr("pubservices.sheet.compare"))
		found := false
		for _, r := range rows {
			if len(r) == 4 && r[0] == "Tỷ lệ trực tuyến (phần trăm)" {
				found = r[1] == "25" && r[2] == "55" && r[3] == "30"
			}
		}
		if !found {
			t.Errorf("the sheet's online share: %v", rows)
		}
		var pdf bytes.Buffer
		if err := sum.WritePDF(&pdf, tr, time.Now()); err != nil {
			t.Fatal(err)
		}
		keepPDF(t, "summary-public-services.pdf", pdf.Bytes())
		if text, ok := pdftest.Text(t, pdf.Bytes()); ok && !strings.Contains(strings.Join(strings.Fields(text), " "), "+30,0") {
			t.Errorf("the PDF lacks the comparison:\n%s", text)
		}
		// A national period compares provinces with launches of their own: no single comparison.
		nat := authz.WithActor(context.Background(), &authz.Actor{Username: "bo.tt", Grants: []authz.Grant{{Role: authz.NationalAdmin}}})
		np, err := f.svc.CreatePeriod(nat, reports.PeriodInput{Title: "Báo cáo quốc gia", PeriodStart: "2025-04-01", PeriodEnd: "2025-06-30", DueDate: "2025-07-05",
			ReportingLevel: "province", Sections: []string{"foundation"}})
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := f.svc.Summary(nat, np.ID); err != nil || sum.PublicServices != nil {
			t.Errorf("national summary: %v %+v", err, sum.PublicServices)
		}
	})
}
