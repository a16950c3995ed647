package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

const base = "https://lantoa.quangngai.gov.vn"

// TestBuildWiresEveryMessage: what Build returns sends every kind of message through its outbox,
// with links under the site's address, and runs every launch hook. Each was once an assignment
// after construction that a caller could forget, which silently turned that message off.
func TestBuildWiresEveryMessage(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		a, err := app.Build(context.Background(), app.BuildConfig{DB: d, Notify: app.NotifyConfig{BaseURL: base},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		srv := httptest.NewServer(a.Web)
		t.Cleanup(srv.Close)
		sys := authz.WithActor(context.Background(), authz.System)
		queued := func(kind notify.Kind) []notify.Message {
			t.Helper()
			list, err := a.Notify.List(sys, notify.Filter{Kind: kind, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		admin, err := a.Accounts.CreateUser(sys, accounts.NewUser{Username: "so.tttt", Password: "mật khẩu thử nghiệm 2023", Role: authz.ProvinceAdmin, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		token, err := a.Accounts.CreateToken(sys, admin.ID, "test")
		if err != nil {
			t.Fatal(err)
		}

		// Accounts: an account created through the server with an e-mail address is invited.
		body := `{"username":"ubnd.bato","email":"ubnd.bato@example.vn","password":"mật khẩu thử nghiệm 2023","role":"unit_admin","unit_code":"535"}`
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create user: %d %s", resp.StatusCode, b)
		}
		if list := queued(notify.AccountInvitation); len(list) != 1 || list[0].Link != base+"/login" {
			t.Errorf("invitations: %+v", list)
		}

		// Reports: a unit whose report is due is reminded.
		p, err := a.Reports.CreatePeriod(sys, reports.PeriodInput{ProvinceCode: "51", Title: "Báo cáo tháng", PeriodStart: "2023-07-01",
			PeriodEnd: "2023-07-31", DueDate: time.Now().AddDate(0, 0, 2).Format("2006-01-02"), UnitCodes: []string{"535"}})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := a.Reports.RemindPeriod(sys, p.ID); err != nil || res.Queued != 1 {
			t.Fatalf("report reminder: %+v %v", res, err)
		}
		if list := queued(notify.ReportReminder); len(list) != 1 || list[0].Link != fmt.Sprintf("%s/reports/periods/%d", base, p.ID) {
			t.Errorf("report reminders: %+v", list)
		}

		// Training: the learners enrolled in a course hear when its exam is scheduled.
		school, err := a.Orgs.Create(sys, orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		exam := training.Exam{QuestionCount: 2, PassPercent: 50, TimeLimitMinutes: 20}
		c, err := a.Training.CreateCourse(sys, training.Course{Province: "51", Title: "Kỹ năng số cơ bản", Exam: exam})
		if err != nil {
			t.Fatal(err)
		}
		bank := "category,type,question,A,B,C,D,correct\nChung,single,Câu một?,Một,Hai,,,A\nChung,single,Câu hai?,Một,Hai,,,B\n"
		if _, err := a.Training.ImportQuestions(sys, c.ID, strings.NewReader(bank)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Training.Publish(sys, c.ID); err != nil {
			t.Fatal(err)
		}
		learner, err := a.Accounts.Register(sys, accounts.NewUser{Username: "hocsinh.bato", Email: "hs@bato.edu.vn", Password: "mật khẩu thử nghiệm 2023", OrgID: school.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Training.Enrol(authz.WithActor(context.Background(), &authz.Actor{UserID: learner.ID, Username: learner.Username, Grants: learner.Grants}), c.ID); err != nil {
			t.Fatal(err)
		}
		exam.ExamAt = time.Now().Add(72 * time.Hour).Truncate(time.Minute)
		if _, err := a.Training.UpdateExam(sys, c.ID, exam); err != nil {
			t.Fatal(err)
		}
		if list := queued(notify.ExamSchedule); len(list) != 1 || list[0].Link != fmt.Sprintf("%s/courses/%d/exam", base, c.ID) {
			t.Errorf("exam schedules: %+v", list)
		}

		// Ceremony: a bridge point that is not ready is chased; the launch starts the campaign
		// that follows it and refreshes the portal's ceremony page at once.
		camp, err := a.Outreach.CreateCampaign(sys, outreach.Campaign{Province: "51", Name: "Ra quân", FollowCeremony: true})
		if err != nil {
			t.Fatal(err)
		}
		cer, err := a.Ceremony.Create(sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động", StartsAt: time.Now().Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Ceremony.GeneratePoints(sys, cer.ID); err != nil {
			t.Fatal(err)
		}
		pts, err := a.Ceremony.ListPoints(sys, cer.ID, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
		if err != nil || len(pts) != 1 {
			t.Fatalf("Ba Tơ's point: %d %v", len(pts), err)
		}
		if _, err := a.Ceremony.UpdatePoint(sys, cer.ID, pts[0].ID, ceremony.PointDetails{ContactName: "Phạm Văn Kỹ", ContactPhone: "0912 345 678"}); err != nil {
			t.Fatal(err)
		}
		if res, err := a.Ceremony.ChasePoint(sys, cer.ID, pts[0].ID); err != nil || res.Queued == 0 {
			t.Fatalf("chase: %+v %v", res, err)
		}
		if n := len(queued(notify.ReadinessChaser)); n == 0 {
			t.Error("no readiness chaser queued")
		}
		// Ceremony: an invitation goes out with its RSVP link under the configured address, not
		// the one a request came from.
		if _, err := a.Ceremony.AddDelegate(sys, cer.ID, pts[0].ID, ceremony.Delegate{FullName: "Phạm Văn Đồng", Group: "district_leaders", Email: "pvdong@example.vn"}); err != nil {
			t.Fatal(err)
		}
		if res, err := a.Ceremony.SendInvitations(sys, cer.ID, pts[0].ID, "http://attacker.example"); err != nil || res.Sent != 1 {
			t.Fatalf("invitations: %+v %v", res, err)
		}
		if inv := queued(notify.CeremonyInvitation); len(inv) != 1 || !strings.HasPrefix(inv[0].Link, base+"/rsvp/") {
			t.Errorf("invitation queued: %+v", inv)
		}
		if pc, ok, err := a.Portal.Ceremonies.Current(sys, "51"); err != nil || !ok || !pc.LaunchAt.IsZero() {
			t.Fatalf("portal's ceremony before the launch: %+v %v %v", pc, ok, err)
		}
		if _, err := a.Ceremony.SetStep(sys, cer.ID, len(cer.Steps)); err != nil {
			t.Fatal(err)
		}
		at, err := a.Ceremony.Launch(sys, cer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := a.Outreach.Current(sys, "51"); err != nil || got.ID != camp.ID || !got.LaunchAt.Equal(at) {
			t.Errorf("campaign after the launch at %v: %+v %v", at, got, err)
		}
		if pc, _, err := a.Portal.Ceremonies.Current(sys, "51"); err != nil || !pc.LaunchAt.Equal(at) {
			t.Errorf("portal's ceremony after the launch at %v: %+v %v", at, pc, err)
		}
	})
}
