package ceremony_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// The ceremony has no file import (delegates are added one by one); its JSON bodies are fuzzed
// here at the service, decoded as the web layer decodes them.

func strictJSON(body string, v any) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil {
		return false
	}
	var extra json.RawMessage
	return dec.Decode(&extra) != nil
}

type fuzzCeremony struct {
	d     *db.DB
	svc   *ceremony.Service
	sys   context.Context
	id    int64
	point int64
}

func newFuzzCeremony(f *testing.F) *fuzzCeremony {
	f.Helper()
	d := dbtest.SQLite(f, schema.All())
	sys := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "fuzz"})
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	bus := events.New(d, nil)
	f.Cleanup(func() { bus.Close() })
	svc := ceremony.NewService(d, u, bus)
	c, err := svc.Create(sys, ceremony.Ceremony{Title: "Lễ phát động thử", StartsAt: time.Now().Add(10 * 24 * time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.GeneratePoints(sys, c.ID); err != nil {
		f.Fatal(err)
	}
	pts, err := svc.ListPoints(sys, c.ID, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
	if err != nil || len(pts) != 1 {
		f.Fatalf("Ba Tơ point: %v %d", err, len(pts))
	}
	return &fuzzCeremony{d: d, svc: svc, sys: sys, id: c.ID, point: pts[0].ID}
}

func (x *fuzzCeremony) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := x.d.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func userFacing(t *testing.T, err error) {
	t.Helper()
	if ae := apperr.As(err); ae == nil || ae.Kind == apperr.Internal || ae.Key == "" {
		t.Fatalf("refusal is not a user-facing apperr: %v", err)
	}
}

// FuzzDelegateJSON: bodies of POST /api/v1/ceremonies/{id}/bridge-points/{pid}/delegates. No panic;
// a refusal is a user-facing apperr and adds no delegate; an added delegate has a check-in token.
func FuzzDelegateJSON(f *testing.F) {
	f.Add(`{"full_name":"Đinh Văn Tâm","position":"Chủ tịch UBND huyện","organisation":"UBND huyện Ba Tơ","group":"district_leaders","phone":"0905123456"}`)
	f.Add(`{"full_name":"  ","group":"district_leaders"}`)
	f.Add(`{"full_name":"A","group":"khong_co","phone":"abc"}`)
	f.Add(`{"full_name":"` + string(bytes.Repeat([]byte("Nguyễn "), 100)) + `","group":"district_leaders"}`)
	f.Add(`{"full_name":"\u0000\ud800","group":"district_leaders"}`)
	x := newFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, body string) {
		var in struct {
			FullName     string `json:"full_name"`
			Position     string `json:"position"`
			Organisation string `json:"organisation"`
			Group        string `json:"group"`
			Phone        string `json:"phone"`
		}
		if !strictJSON(body, &in) {
			return
		}
		before := x.count(t, "SELECT COUNT(*) FROM ceremony_delegates")
		d, err := x.svc.AddDelegate(x.sys, x.id, x.point, ceremony.Delegate{FullName: in.FullName, Position: in.Position, Organisation: in.Organisation, Group: in.Group, Phone: in.Phone})
		after := x.count(t, "SELECT COUNT(*) FROM ceremony_delegates")
		if err != nil {
			userFacing(t, err)
			if after != before {
				t.Fatalf("a refused delegate was stored (%d → %d)", before, after)
			}
			return
		}
		if after != before+1 || d.ID == 0 || d.Token == "" {
			t.Fatalf("delegate %+v: rows %d → %d", d, before, after)
		}
	})
}

// FuzzPointDetailsJSON: bodies of PATCH /api/v1/ceremonies/{id}/bridge-points/{pid}. No panic; a
// refusal is a user-facing apperr and leaves the point as it was.
func FuzzPointDetailsJSON(f *testing.F) {
	f.Add(`{"address":"Hội trường UBND huyện Ba Tơ","room_link":"https://meet.example.vn/bato","contact_name":"Phạm Văn Sơn","contact_phone":"0905111222","expected":{"district_leaders":12}}`)
	f.Add(`{"room_link":"javascript:alert(1)"}`)
	f.Add(`{"expected":{"district_leaders":-5,"khong_co":1}}`)
	f.Add(`{"contact_phone":"+84 905 111 222","expected":{"district_leaders":1000000000}}`)
	f.Add(`{"address":"` + string(bytes.Repeat([]byte("Thôn "), 200)) + `"}`)
	x := newFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, body string) {
		var in ceremony.PointDetails
		if !strictJSON(body, &in) {
			return
		}
		before, err := x.svc.ListPoints(x.sys, x.id, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := x.svc.UpdatePoint(x.sys, x.id, x.point, in)
		after, ferr := x.svc.ListPoints(x.sys, x.id, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
		if ferr != nil {
			t.Fatal(ferr)
		}
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		if err != nil {
			userFacing(t, err)
			if !bytes.Equal(a, b) {
				t.Fatalf("a refused update changed the point:\n%s\n%s", b, a)
			}
			return
		}
		if p.ID != x.point {
			t.Fatalf("updated point %d, want %d", p.ID, x.point)
		}
		if in.RoomLink != "" && p.RoomLink != "" {
			if l := bytes.ToLower([]byte(p.RoomLink)); !bytes.HasPrefix(l, []byte("https://")) && !bytes.HasPrefix(l, []byte("http://")) {
				t.Fatalf("stored a room link that is not http(s): %q", p.RoomLink)
			}
		}
	})
}
