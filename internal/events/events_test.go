package events_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func actor(role authz.Role, code, path string) context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: 0, Username: "u" + code, Grants: []authz.Grant{{Role: role, UnitCode: code, UnitPath: path}}})
}

var (
	now      = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	province = actor(authz.ProvinceAdmin, "51", "/51/")
	baTo     = actor(authz.UnitAdmin, "535", "/51/535/")
	commune  = actor(authz.UnitAdmin, "21484", "/51/535/21484/")
	hanoi    = actor(authz.ProvinceAdmin, "01", "/01/")
	national = authz.WithActor(context.Background(), &authz.Actor{Username: "nat", Grants: []authz.Grant{{Role: authz.NationalAdmin}}})
)

type fixture struct {
	s       *launchevents.Service
	d       *db.DB
	school  orgs.Org
	sonTay  string // a commune of another district
	orgCtx  context.Context
	sonTayC context.Context
}

func setup(t *testing.T, d *db.DB) fixture {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Import(sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
		t.Fatal(err)
	}
	school, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "21484"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := u.List(sys, units.Filter{ParentPath: "/51/530/"})
	if err != nil || len(list) == 0 {
		t.Fatalf("Sơn Tây's communes: %v %v", list, err)
	}
	p := portal.NewService(d)
	p.Now = func() time.Time { return now }
	s := launchevents.NewService(d, func(ctx context.Context, data []byte, alt, prov string) (int64, error) {
		img, err := p.StoreImage(ctx, data, alt, prov)
		return img.ID, err
	})
	s.Now = func() time.Time { return now }
	orgCtx := authz.WithActor(context.Background(), &authz.Actor{Username: "school", Grants: []authz.Grant{{Role: authz.OrgAdmin, OrgID: school.ID, OrgPath: school.Path, UnitPath: school.UnitPath}}})
	return fixture{s: s, d: d, school: school, sonTay: list[0].Code, orgCtx: orgCtx,
		sonTayC: actor(authz.UnitAdmin, list[0].Code, list[0].Path)}
}

func good(unit string) launchevents.Input {
	return launchevents.Input{Title: "Lễ phát động hưởng ứng Phong trào", Kind: launchevents.FollowOn, UnitCode: unit,
		StartsAt: "2026-12-10T08:00", Place: "Hội trường UBND", Host: "Chủ tịch UBND",
		Participants: launchevents.Participants{Officials: 40, YouthMembers: 25, Pupils: 0, Citizens: 120}}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, 10, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ids(list []launchevents.Event) map[int64]bool {
	out := map[int64]bool{}
	for _, e := range list {
		out[e.ID] = true
	}
	return out
}

func TestScopeAcrossLevelsAndProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ev, err := f.s.Create(commune, good("21484"))
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID == 0 || ev.Province != "51" || ev.Level != launchevents.CommuneLevel || ev.ParticipantsTotal != 185 || ev.UnitName == "" {
			t.Fatalf("created: %+v", ev)
		}
		if want := time.Date(2026, 12, 10, 1, 0, 0, 0, time.UTC); !ev.StartsAt.Equal(want) {
			t.Errorf("starts_at %v, want 08:00 Vietnam time", ev.StartsAt)
		}
		in := good("")
		in.OrgID, in.Title, in.Kind = f.school.ID, "Ngày hội chuyển đổi số của trường", launchevents.CommunityDay
		orgEv, err := f.s.Create(f.orgCtx, in)
		if err != nil {
			t.Fatal(err)
		}
		if orgEv.Level != launchevents.OrgLevel || orgEv.OrgName != "Trường THPT Ba Tơ" || orgEv.UnitCode != "21484" {
			t.Fatalf("org event: %+v", orgEv)
		}
		distIn := good("535")
		distIn.Kind = launchevents.YouthLaunch
		distEv, err := f.s.Create(baTo, distIn)
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.s.Create(f.sonTayC, good(f.sonTay))
		if err != nil {
			t.Fatal(err)
		}
		hnEv, err := f.s.Create(hanoi, good("01"))
		if err != nil {
			t.Fatal(err)
		}

		// The levels above see the events below; the province lists by ?unit=51.
		for _, c := range []struct {
			name string
			ctx  context.Context
			f    launchevents.Filter
			want []int64
			not  []int64
		}{
			{"province by unit", province, launchevents.Filter{UnitCode: "51"}, []int64{ev.ID, orgEv.ID, distEv.ID, other.ID}, []int64{hnEv.ID}},
			{"province, all", province, launchevents.Filter{}, []int64{ev.ID, orgEv.ID, distEv.ID, other.ID}, []int64{hnEv.ID}},
			{"district", baTo, launchevents.Filter{}, []int64{ev.ID, orgEv.ID, distEv.ID}, []int64{other.ID, hnEv.ID}},
			{"commune", commune, launchevents.Filter{}, []int64{ev.ID, orgEv.ID}, []int64{distEv.ID, other.ID, hnEv.ID}},
			{"organisation", f.orgCtx, launchevents.Filter{}, []int64{orgEv.ID}, []int64{ev.ID, distEv.ID}},
			{"hanoi", hanoi, launchevents.Filter{}, []int64{hnEv.ID}, []int64{ev.ID, orgEv.ID, distEv.ID, other.ID}},
			{"national, one province", national, launchevents.Filter{Province: "01"}, []int64{hnEv.ID}, []int64{ev.ID}},
			{"kind", province, launchevents.Filter{Kind: launchevents.YouthLaunch}, []int64{distEv.ID}, []int64{ev.ID}},
		} {
			list, err := f.s.List(c.ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := ids(list)
			for _, id := range c.want {
				if !got[id] {
					t.Errorf("%s: event %d missing", c.name, id)
				}
			}
			for _, id := range c.not {
				if got[id] {
					t.Errorf("%s: event %d leaked", c.name, id)
				}
			}
		}
		// Reading another province's event, or a unit outside one's scope, is hidden (audited).
		if _, err := f.s.Find(hanoi, ev.ID); !apperr.Is(err, apperr.NotFound) || !apperr.Denial(err) {
			t.Errorf("Hà Nội reads Quảng Ngãi's event: %v", err)
		}
		if _, err := f.s.Find(f.sonTayC, ev.ID); !apperr.Denial(err) {
			t.Errorf("another district's commune reads the event: %v", err)
		}
		if _, err := f.s.List(hanoi, launchevents.Filter{UnitCode: "51"}); !apperr.Denial(err) {
			t.Errorf("Hà Nội lists Quảng Ngãi: %v", err)
		}
		if _, err := f.s.List(commune, launchevents.Filter{UnitCode: "535"}); !apperr.Denial(err) {
			t.Errorf("a commune lists its district: %v", err)
		}
		// Creating for a unit one does not administer is forbidden; editing another's event too.
		if _, err := f.s.Create(commune, good("535")); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a commune creates for its district: %v", err)
		}
		if _, err := f.s.Create(hanoi, good("21484")); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("Hà Nội creates in Quảng Ngãi: %v", err)
		}
		if _, err := f.s.Create(national, good("21484")); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a national administrator creates a province's event: %v", err)
		}
		if _, err := f.s.Update(f.orgCtx, ev.ID, good("")); !apperr.Denial(err) {
			t.Errorf("the school edits the commune's event: %v", err)
		}
		// The district edits its commune's event (the level above administers it).
		up := good("")
		up.Outcome = "Ra mắt 3 tổ công nghệ số cộng đồng."
		up.Participants.Citizens = 150
		got, err := f.s.Update(baTo, ev.ID, up)
		if err != nil || got.Outcome != up.Outcome || got.ParticipantsTotal != 215 || got.UnitCode != "21484" {
			t.Fatalf("district edits: %+v %v", got, err)
		}

		// Summaries: held by level, by organisation, with participants; upcoming apart.
		sum, err := f.s.Summarise(context.Background(), "/51/535/", time.Time{}, time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if sum.Held != 3 || sum.ByLevel[launchevents.CommuneLevel] != 1 || sum.ByLevel[launchevents.DistrictLevel] != 1 || sum.ByLevel[launchevents.OrgLevel] != 1 {
			t.Errorf("summary: %+v", sum)
		}
		if sum.Participants.Citizens != 150+120+120 || len(sum.ByOrg) != 1 || sum.ByOrg[0].Events != 1 || sum.ByOrg[0].Participants.Total() != 185 {
			t.Errorf("summary participants: %+v", sum)
		}
		// An organisation's subtree: its own events; the unit it lies in reads them too, another
		// district does not.
		list, err := f.s.List(f.orgCtx, launchevents.Filter{OrgID: f.school.ID})
		if err != nil || len(list) != 1 || list[0].ID != orgEv.ID {
			t.Errorf("the school's events: %v %v", list, err)
		}
		if list, err := f.s.List(baTo, launchevents.Filter{OrgID: f.school.ID}); err != nil || len(list) != 1 {
			t.Errorf("Ba Tơ reads the school's events: %v %v", list, err)
		}
		if _, err := f.s.List(f.sonTayC, launchevents.Filter{OrgID: f.school.ID}); !apperr.Denial(err) {
			t.Errorf("Sơn Tây reads the school's events: %v", err)
		}
		osum, err := f.s.SummariseOrg(context.Background(), f.school.Path, time.Time{}, time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil || osum.Held != 1 || osum.ByKind[launchevents.CommunityDay] != 1 || osum.Participants.Total() != 185 {
			t.Errorf("the school's summary: %+v %v", osum, err)
		}
		before, err := f.s.Summarise(context.Background(), "/51/", time.Time{}, now)
		if err != nil || before.Held != 0 || before.Upcoming != 4 {
			t.Errorf("before the events: %+v %v", before, err)
		}
	})
}

func TestBadInput(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		long := func(n int) string { return strings.Repeat("ạ", n) }
		for _, c := range []struct {
			name, field string
			edit        func(*launchevents.Input)
		}{
			{"no title", "title", func(i *launchevents.Input) { i.Title = "  " }},
			{"title too long", "title", func(i *launchevents.Input) { i.Title = long(launchevents.MaxTitle + 1) }},
			{"place too long", "place", func(i *launchevents.Input) { i.Place = long(launchevents.MaxPlace + 1) }},
			{"host too long", "host", func(i *launchevents.Input) { i.Host = long(launchevents.MaxHost + 1) }},
			{"outcome too long", "outcome", func(i *launchevents.Input) { i.Outcome = long(launchevents.MaxOutcome + 1) }},
			{"no place", "place", func(i *launchevents.Input) { i.Place = "" }},
			{"wrong kind", "kind", func(i *launchevents.Input) { i.Kind = "party" }},
			{"empty kind", "kind", func(i *launchevents.Input) { i.Kind = "" }},
			{"bad date", "starts_at", func(i *launchevents.Input) { i.StartsAt = "10/12/2026" }},
			{"too early", "starts_at", func(i *launchevents.Input) { i.StartsAt = "2019-12-31T08:00" }},
			{"too late", "starts_at", func(i *launchevents.Input) { i.StartsAt = "2030-01-01T08:00" }},
			{"negative", "participants.pupils", func(i *launchevents.Input) { i.Participants.Pupils = -1 }},
			{"too many", "participants.citizens", func(i *launchevents.Input) { i.Participants.Citizens = launchevents.MaxGroupCount + 1 }},
			{"NUL", "title", func(i *launchevents.Input) { i.Title = "a\x00b" }},
			{"no owner", "unit_code", func(i *launchevents.Input) { i.UnitCode = "" }},
			{"two owners", "unit_code", func(i *launchevents.Input) { i.OrgID = f.school.ID }},
			{"unknown unit", "unit_code", func(i *launchevents.Input) { i.UnitCode = "99999" }},
			{"unknown org", "org_id", func(i *launchevents.Input) { i.UnitCode, i.OrgID = "", 987654 }},
		} {
			in := good("21484")
			c.edit(&in)
			_, err := f.s.Create(province, in)
			e := apperr.As(err)
			if e == nil || e.Kind != apperr.Invalid || e.Field != c.field {
				t.Errorf("%s: want invalid %s, got %v", c.name, c.field, err)
			}
		}
		// A village holds no event of its own.
		var village string
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT code FROM units WHERE level = 'village' AND path LIKE '/51/%' LIMIT 1").Scan(&village); err == nil {
			if _, err := f.s.Create(province, good(village)); apperr.As(err) == nil || apperr.As(err).Field != "unit_code" {
				t.Errorf("village event: %v", err)
			}
		}
		// Nothing was written.
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM launch_events").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d events written by refused input (%v)", n, err)
		}
		// The longest fields pass.
		in := good("21484")
		in.Title, in.Place, in.Outcome = long(launchevents.MaxTitle), long(launchevents.MaxPlace), long(launchevents.MaxOutcome)
		if _, err := f.s.Create(commune, in); err != nil {
			t.Fatalf("fields at their limits: %v", err)
		}
		// An anonymous caller records nothing.
		if _, err := f.s.Create(context.Background(), good("21484")); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
	})
}

func TestReplayIsOneEvent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		first, err := f.s.Create(commune, good("21484"))
		if err != nil {
			t.Fatal(err)
		}
		// The same request sent again, white space aside, is a duplicate.
		again := good("21484")
		again.Title = "  Lễ phát động   hưởng ứng Phong trào "
		again.StartsAt = "2026-12-10T01:00:00Z"
		if _, err := f.s.Create(commune, again); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("replay: %v", err)
		}
		// Another event of the day is not.
		other := good("21484")
		other.Title = "Ngày hội chuyển đổi số"
		second, err := f.s.Create(commune, other)
		if err != nil {
			t.Fatal(err)
		}
		// Editing the second into the first is refused too, and changes nothing.
		if _, err := f.s.Update(commune, second.ID, good("")); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("edit into a duplicate: %v", err)
		}
		if got, _ := f.s.Find(commune, second.ID); got.Title != other.Title {
			t.Errorf("refused edit changed the event: %+v", got)
		}
		list, _ := f.s.List(province, launchevents.Filter{})
		if got := ids(list); len(list) != 2 || !got[first.ID] || !got[second.ID] {
			t.Errorf("events after the replay: %+v", list)
		}
	})
}

func TestPhotosAndCalendar(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ev, err := f.s.Create(commune, good("21484"))
		if err != nil {
			t.Fatal(err)
		}
		pastIn := good("21484")
		pastIn.Title, pastIn.StartsAt = "Lễ ra quân tình nguyện", "2026-11-20T07:30"
		pastIn.Kind = launchevents.YouthLaunch
		past, err := f.s.Create(commune, pastIn)
		if err != nil {
			t.Fatal(err)
		}
		ph, err := f.s.AddPhoto(commune, ev.ID, pngBytes(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if ph.ImageID == 0 || ph.URL == "" {
			t.Fatalf("photo: %+v", ph)
		}
		// A broken file is refused by the portal's checks; another province, or the school, adds none.
		if _, err := f.s.AddPhoto(commune, ev.ID, []byte("not an image"), ""); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("broken image: %v", err)
		}
		if _, err := f.s.AddPhoto(hanoi, ev.ID, pngBytes(t), ""); !apperr.Denial(err) {
			t.Errorf("Hà Nội adds a photo: %v", err)
		}
		if _, err := f.s.AddPhoto(f.orgCtx, ev.ID, pngBytes(t), ""); !apperr.Denial(err) {
			t.Errorf("the school adds a photo to the commune's event: %v", err)
		}
		for i := 1; i < launchevents.MaxPhotos; i++ {
			if _, err := f.s.AddPhoto(baTo, ev.ID, pngBytes(t), "ảnh"); err != nil {
				t.Fatalf("photo %d: %v", i+1, err)
			}
		}
		if _, err := f.s.AddPhoto(commune, ev.ID, pngBytes(t), ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("photo over the limit: %v", err)
		}
		got, err := f.s.Find(province, ev.ID)
		if err != nil || len(got.Photos) != launchevents.MaxPhotos || got.Photos[0].ImageID != ph.ImageID {
			t.Fatalf("photos: %+v %v", got.Photos, err)
		}
		// The portal's calendar: upcoming soonest first, past latest first; another province sees none.
		up, before, err := f.s.Calendar(context.Background(), "51", now, 50)
		if err != nil || len(up) != 1 || up[0].ID != ev.ID || len(before) != 1 || before[0].ID != past.ID || len(up[0].Photos) != launchevents.MaxPhotos {
			t.Fatalf("calendar: %v %v %v", up, before, err)
		}
		if up, before, _ := f.s.Calendar(context.Background(), "01", now, 50); len(up)+len(before) != 0 {
			t.Errorf("Hà Nội's calendar shows Quảng Ngãi's events")
		}
		if _, err := f.s.PublicFind(context.Background(), "01", ev.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Hà Nội's portal shows the event: %v", err)
		}
		// A wrong photo is unlinked (by whoever may change the event, not by another province); a
		// photo of no event is not found.
		if err := f.s.RemovePhoto(hanoi, ev.ID, ph.ImageID); !apperr.Denial(err) {
			t.Errorf("Hà Nội removes a photo: %v", err)
		}
		if err := f.s.RemovePhoto(commune, ev.ID, ph.ImageID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.RemovePhoto(commune, ev.ID, ph.ImageID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("removing it again: %v", err)
		}
		if got, _ := f.s.Find(commune, ev.ID); len(got.Photos) != launchevents.MaxPhotos-1 {
			t.Errorf("photos after removing one: %d", len(got.Photos))
		}
		// The export: one line an event, with its participants.
		var buf bytes.Buffer
		tr := i18n.MustLoad().Translator("vi")
		if err := f.s.Export(baTo, launchevents.Filter{}, tr, &buf); err != nil {
			t.Fatal(err)
		}
		header, rows, err := sheet.ReadTable(&buf, sheet.DefaultLimits)
		if err != nil || len(rows) != 2 || header[2] != "Tên sự kiện" {
			t.Fatalf("export: %v %d %v", header, len(rows), err)
		}
		// Deleting: not by another province or the national administrator; the district may; the
		// event leaves the lists and the calendar.
		if err := f.s.Delete(hanoi, past.ID); !apperr.Denial(err) {
			t.Errorf("Hà Nội deletes: %v", err)
		}
		if err := f.s.Delete(national, past.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("the national administrator deletes: %v", err)
		}
		if err := f.s.Delete(baTo, past.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Find(province, past.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("deleted event found: %v", err)
		}
		if _, before, _ := f.s.Calendar(context.Background(), "51", now, 50); len(before) != 0 {
			t.Errorf("deleted event on the calendar: %v", before)
		}
		if err := f.s.Delete(commune, ev.ID); err != nil {
			t.Fatalf("deleting an event with photos: %v", err)
		}
		if err := f.s.Export(hanoi, launchevents.Filter{UnitCode: "535"}, tr, &buf); !apperr.Denial(err) {
			t.Errorf("Hà Nội exports Ba Tơ: %v", err)
		}
	})
}
