package ceremony_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// tenants is Quảng Ngãi's deployment with the whole of Hà Nội beside it: each province's
// administrator, a national administrator, and the outreach module following both ceremonies.
type tenants struct {
	*fixture
	acc          *accounts.Service
	out          *outreach.Service
	hn, qn, nat  *authz.Actor
	qnUser       accounts.User
	qnPoint      ceremony.Point
	qnCamp, hnCp outreach.Campaign
}

func (x *tenants) user(username string, n accounts.NewUser) (accounts.User, *authz.Actor) {
	x.t.Helper()
	n.Username, n.Password = username, "mật khẩu thử nghiệm 2023"
	u, err := x.acc.CreateUser(x.sys, n)
	if err != nil {
		x.t.Fatalf("%s: %v", username, err)
	}
	return u, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}
}

func newTenants(t *testing.T, d *db.DB) *tenants {
	t.Helper()
	x := &tenants{fixture: newFixture(t, d), acc: accounts.NewService(d)}
	if _, err := x.units.Import(x.sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
		t.Fatal(err)
	}
	_, x.hn = x.user("so.tttt.hanoi", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "01"})
	_, x.qn = x.user("so.tttt", accounts.NewUser{Role: authz.ProvinceAdmin, UnitCode: "51"})
	_, x.nat = x.user("quoc.gia", accounts.NewUser{Role: authz.NationalAdmin})
	x.qnUser, _ = x.user("lanh.dao.qn", accounts.NewUser{Role: authz.Learner, UnitCode: "51"})
	x.out = outreach.NewService(d, x.acc)
	t.Cleanup(x.out.Close)
	if err := x.out.SeedSkills(x.sys); err != nil {
		t.Fatal(err)
	}
	x.rebuild(ceremony.WithNotify(x.outbox(), ""), ceremony.WithLaunchHooks(func(ctx context.Context, tx *db.Tx, c ceremony.Ceremony, at time.Time) error {
		return x.out.StartFromLaunch(ctx, tx, c.Province, at)
	}))
	var err error
	if x.qnCamp, err = x.out.CreateCampaign(as(x.qn), outreach.Campaign{Name: "Ra quân Quảng Ngãi", FollowCeremony: true}); err != nil {
		t.Fatal(err)
	}
	if x.hnCp, err = x.out.CreateCampaign(as(x.hn), outreach.Campaign{Name: "Ra quân Hà Nội", FollowCeremony: true}); err != nil {
		t.Fatal(err)
	}
	if x.qnCamp.Province != "51" || x.hnCp.Province != "01" {
		t.Fatalf("campaigns' provinces: %q %q", x.qnCamp.Province, x.hnCp.Province)
	}
	if _, err := x.svc.GeneratePoints(as(x.qn), x.ceremID); err != nil {
		t.Fatal(err)
	}
	pts, err := x.svc.ListPoints(as(x.qn), x.ceremID, ceremony.PointFilter{DistrictCode: "535", Level: ceremony.District})
	if err != nil || len(pts) != 1 {
		t.Fatalf("Ba Tơ point: %v %d", err, len(pts))
	}
	x.qnPoint = pts[0]
	return x
}

// hidden fails unless err answers "not found" for an object outside the actor's scope.
func hidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apperr.Is(err, apperr.NotFound) || !apperr.Denial(err) {
		t.Errorf("%s: %v, want hidden (not found, out of scope)", what, err)
	}
}

// forbidden fails unless err is a refusal of a change to an object the actor reads.
func forbiddenErr(t *testing.T, what string, err error) {
	t.Helper()
	if kindOf(err) != apperr.Forbidden {
		t.Errorf("%s: %v, want forbidden", what, err)
	}
}

// A Hà Nội administrator reaches nothing of Quảng Ngãi's ceremony: every read and every change
// answers "not found", as for a ceremony that does not exist. The national administrator reads it
// all and changes none of it.
func TestCeremonyOfAnotherProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := newTenants(t, d)
		id, pid := x.ceremID, x.qnPoint.ID
		f := x.fixture
		f.now = f.starts.Add(-72 * time.Hour) // the programme may still change
		dl, err := x.svc.AddDelegate(as(x.qn), id, pid, ceremony.Delegate{FullName: "Đinh Văn Hùng", Group: "district_leaders"})
		if err != nil {
			t.Fatal(err)
		}
		hn := as(x.hn)
		calls := map[string]func(ctx context.Context) error{
			"Find": func(ctx context.Context) error { _, err := x.svc.Find(ctx, id); return err },
			"Update": func(ctx context.Context) error {
				v := "Đổi tên"
				_, err := x.svc.Update(ctx, id, ceremony.Changes{Title: &v})
				return err
			},
			"ReplaceSteps": func(ctx context.Context) error {
				_, err := x.svc.ReplaceSteps(ctx, id, []ceremony.Step{{Title: "X"}})
				return err
			},
			"EditStep": func(ctx context.Context) error {
				_, err := x.svc.EditStep(ctx, id, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 1})
				return err
			},
			"SetStep":      func(ctx context.Context) error { _, err := x.svc.SetStep(ctx, id, 1); return err },
			"SetLeaders":   func(ctx context.Context) error { _, err := x.svc.SetLeaders(ctx, id, nil); return err },
			"ChangeLeader": func(ctx context.Context) error { _, err := x.svc.ChangeLeader(ctx, id, x.qnUser.ID, true); return err },
			"LeaderID":     func(ctx context.Context) error { _, err := x.svc.LeaderID(ctx, id, "lanh.dao.qn"); return err },
			"Leaders":      func(ctx context.Context) error { _, err := x.svc.Leaders(ctx, id); return err },
			"ScheduleRehearsal": func(ctx context.Context) error {
				_, err := x.svc.ScheduleRehearsal(ctx, id, ceremony.Rehearsal{StartsAt: f.starts})
				return err
			},
			"GeneratePoints": func(ctx context.Context) error { _, err := x.svc.GeneratePoints(ctx, id); return err },
			"Launch":         func(ctx context.Context) error { _, err := x.svc.Launch(ctx, id); return err },
			"UpdatePoint": func(ctx context.Context) error {
				_, err := x.svc.UpdatePoint(ctx, id, pid, ceremony.PointDetails{Address: "X"})
				return err
			},
			"SetChecklist": func(ctx context.Context) error {
				_, err := x.svc.SetChecklist(ctx, id, pid, ceremony.Checklist{Line: true})
				return err
			},
			"SetOnAir":  func(ctx context.Context) error { _, err := x.svc.SetOnAir(ctx, id, pid, false); return err },
			"Heartbeat": func(ctx context.Context) error { _, err := x.svc.Heartbeat(ctx, id, pid); return err },
			"SetAttendance": func(ctx context.Context) error {
				_, err := x.svc.SetAttendance(ctx, id, pid, map[string]int{"district_leaders": 1})
				return err
			},
			"AddDelegate": func(ctx context.Context) error {
				_, err := x.svc.AddDelegate(ctx, id, pid, ceremony.Delegate{FullName: "X", Group: "district_leaders"})
				return err
			},
			"UpdateDelegate": func(ctx context.Context) error {
				_, err := x.svc.UpdateDelegate(ctx, id, dl.ID, ceremony.Delegate{FullName: "Y", Group: "district_leaders"})
				return err
			},
			"DeleteDelegate": func(ctx context.Context) error { return x.svc.DeleteDelegate(ctx, id, dl.ID) },
			"CheckIn":        func(ctx context.Context) error { _, _, err := x.svc.CheckIn(ctx, id, dl.Token); return err },
			"ChasePoint":     func(ctx context.Context) error { _, err := x.svc.ChasePoint(ctx, id, pid); return err },
			"ChaseDistrict":  func(ctx context.Context) error { _, err := x.svc.ChaseDistrict(ctx, id, "535"); return err },
		}
		reads := map[string]func(ctx context.Context) error{
			"Rehearsals": func(ctx context.Context) error { _, err := x.svc.Rehearsals(ctx, id); return err },
			"ListPoints": func(ctx context.Context) error {
				_, err := x.svc.ListPoints(ctx, id, ceremony.PointFilter{})
				return err
			},
			"FindPoint": func(ctx context.Context) error { _, err := x.svc.FindPoint(ctx, id, pid); return err },
			"Delegates": func(ctx context.Context) error { _, err := x.svc.Delegates(ctx, id, pid); return err },
			"Invitation": func(ctx context.Context) error {
				_, _, err := x.svc.Invitation(ctx, id, dl.ID, "https://x")
				return err
			},
			"Subscribe": func(ctx context.Context) error {
				_, cancel, err := x.svc.Subscribe(ctx, id, -1)
				if cancel != nil {
					cancel()
				}
				return err
			},
			"AttendanceReport": func(ctx context.Context) error {
				var buf bytes.Buffer
				return x.svc.AttendanceReport(ctx, id, i18n.MustLoad().Translator("vi"), &buf)
			},
		}
		for name, call := range calls {
			hidden(t, "Hà Nội "+name, call(hn))
		}
		for name, call := range reads {
			hidden(t, "Hà Nội "+name, call(hn))
		}
		// The national administrator reads everything and changes nothing: forbidden, not hidden.
		nat := as(x.nat)
		for name, call := range reads {
			if err := call(nat); err != nil {
				t.Errorf("national %s: %v", name, err)
			}
		}
		delete(calls, "Find")
		for name, call := range calls {
			forbiddenErr(t, "national "+name, call(nat))
		}
		if pts, _ := x.svc.ListPoints(nat, id, ceremony.PointFilter{}); len(pts) != 187 {
			t.Errorf("national reads %d points", len(pts))
		}
		// Nothing changed: Quảng Ngãi's ceremony is as its administrator left it.
		c, _ := x.svc.Find(as(x.qn), id)
		if c.Title != "Lễ phát động Phong trào chuyển đổi số" || c.CurrentStep != 0 || c.Launched() || len(c.Steps) != 5 || len(c.LeaderIDs) != 0 {
			t.Errorf("Quảng Ngãi's ceremony changed: %+v", c)
		}
		if n := auditCount(t, d, "ceremony.chase"); n != 0 {
			t.Errorf("%d chases", n)
		}
		// The national administrator's refused press is audited under the ceremony's province.
		// (Hà Nội's presses never reached the ceremony: nothing to audit there but the web layer's
		// denial.)
		var refused string
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT unit_path FROM audit_log WHERE action = 'ceremony.launch_refused'").Scan(&refused); err != nil || refused != "/51/" {
			t.Errorf("national refusal audited under %q: %v", refused, err)
		}
		// Listings: each province its own, the national administrator all of them.
		hnCer, err := x.svc.Create(hn, ceremony.Ceremony{Title: "Lễ phát động Hà Nội", StartsAt: f.starts})
		if err != nil {
			t.Fatal(err)
		}
		for who, want := range map[*authz.Actor][]int64{x.hn: {hnCer.ID}, x.qn: {id}, x.nat: {hnCer.ID, id}} {
			list, err := x.svc.List(as(who))
			var got []int64
			for _, c := range list {
				got = append(got, c.ID)
			}
			if err != nil || len(got) != len(want) {
				t.Errorf("%s lists %v (%v), want %v", who.Username, got, err, want)
			}
		}
		hidden(t, "Quảng Ngãi reading Hà Nội's", func() error { _, err := x.svc.Find(as(x.qn), hnCer.ID); return err }())
		hidden(t, "Quảng Ngãi launching Hà Nội's", func() error { _, err := x.svc.Launch(as(x.qn), hnCer.ID); return err }())
	})
}

// Hà Nội's administrator holds Hà Nội's own ceremony from start to launch: the points come from Hà
// Nội's tree (1 + 30 + 579), the launch reaches Hà Nội's screens only and starts Hà Nội's campaign
// only; the public summary of each province shows its own ceremony.
func TestHaNoiRunsItsOwnCeremony(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		x := newTenants(t, d)
		f := x.fixture
		hn := as(x.hn)
		// Bad input: another province, an unknown code, a district's code; the national
		// administrator creates none.
		for _, c := range []struct {
			who      *authz.Actor
			province string
			want     apperr.Kind
		}{{x.hn, "51", apperr.Forbidden}, {x.hn, "99", apperr.Invalid}, {x.hn, "001", apperr.Invalid}, {x.nat, "", apperr.Forbidden}, {x.nat, "01", apperr.Forbidden}} {
			if _, err := x.svc.Create(as(c.who), ceremony.Ceremony{Province: c.province, Title: "Lễ thử", StartsAt: f.starts}); kindOf(err) != c.want {
				t.Errorf("%s creating for %q: %v, want %v", c.who.Username, c.province, err, c.want)
			}
		}
		// The command line names the province when the deployment holds several.
		if _, err := x.svc.Create(f.sys, ceremony.Ceremony{Title: "Lễ thử", StartsAt: f.starts}); apperr.As(err).Key != "ceremony.error.province_required" {
			t.Errorf("no province on a two-province deployment: %v", err)
		}
		c, err := x.svc.Create(hn, ceremony.Ceremony{Title: "Lễ phát động Phong trào chuyển đổi số thành phố Hà Nội", StartsAt: f.starts})
		if err != nil {
			t.Fatal(err)
		}
		if c.Province != "01" || !strings.Contains(c.Steps[2].Title, "UBND thành phố") {
			t.Fatalf("Hà Nội's ceremony: %q %q", c.Province, c.Steps[2].Title)
		}
		res, err := x.svc.GeneratePoints(hn, c.ID)
		if err != nil || res.Added != 610 || res.Total != 610 {
			t.Fatalf("generate: %v %+v", err, res)
		}
		pts, err := x.svc.ListPoints(hn, c.ID, ceremony.PointFilter{})
		if err != nil {
			t.Fatal(err)
		}
		levels := map[ceremony.Level]int{}
		for _, p := range pts {
			levels[p.Level]++
			if !strings.HasPrefix(p.UnitPath, "/01/") {
				t.Fatalf("point %s outside Hà Nội: %s", p.Name, p.UnitPath)
			}
		}
		if levels[ceremony.Main] != 1 || levels[ceremony.District] != 30 || levels[ceremony.Commune] != 579 {
			t.Fatalf("levels %v", levels)
		}
		// Quảng Ngãi's still has its 187.
		if qn, _ := x.svc.ListPoints(as(x.qn), x.ceremID, ceremony.PointFilter{}); len(qn) != 187 {
			t.Fatalf("Quảng Ngãi has %d points", len(qn))
		}
		// Leaders come from the ceremony's own province.
		if _, err := x.svc.LeaderID(hn, c.ID, "lanh.dao.qn"); kindOf(err) != apperr.Invalid {
			t.Errorf("a Quảng Ngãi user as Hà Nội's leader: %v", err)
		}
		if _, err := x.svc.SetLeaders(hn, c.ID, []int64{x.qnUser.ID}); kindOf(err) != apperr.Invalid {
			t.Errorf("a Quảng Ngãi user among Hà Nội's leaders: %v", err)
		}
		// A reminder to a Hà Nội point names Hà Nội and belongs to the point's unit.
		var hnPoint ceremony.Point
		for _, p := range pts {
			if p.Level == ceremony.District {
				hnPoint = p
				break
			}
		}
		if _, err := x.svc.UpdatePoint(hn, c.ID, hnPoint.ID, ceremony.PointDetails{ContactName: "Nguyễn Văn Kỹ", ContactPhone: "0912 345 678"}); err != nil {
			t.Fatal(err)
		}
		x.user("van.hanh.hanoi", accounts.NewUser{Role: authz.BridgeOperator, UnitCode: hnPoint.UnitCode, Email: "van.hanh@hanoi.example.vn"})
		if r, err := x.svc.ChasePoint(hn, c.ID, hnPoint.ID); err != nil || r.Queued != 2 {
			t.Fatalf("chase: %v %+v", err, r)
		}
		rows, err := d.Reader().QueryContext(context.Background(), "SELECT channel, body, unit_path FROM notify_messages WHERE kind = ?", string(notify.ReadinessChaser))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var channel, body, unitPath string
			if err := rows.Scan(&channel, &body, &unitPath); err != nil {
				t.Fatal(err)
			}
			if unitPath != hnPoint.UnitPath || (channel == string(notify.Email) && (!strings.Contains(body, "thành phố Hà Nội") || strings.Contains(body, "Quảng Ngãi"))) {
				t.Errorf("reminder by %s: %q under %q", channel, body, unitPath)
			}
		}
		rows.Close()

		// Screens: Hà Nội's and Quảng Ngãi's, each on its own ceremony.
		hnStream, cancel, err := x.svc.Subscribe(hn, c.ID, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		qnStream, cancel2, err := x.svc.Subscribe(as(x.qn), x.ceremID, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel2()
		at, err := x.svc.Launch(hn, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, hnStream); ev.Name != "launch" {
			t.Fatalf("Hà Nội's screen got %s", ev.Name)
		}
		// Quảng Ngãi's screen: the next thing it hears is its own programme, not Hà Nội's launch.
		if _, err := x.svc.SetStep(as(x.qn), x.ceremID, 1); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, qnStream); ev.Name != "step" {
			t.Fatalf("Quảng Ngãi's screen got %s %s", ev.Name, ev.Data)
		}
		// Hà Nội's campaign started with Hà Nội's launch; Quảng Ngãi's waits for its own.
		hnCamp, err := x.out.FindCampaign(hn, x.hnCp.ID)
		if err != nil || !hnCamp.LaunchAt.Equal(at) {
			t.Fatalf("Hà Nội's campaign: %v %v, want %v", err, hnCamp.LaunchAt, at)
		}
		qnCamp, err := x.out.FindCampaign(as(x.qn), x.qnCamp.ID)
		if err != nil || !qnCamp.LaunchAt.IsZero() {
			t.Fatalf("Quảng Ngãi's campaign started with Hà Nội's launch: %v %v", err, qnCamp.LaunchAt)
		}
		if cur, ok, _ := x.out.Current(x.sys, "01"); !ok || cur.ID != x.hnCp.ID {
			t.Errorf("Hà Nội's current campaign: %+v", cur)
		}
		f.now = f.now.Add(time.Minute)
		qnAt, err := x.svc.Launch(as(x.qn), x.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		if qnCamp, _ = x.out.FindCampaign(as(x.qn), x.qnCamp.ID); !qnCamp.LaunchAt.Equal(qnAt) {
			t.Errorf("Quảng Ngãi's campaign after its launch: %v", qnCamp.LaunchAt)
		}
		if hnCamp, _ = x.out.FindCampaign(hn, x.hnCp.ID); !hnCamp.LaunchAt.Equal(at) {
			t.Errorf("Hà Nội's campaign moved with Quảng Ngãi's launch: %v", hnCamp.LaunchAt)
		}
		// Each portal's ceremony is its province's.
		anon := context.Background()
		if pub, ok, err := x.svc.PublicSummary(anon, "01"); err != nil || !ok || pub.ID != c.ID || pub.Points != 610 || !pub.LaunchAt.Equal(at) {
			t.Errorf("Hà Nội's public ceremony: %v %v %+v", err, ok, pub)
		}
		if pub, ok, err := x.svc.PublicSummary(anon, "51"); err != nil || !ok || pub.ID != x.ceremID || pub.Points != 187 {
			t.Errorf("Quảng Ngãi's public ceremony: %v %v %+v", err, ok, pub)
		}
		for _, p := range []string{"", "79"} {
			if _, ok, err := x.svc.PublicSummary(anon, p); ok || err != nil {
				t.Errorf("public ceremony of %q: %v %v", p, ok, err)
			}
		}
		// Hà Nội's own audit entries hang on Hà Nội.
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action IN ('ceremony.create', 'ceremony.points_generate', 'ceremony.launch') AND unit_path = '/01/'").Scan(&n); err != nil || n != 3 {
			t.Errorf("Hà Nội's ceremony audited under /01/: %d %v", n, err)
		}
	})
}
