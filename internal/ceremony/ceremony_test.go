package ceremony_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

type fixture struct {
	t       *testing.T
	d       *db.DB
	svc     *ceremony.Service
	units   *units.Service
	bus     *events.Broker
	now     time.Time
	sys     context.Context
	starts  time.Time
	ceremID int64
}

func as(a *authz.Actor) context.Context { return authz.WithActor(context.Background(), a) }

func unitActor(role authz.Role, u units.Unit) *authz.Actor {
	return &authz.Actor{Username: string(role) + "." + u.Code, Grants: []authz.Grant{{Role: role, UnitCode: u.Code, UnitPath: u.Path}}}
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, d: d, units: units.NewService(d), sys: authz.WithActor(context.Background(), authz.System)}
	if _, err := f.units.SeedQuangNgai(f.sys); err != nil {
		t.Fatal(err)
	}
	f.bus = events.New(d, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	f.svc = ceremony.NewService(d, f.units, f.bus)
	// The ceremony starts at 08:00 Vietnam time on 15 July 2023; "now" is 10 minutes before.
	f.starts = time.Date(2023, 7, 15, 8, 0, 0, 0, ceremony.VietnamTime)
	f.now = f.starts.Add(-10 * time.Minute)
	f.svc.Now = func() time.Time { return f.now }
	c, err := f.svc.Create(f.sys, ceremony.Ceremony{Title: "Lễ phát động Phong trào chuyển đổi số", StartsAt: f.starts, Venue: "Trung tâm IOC tỉnh"})
	if err != nil {
		t.Fatal(err)
	}
	f.ceremID = c.ID
	return f
}

// rebuild replaces the fixture's service with one built with opts over the same database, bus and
// clock: the hooks and the outbox are given at construction only, and the service keeps no other
// state, so this is the service as it would have been built.
func (f *fixture) rebuild(opts ...ceremony.ServiceOption) {
	f.svc = ceremony.NewService(f.d, f.units, f.bus, opts...)
	f.svc.Now = func() time.Time { return f.now }
}

// outbox is an outbox on the fixture's clock.
func (f *fixture) outbox() *notify.Service {
	n := notify.NewService(f.d)
	n.Now = func() time.Time { return f.now }
	return n
}

func (f *fixture) unit(code string) units.Unit {
	f.t.Helper()
	u, err := f.units.Find(f.sys, code)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func kindOf(err error) apperr.Kind { return apperr.As(err).Kind }

func TestCreateAndValidate(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c, err := f.svc.Find(f.sys, f.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Steps) != 5 || c.Steps[3].Title != "Nghi lễ nhấn nút phát động phong trào" || !c.StartsAt.Equal(f.starts) {
			t.Fatalf("default programme: %+v", c.Steps)
		}
		bad := []ceremony.Ceremony{
			{Title: "", StartsAt: f.starts},
			{Title: "x", StartsAt: time.Time{}},
			{Title: strings.Repeat("á", ceremony.MaxTitle+1), StartsAt: f.starts},
			{Title: "x", StartsAt: f.starts, RoomLink: "javascript:alert(1)"},
			{Title: "x", StartsAt: f.starts, Steps: []ceremony.Step{{Title: " "}}},
		}
		for i, b := range bad {
			if _, err := f.svc.Create(f.sys, b); kindOf(err) != apperr.Invalid {
				t.Errorf("bad ceremony %d: %v", i, err)
			}
		}
		// Only a province administrator creates ceremonies.
		if _, err := f.svc.Create(as(unitActor(authz.UnitAdmin, f.unit("535"))), ceremony.Ceremony{Title: "x", StartsAt: f.starts}); kindOf(err) != apperr.Forbidden {
			t.Errorf("unit admin created a ceremony: %v", err)
		}
		// Steps can be reordered before the day, and on it while none has run; not after the day.
		f.now = f.starts.Add(-48 * time.Hour)
		c, err = f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "B"}, {Title: "A"}})
		if err != nil || len(c.Steps) != 2 || c.Steps[0].Title != "B" || c.Steps[1].Position != 2 {
			t.Fatalf("replace steps: %v %+v", err, c.Steps)
		}
		f.now = f.starts.Add(-time.Hour)
		if _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "C"}}); err != nil {
			t.Errorf("steps not changed on the day: %v", err)
		}
		f.now = f.starts.Add(24 * time.Hour)
		if _, err := f.svc.ReplaceSteps(f.sys, f.ceremID, []ceremony.Step{{Title: "D"}}); apperr.As(err).Key != "ceremony.error.steps_over" {
			t.Errorf("steps changed after the day: %v", err)
		}
	})
}

func TestGenerateRegenerateAndScope(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		res, err := f.svc.GeneratePoints(f.sys, f.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 187 || res.Total != 187 {
			t.Fatalf("generate: %+v", res)
		}
		all, err := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byLevel := map[ceremony.Level]int{}
		for _, p := range all {
			byLevel[p.Level]++
		}
		if byLevel[ceremony.Main] != 1 || byLevel[ceremony.District] != 13 || byLevel[ceremony.Commune] != 173 {
			t.Fatalf("levels: %v", byLevel)
		}
		lySon, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "536"})
		if len(lySon) != 1 || lySon[0].Level != ceremony.District || lySon[0].UnitCode != "536" {
			t.Fatalf("Lý Sơn points: %+v", lySon)
		}
		// Scope: Ba Tơ's administrator sees Ba Tơ's point and its communes', nothing else.
		baTo := f.unit("535")
		mine, _ := f.svc.ListPoints(as(unitActor(authz.UnitAdmin, baTo)), f.ceremID, ceremony.PointFilter{})
		communes, _ := f.units.Count(f.sys, units.Filter{ParentCode: "535", Level: units.Commune})
		if len(mine) != 1+communes {
			t.Fatalf("Ba Tơ admin sees %d points, want %d", len(mine), 1+communes)
		}
		for _, p := range mine {
			if !strings.HasPrefix(p.UnitPath, baTo.Path) {
				t.Fatalf("out of scope point %s", p.Name)
			}
		}
		if none, _ := f.svc.ListPoints(as(&authz.Actor{Grants: []authz.Grant{{Role: authz.Learner, UnitCode: "535", UnitPath: baTo.Path}}}), f.ceremID, ceremony.PointFilter{}); len(none) != 0 {
			t.Fatalf("a learner sees %d points", len(none))
		}
		// An operator touches their own point only.
		var commune, other ceremony.Point
		for _, p := range mine {
			if p.Level == ceremony.Commune {
				if commune.ID == 0 {
					commune = p
				} else if other.ID == 0 {
					other = p
				}
			}
		}
		op := as(unitActor(authz.BridgeOperator, f.unit(commune.UnitCode)))
		if _, err := f.svc.UpdatePoint(op, f.ceremID, commune.ID, ceremony.PointDetails{Address: "Hội trường UBND xã", ContactName: "Đinh Văn A", ContactPhone: "0912 345 678",
			Expected: map[string]int{"commune_leaders": 3, "commune_team": 12}}); err != nil {
			t.Fatal(err)
		}
		// Point events reach every viewer: they carry no contact's phone or name.
		var leaked int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM events WHERE name = 'point' AND (data LIKE ? OR data LIKE ?)",
			"%0912 345 678%", "%Đinh Văn A%").Scan(&leaked); err != nil || leaked != 0 {
			t.Fatalf("contact data in point events: %d %v", leaked, err)
		}
		if _, err := f.svc.SetChecklist(op, f.ceremID, other.ID, ceremony.Checklist{Line: true}); kindOf(err) != apperr.NotFound {
			t.Errorf("operator touched another point: %v", err)
		}
		if _, err := f.svc.FindPoint(op, f.ceremID, other.ID); kindOf(err) != apperr.NotFound {
			t.Errorf("operator saw another point: %v", err)
		}
		// Bad details are refused.
		for i, bad := range []ceremony.PointDetails{{ContactPhone: "<script>"}, {RoomLink: "ftp://x"}, {Expected: map[string]int{"province_leaders": 1}}, {Expected: map[string]int{"commune_team": -1}}} {
			if _, err := f.svc.UpdatePoint(op, f.ceremID, commune.ID, bad); kindOf(err) != apperr.Invalid {
				t.Errorf("bad details %d: %v", i, err)
			}
		}
		// On air needs the whole checklist.
		if _, err := f.svc.SetOnAir(op, f.ceremID, commune.ID, true); kindOf(err) != apperr.Conflict {
			t.Errorf("on air with an empty checklist: %v", err)
		}
		p, err := f.svc.SetChecklist(op, f.ceremID, commune.ID, ceremony.Checklist{Line: true, Camera: true, Microphone: true, Screen: true, Sound: true, Rehearsal: true})
		if err != nil || p.State != ceremony.Ready {
			t.Fatalf("checklist: %v %s", err, p.State)
		}
		if p, err = f.svc.SetOnAir(op, f.ceremID, commune.ID, true); err != nil || p.State != ceremony.OnAir {
			t.Fatalf("on air: %v %s", err, p.State)
		}
		f.now = f.now.Add(ceremony.LostAfter + time.Second)
		if p, _ = f.svc.FindPoint(op, f.ceremID, commune.ID); p.State != ceremony.Lost {
			t.Fatalf("silent point is %s, want lost", p.State)
		}
		if p, err = f.svc.Heartbeat(op, f.ceremID, commune.ID); err != nil || p.State != ceremony.OnAir {
			t.Fatalf("heartbeat: %v %s", err, p.State)
		}
		if p, err = f.svc.SetAttendance(op, f.ceremID, commune.ID, map[string]int{"commune_leaders": 2, "commune_team": 10}); err != nil || p.ActualTotal() != 12 || p.ExpectedTotal() != 15 {
			t.Fatalf("attendance: %v %+v", err, p.Attendance)
		}

		// The unit tree changes: the commune is merged away. Regeneration retires its point and
		// keeps what was entered; the other points are untouched.
		if err := f.units.Retire(f.sys, commune.UnitCode, other.UnitCode, "2024-01-01"); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.GeneratePoints(f.sys, f.ceremID)
		if err != nil || res.Added != 0 || res.Retired != 1 || res.Total != 186 {
			t.Fatalf("regenerate: %v %+v", err, res)
		}
		kept, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{IncludeRetired: true, DistrictCode: "535"})
		found := false
		for _, k := range kept {
			if k.ID == commune.ID {
				found = true
				if !k.Retired || k.Address != "Hội trường UBND xã" || k.ActualTotal() != 12 {
					t.Fatalf("retired point lost its data: %+v", k)
				}
			}
		}
		if !found {
			t.Fatal("retired point deleted")
		}
		if _, err := f.svc.SetChecklist(op, f.ceremID, commune.ID, ceremony.Checklist{}); kindOf(err) != apperr.Conflict {
			t.Errorf("a retired point changed: %v", err)
		}
	})
}

func auditCount(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	list, err := audit.List(context.Background(), d.Reader(), audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestLaunchOnceRolesAndWindow(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		var hookCalls int
		var mu sync.Mutex
		f.rebuild(ceremony.WithLaunchHooks(func(ctx context.Context, tx *db.Tx, c ceremony.Ceremony, at time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			hookCalls++
			if c.ID != f.ceremID || at.IsZero() {
				t.Errorf("hook got %d %v", c.ID, at)
			}
			return nil
		}))
		// Other roles are refused and audited.
		for _, a := range []*authz.Actor{unitActor(authz.UnitAdmin, f.unit("535")), unitActor(authz.BridgeOperator, f.unit("51"))} {
			if _, err := f.svc.Launch(as(a), f.ceremID); kindOf(err) != apperr.Forbidden {
				t.Fatalf("%s launched: %v", a.Username, err)
			}
		}
		if n := auditCount(t, d, "ceremony.launch_refused"); n != 2 {
			t.Fatalf("refusals audited: %d", n)
		}
		// Outside the window: too early, and the next day.
		for _, at := range []time.Time{f.starts.Add(-31 * time.Minute), time.Date(2023, 7, 16, 0, 0, 0, 0, ceremony.VietnamTime)} {
			f.now = at
			if _, err := f.svc.Launch(f.sys, f.ceremID); kindOf(err) != apperr.Forbidden || !strings.Contains(apperr.As(err).Key, "window") {
				t.Fatalf("launch at %v: %v", at, err)
			}
		}
		if n := auditCount(t, d, "ceremony.launch_refused"); n != 4 {
			t.Fatalf("refusals audited: %d", n)
		}
		// A designated leader (any role) may launch.
		acc := accounts.NewService(d)
		leader, err := acc.CreateUser(f.sys, accounts.NewUser{Username: "chu.tich", Password: "mật khẩu lãnh đạo 2023", Role: authz.Learner, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetLeaders(f.sys, f.ceremID, []int64{leader.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetLeaders(f.sys, f.ceremID, []int64{leader.ID, 999999}); kindOf(err) != apperr.Invalid {
			t.Fatalf("unknown leader accepted: %v", err)
		}
		c, _ := f.svc.Find(f.sys, f.ceremID)
		if !ceremony.MayLaunch(&authz.Actor{UserID: leader.ID}, c) || ceremony.MayLaunch(&authz.Actor{UserID: leader.ID + 1}, c) {
			t.Fatal("MayLaunch wrong for leaders")
		}

		// Within the window: a subscriber waits for the launch.
		f.now = f.starts.Add(-5 * time.Minute)
		ch, cancel, err := f.svc.Subscribe(f.sys, f.ceremID, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		// Ten presses at once, from the leader and administrators: one launch.
		var wg sync.WaitGroup
		results := make([]time.Time, 10)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := f.sys
				if i%2 == 0 {
					ctx = as(&authz.Actor{UserID: leader.ID, Username: "chu.tich", Grants: leader.Grants})
				}
				at, err := f.svc.Launch(ctx, f.ceremID)
				if err != nil {
					t.Error(err)
				}
				results[i] = at
			}()
		}
		wg.Wait()
		want := f.now.Add(ceremony.LaunchDelay).Truncate(time.Second).Add(time.Second)
		for i, r := range results {
			if !r.Equal(want) {
				t.Fatalf("press %d got %v, want %v", i, r, want)
			}
		}
		if hookCalls != 1 {
			t.Fatalf("hook ran %d times", hookCalls)
		}
		if n := auditCount(t, d, "ceremony.launch"); n != 1 {
			t.Fatalf("launch audited %d times", n)
		}
		// The launch event carries the moment (exactly one is stored: checked below).
		for {
			var ev events.Event
			select {
			case ev = <-ch:
			case <-time.After(20 * time.Second):
				t.Fatal("no launch event")
			}
			if ev.Name == "launch" {
				if !strings.Contains(string(ev.Data), want.UTC().Format(time.RFC3339)) {
					t.Fatalf("launch event %s", ev.Data)
				}
				break
			}
		}
		// A later press, even after the window, answers the same moment and publishes nothing.
		f.now = f.starts.Add(48 * time.Hour)
		if at, err := f.svc.Launch(f.sys, f.ceremID); err != nil || !at.Equal(want) {
			t.Fatalf("repeat: %v %v", at, err)
		}
		last, _ := f.svc.LastEventID(f.sys, f.ceremID)
		rows, _ := d.Reader().QueryContext(context.Background(), "SELECT COUNT(*) FROM events WHERE topic = ? AND name = 'launch'", ceremony.Topic(f.ceremID))
		var n int
		rows.Next()
		rows.Scan(&n)
		rows.Close()
		if n != 1 || last < 1 {
			t.Fatalf("launch events stored: %d (last id %d)", n, last)
		}
	})
}

func TestDelegatesInvitationCheckInReport(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		mainPts, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Main})
		main := mainPts[0]
		dl, err := f.svc.AddDelegate(f.sys, f.ceremID, main.ID, ceremony.Delegate{FullName: "Nguyễn Văn Bình", Position: "Phó Chủ tịch", Organisation: "UBND tỉnh", Group: "province_leaders"})
		if err != nil {
			t.Fatal(err)
		}
		// A group of another level, or no name, is refused.
		for _, bad := range []ceremony.Delegate{{FullName: "X", Group: "commune_team"}, {FullName: " ", Group: "province_leaders"}, {FullName: "X", Group: "province_leaders", Phone: "=cmd|"}} {
			if _, err := f.svc.AddDelegate(f.sys, f.ceremID, main.ID, bad); kindOf(err) != apperr.Invalid {
				t.Errorf("bad delegate %+v: %v", bad, err)
			}
		}
		pdf, _, err := f.svc.Invitation(f.sys, f.ceremID, dl.ID, "https://lantoa.quangngai.gov.vn")
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pdf) < 5000 {
			t.Fatalf("invitation: %v, %d bytes", err, len(pdf))
		}
		// A district administrator does not see the main site's delegates.
		baTo := as(unitActor(authz.UnitAdmin, f.unit("535")))
		if _, _, err := f.svc.Invitation(baTo, f.ceremID, dl.ID, "https://x"); kindOf(err) != apperr.NotFound {
			t.Errorf("invitation out of scope: %v", err)
		}
		if _, _, err := f.svc.CheckIn(baTo, f.ceremID, dl.Token); kindOf(err) != apperr.NotFound {
			t.Errorf("check-in out of scope: %v", err)
		}
		if _, _, err := f.svc.CheckIn(f.sys, f.ceremID, "not-a-token"); kindOf(err) != apperr.NotFound {
			t.Errorf("bad token: %v", err)
		}
		got, already, err := f.svc.CheckIn(f.sys, f.ceremID, dl.Token)
		if err != nil || already || got.CheckedInAt.IsZero() {
			t.Fatalf("check-in: %v %v %+v", err, already, got)
		}
		if _, already, err = f.svc.CheckIn(f.sys, f.ceremID, dl.Token); err != nil || !already {
			t.Fatalf("second check-in: %v %v", err, already)
		}
		var buf bytes.Buffer
		if err := f.svc.AttendanceReport(f.sys, f.ceremID, i18n.MustLoad().Translator("vi"), &buf); err != nil {
			t.Fatal(err)
		}
		header, rows, err := sheet.ReadTable(bytes.NewReader(buf.Bytes()), sheet.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 187 || header[0] != "Điểm cầu" {
			t.Fatalf("report: %v, %d rows", header, len(rows))
		}
		if r := rows[0].Fields; r[0] != "Tỉnh Quảng Ngãi" || r[6] != "1" || r[7] != "1" {
			t.Fatalf("main site row: %v", r)
		}
	})
}
