package ceremony_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func queued(t *testing.T, d *db.DB, kind notify.Kind) []notify.Message {
	t.Helper()
	rows, err := d.Reader().QueryContext(context.Background(), "SELECT channel, recipient, subject, body FROM notify_messages WHERE kind = ? ORDER BY id", string(kind))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []notify.Message
	for rows.Next() {
		var m notify.Message
		if err := rows.Scan(&m.Channel, &m.Recipient, &m.Subject, &m.Body); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestChase(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.rebuild(ceremony.WithNotify(f.outbox(), "https://lantoa.quangngai.gov.vn"))
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		baTo := f.unit("535")
		points, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "535", Level: ceremony.Commune})
		a, b, c := points[0], points[1], points[2]
		// a has an operator with an e-mail address and a technical contact; b is ready; c has nobody.
		acc := accounts.NewService(d)
		if _, err := acc.CreateUser(f.sys, accounts.NewUser{Username: "vanhanh.a", Email: "vanhanh.a@example.vn", Password: "mật khẩu vận hành 2023", Role: authz.BridgeOperator, UnitCode: a.UnitCode}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdatePoint(f.sys, f.ceremID, a.ID, ceremony.PointDetails{ContactName: "Đinh Văn Kỹ", ContactPhone: "0912 345 678"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetChecklist(f.sys, f.ceremID, a.ID, ceremony.Checklist{Line: true, Camera: true}); err != nil {
			t.Fatal(err)
		}
		full := ceremony.Checklist{Line: true, Camera: true, Microphone: true, Screen: true, Sound: true, Rehearsal: true}
		if _, err := f.svc.SetChecklist(f.sys, f.ceremID, b.ID, full); err != nil {
			t.Fatal(err)
		}
		district := as(unitActor(authz.UnitAdmin, baTo))
		sonTay := as(unitActor(authz.UnitAdmin, f.unit("534")))
		operator := as(unitActor(authz.BridgeOperator, f.unit(a.UnitCode)))

		// Out of scope: another district's administrator and the point's own operator get "not found".
		for name, ctx := range map[string]context.Context{"Sơn Tây admin": sonTay, "operator": operator} {
			if _, err := f.svc.ChasePoint(ctx, f.ceremID, a.ID); kindOf(err) != apperr.NotFound {
				t.Errorf("%s chased: %v", name, err)
			}
			if _, err := f.svc.ChaseDistrict(ctx, f.ceremID, "535"); kindOf(err) != apperr.NotFound {
				t.Errorf("%s chased the district: %v", name, err)
			}
		}
		if n := len(queued(t, d, notify.ReadinessChaser)); n != 0 {
			t.Fatalf("refused chases queued %d messages", n)
		}
		// The district's administrator chases a: an e-mail to the operator, an SMS to the contact.
		res, err := f.svc.ChasePoint(district, f.ceremID, a.ID)
		if err != nil || res.Chased != 1 || res.Queued != 2 {
			t.Fatalf("chase: %v %+v", err, res)
		}
		msgs := queued(t, d, notify.ReadinessChaser)
		if len(msgs) != 2 || msgs[0].Channel != notify.Email || msgs[0].Recipient != "vanhanh.a@example.vn" || !strings.Contains(msgs[0].Body, "2/6") ||
			msgs[1].Channel != notify.SMS || msgs[1].Recipient != "0912345678" {
			t.Fatalf("messages: %+v", msgs)
		}
		if n := auditCount(t, d, "ceremony.chase"); n != 1 {
			t.Fatalf("chase audited %d times", n)
		}
		p, _ := f.svc.FindPoint(district, f.ceremID, a.ID)
		if !p.LastChasedAt.Equal(f.now) {
			t.Fatalf("last chased %v, want %v", p.LastChasedAt, f.now)
		}
		// Again within 30 minutes: refused with the times, nothing queued; the province too.
		f.now = f.now.Add(29 * time.Minute)
		for _, ctx := range []context.Context{district, f.sys} {
			if _, err := f.svc.ChasePoint(ctx, f.ceremID, a.ID); kindOf(err) != apperr.Conflict || apperr.As(err).Key != "ceremony.error.chase_too_soon" {
				t.Fatalf("second chase: %v", err)
			}
		}
		// A ready point and a point with nobody to remind are refused with their own messages.
		if _, err := f.svc.ChasePoint(district, f.ceremID, b.ID); apperr.As(err).Key != "ceremony.error.chase_ready" {
			t.Fatalf("ready point chased: %v", err)
		}
		if _, err := f.svc.ChasePoint(district, f.ceremID, c.ID); apperr.As(err).Key != "ceremony.error.chase_nobody" {
			t.Fatalf("point without recipients: %v", err)
		}
		// The whole district: a is skipped (too soon), b is ready, the rest have nobody.
		all, _ := f.svc.ListPoints(district, f.ceremID, ceremony.PointFilter{DistrictCode: "535"})
		res, err = f.svc.ChaseDistrict(district, f.ceremID, "535")
		if err != nil || res.Chased != 0 || res.TooSoon != 1 || res.NoRecipient != len(all)-2 {
			t.Fatalf("district chase: %v %+v (points %d)", err, res, len(all))
		}
		// Past 30 minutes the province chases the district: a goes again.
		f.now = f.now.Add(2 * time.Minute)
		if res, err = f.svc.ChaseDistrict(f.sys, f.ceremID, "535"); err != nil || res.Chased != 1 || res.Queued != 2 {
			t.Fatalf("province district chase: %v %+v", err, res)
		}
		if n := len(queued(t, d, notify.ReadinessChaser)); n != 4 {
			t.Fatalf("%d messages after two chases", n)
		}
		if n := auditCount(t, d, "ceremony.chase"); n != 2 {
			t.Fatalf("chases audited %d times", n)
		}
		// Without an outbox, chasing is unavailable.
		f.rebuild()
		if _, err := f.svc.ChasePoint(f.sys, f.ceremID, a.ID); apperr.As(err).Key != "ceremony.error.no_outbox" {
			t.Fatalf("no outbox: %v", err)
		}
	})
}

func TestEditStepAndLeaders(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.now = f.starts.Add(-72 * time.Hour)
		titles := func(c ceremony.Ceremony) []string {
			var out []string
			for i, st := range c.Steps {
				if st.Position != i+1 {
					t.Fatalf("positions %+v", c.Steps)
				}
				out = append(out, st.Title)
			}
			return out
		}
		c, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDown, Position: 1})
		if got := titles(c); err != nil || got[0] != ceremony.DefaultSteps[1] || got[1] != ceremony.DefaultSteps[0] {
			t.Fatalf("down: %v %q", err, got)
		}
		c, _ = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepUp, Position: 2})
		if got := titles(c); got[0] != ceremony.DefaultSteps[0] {
			t.Fatalf("up: %q", got)
		}
		planned := f.starts.Add(20 * time.Minute)
		c, err = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepUpdate, Position: 3, Title: "  Chủ tịch   UBND tỉnh phát biểu ", PlannedAt: planned})
		if err != nil || c.Steps[2].Title != "Chủ tịch UBND tỉnh phát biểu" || !c.Steps[2].PlannedAt.Equal(planned) {
			t.Fatalf("update: %v %+v", err, c.Steps[2])
		}
		c, _ = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepAdd, Title: "Văn nghệ"})
		if len(c.Steps) != 6 || c.Steps[5].Title != "Văn nghệ" {
			t.Fatalf("add: %+v", c.Steps)
		}
		c, _ = f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 6})
		if len(c.Steps) != 5 {
			t.Fatalf("delete: %+v", c.Steps)
		}
		for i, bad := range []ceremony.StepOp{{Kind: ceremony.StepAdd, Title: " "}, {Kind: ceremony.StepUpdate, Position: 9, Title: "x"}, {Kind: "swap", Position: 1},
			{Kind: ceremony.StepUpdate, Position: 1, Title: strings.Repeat("x", ceremony.MaxTitle+1)}} {
			if _, err := f.svc.EditStep(f.sys, f.ceremID, bad); kindOf(err) != apperr.Invalid {
				t.Errorf("bad op %d: %v", i, err)
			}
		}
		if _, err := f.svc.EditStep(as(unitActor(authz.UnitAdmin, f.unit("535"))), f.ceremID, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 1}); kindOf(err) != apperr.Forbidden {
			t.Errorf("unit admin edited the programme: %v", err)
		}
		if n := auditCount(t, d, "ceremony.steps"); n != 5 {
			t.Fatalf("programme edits audited %d times", n)
		}
		// Leaders by username.
		acc := accounts.NewService(d)
		u, err := acc.CreateUser(f.sys, accounts.NewUser{Username: "pct.tinh", DisplayName: "Phó Chủ tịch", Password: "mật khẩu lãnh đạo 2023", Role: authz.Learner, UnitCode: "51"})
		if err != nil {
			t.Fatal(err)
		}
		if id, err := f.svc.LeaderID(f.sys, f.ceremID, " PCT.tinh "); err != nil || id != u.ID {
			t.Fatalf("leader id: %v %d", err, id)
		}
		if _, err := f.svc.LeaderID(f.sys, f.ceremID, "khong.co"); kindOf(err) != apperr.Invalid {
			t.Fatalf("unknown leader: %v", err)
		}
		if _, err := f.svc.ChangeLeader(f.sys, f.ceremID, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if c, err := f.svc.ChangeLeader(f.sys, f.ceremID, u.ID, true); err != nil || len(c.LeaderIDs) != 1 {
			t.Fatalf("leader added twice: %v %v", err, c.LeaderIDs)
		}
		if _, err := f.svc.ChangeLeader(as(unitActor(authz.UnitAdmin, f.unit("535"))), f.ceremID, u.ID, false); kindOf(err) != apperr.Forbidden {
			t.Fatalf("unit admin removed a leader: %v", err)
		}
		if auditCount(t, d, "ceremony.leader_add") != 1 {
			t.Fatal("leader not audited")
		}
		if ls, err := f.svc.Leaders(f.sys, f.ceremID); err != nil || len(ls) != 1 || ls[0].DisplayName != "Phó Chủ tịch" {
			t.Fatalf("leaders: %v %+v", err, ls)
		}
		// On the day the steps not yet run still change, after the launch too; once launched the
		// leaders are fixed, with their own message.
		f.now = f.starts.Add(-10 * time.Minute)
		if _, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepDelete, Position: 5}); err != nil {
			t.Fatalf("edit on the day: %v", err)
		}
		if _, err := f.svc.Launch(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.EditStep(f.sys, f.ceremID, ceremony.StepOp{Kind: ceremony.StepAdd, Title: "Bế mạc"}); err != nil {
			t.Fatalf("edit after launch: %v", err)
		}
		if n := auditCount(t, d, "ceremony.steps_on_day"); n != 2 {
			t.Fatalf("on-day edits audited %d times", n)
		}
		if _, err := f.svc.SetLeaders(f.sys, f.ceremID, nil); apperr.As(err).Key != "ceremony.error.launched_locked" {
			t.Fatalf("leaders after launch: %v", err)
		}
		if _, err := f.svc.ChangeLeader(f.sys, f.ceremID, u.ID, false); apperr.As(err).Key != "ceremony.error.launched_locked" {
			t.Fatalf("leader removed after launch: %v", err)
		}
	})
}
