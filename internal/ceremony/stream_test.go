package ceremony_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/schema"
)

// nextEvent reads the next event, or fails after a while.
func nextEvent(t *testing.T, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return events.Event{}
}

func TestStreamAccessAndScope(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		baToCommunes, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "535", Level: ceremony.Commune})
		sonTayCommunes, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "534", Level: ceremony.Commune})
		baToPoint, sonTayPoint := baToCommunes[0], sonTayCommunes[0]

		// Refused: learners, team members, organisation administrators; anonymous.
		for _, a := range []*authz.Actor{unitActor(authz.Learner, f.unit("535")), unitActor(authz.TeamMember, f.unit(baToPoint.UnitCode)),
			{Username: "org", Grants: []authz.Grant{{Role: authz.OrgAdmin, OrgID: 1, OrgPath: "/1/", UnitPath: "/51/"}}}} {
			if _, _, err := f.svc.Subscribe(as(a), f.ceremID, -1); kindOf(err) != apperr.Forbidden {
				t.Errorf("%s subscribed: %v", a.Username, err)
			}
		}
		if _, _, err := f.svc.Subscribe(context.Background(), f.ceremID, -1); kindOf(err) != apperr.Unauthenticated {
			t.Errorf("anonymous subscribed: %v", err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		last, err := f.svc.LastEventID(ctx, f.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		open := func(a *authz.Actor) <-chan events.Event {
			ch, _, err := f.svc.Subscribe(authz.WithActor(ctx, a), f.ceremID, last)
			if err != nil {
				t.Fatalf("%s: %v", a.Username, err)
			}
			return ch
		}
		province := open(authz.System)
		baToAdmin := open(unitActor(authz.UnitAdmin, f.unit("535")))
		sonTayOp := open(unitActor(authz.BridgeOperator, f.unit(sonTayPoint.UnitCode)))

		// A Sơn Tây commune changes, then a Ba Tơ commune, then the programme moves.
		if _, err := f.svc.SetChecklist(f.sys, f.ceremID, sonTayPoint.ID, ceremony.Checklist{Line: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetChecklist(f.sys, f.ceremID, baToPoint.ID, ceremony.Checklist{Line: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStep(f.sys, f.ceremID, 1); err != nil {
			t.Fatal(err)
		}
		pointOf := func(ev events.Event) string {
			var p struct {
				UnitCode string `json:"unit_code"`
			}
			_ = json.Unmarshal(ev.Data, &p)
			return p.UnitCode
		}
		// The province sees both points, then the step.
		if ev := nextEvent(t, province); ev.Name != "point" || pointOf(ev) != sonTayPoint.UnitCode {
			t.Fatalf("province 1: %s %s", ev.Name, ev.Data)
		}
		if ev := nextEvent(t, province); ev.Name != "point" || pointOf(ev) != baToPoint.UnitCode {
			t.Fatalf("province 2: %s %s", ev.Name, ev.Data)
		}
		if ev := nextEvent(t, province); ev.Name != "step" {
			t.Fatalf("province 3: %s", ev.Name)
		}
		// Ba Tơ's administrator: only Ba Tơ's point, then the step.
		if ev := nextEvent(t, baToAdmin); ev.Name != "point" || pointOf(ev) != baToPoint.UnitCode {
			t.Fatalf("Ba Tơ admin got %s %s", ev.Name, ev.Data)
		}
		if ev := nextEvent(t, baToAdmin); ev.Name != "step" {
			t.Fatalf("Ba Tơ admin then %s", ev.Name)
		}
		// Sơn Tây's operator: their own point, then the step.
		if ev := nextEvent(t, sonTayOp); ev.Name != "point" || pointOf(ev) != sonTayPoint.UnitCode {
			t.Fatalf("operator got %s %s", ev.Name, ev.Data)
		}
		if ev := nextEvent(t, sonTayOp); ev.Name != "step" {
			t.Fatalf("operator then %s", ev.Name)
		}
		// Every stream receives the launch.
		at, err := f.svc.Launch(f.sys, f.ceremID)
		if err != nil {
			t.Fatal(err)
		}
		for name, ch := range map[string]<-chan events.Event{"province": province, "Ba Tơ admin": baToAdmin, "operator": sonTayOp} {
			ev := nextEvent(t, ch)
			var data ceremony.LaunchData
			if ev.Name != "launch" || json.Unmarshal(ev.Data, &data) != nil || data.LaunchAtMs != at.UnixMilli() {
				t.Fatalf("%s got %s %s", name, ev.Name, ev.Data)
			}
		}
		// Someone who is neither an administrator, an operator nor a designated leader may not.
		leader := &authz.Actor{UserID: 4242, Username: "leader", Grants: []authz.Grant{{Role: authz.Learner, UnitCode: "51", UnitPath: "/51/"}}}
		if _, _, err := f.svc.Subscribe(as(leader), f.ceremID, -1); kindOf(err) != apperr.Forbidden {
			t.Fatalf("a non-leader watched: %v", err)
		}
	})
}
