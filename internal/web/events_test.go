package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/accounts"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func eventPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		img.Set(x, x%48, color.RGBA{0, 90, 160, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// baToEvent records a new event of a Ba Tơ commune (as the command line would), unique per call.
func (e *env) baToEvent() launchevents.Event {
	e.t.Helper()
	e.seq++
	ev, err := e.web.LaunchEvents.Create(e.sys, launchevents.Input{Title: fmt.Sprintf("Lễ phát động hưởng ứng %d", e.seq), Kind: launchevents.FollowOn,
		UnitCode: e.baToCommune, StartsAt: time.Now().Add(48 * time.Hour).Format("2006-01-02T15:04"), Place: "Hội trường UBND xã"})
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// baToEventWithPhoto is baToEvent with one photo: the event's id and the image's.
func (e *env) baToEventWithPhoto() (int64, int64) {
	e.t.Helper()
	ev := e.baToEvent()
	p, err := e.web.LaunchEvents.AddPhoto(e.sys, ev.ID, eventPNG(e.t), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return ev.ID, p.ImageID
}

type eventJSON struct {
	ID                int64  `json:"id"`
	Title             string `json:"title"`
	Kind              string `json:"kind"`
	UnitCode          string `json:"unit_code"`
	Level             string `json:"level"`
	Province          string `json:"province_code"`
	ParticipantsTotal int64  `json:"participants_total"`
	Photos            []struct {
		ImageID int64  `json:"image_id"`
		URL     string `json:"url"`
	} `json:"photos"`
}

// TestLaunchEventsContract is issue 19's acceptance contract: a commune administrator creates an
// event; the province lists it by ?unit=51; a photo attaches to it; it shows on the portal's
// calendar and in the district's and the province's event counts.
func TestLaunchEventsContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		commune := e.mustUser("ubnd.xa", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: e.baToCommune})
		tok, err := e.accounts.CreateToken(e.sys, commune.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		starts := time.Now().Add(72 * time.Hour).In(time.FixedZone("ICT", 7*3600)).Truncate(time.Minute)
		body := map[string]any{"title": "Lễ phát động hưởng ứng Phong trào chuyển đổi số", "kind": "huong_ung", "unit_code": e.baToCommune,
			"starts_at": starts.Format(time.RFC3339), "place": "Nhà văn hóa xã"}
		var created eventJSON
		if st := e.json("POST", "/api/v1/launch-events", tok, body, &created); st != http.StatusCreated || created.ID == 0 {
			t.Fatalf("create: %d %+v", st, created)
		}
		if created.Level != "commune" || created.Province != "51" || created.UnitCode != e.baToCommune {
			t.Errorf("created: %+v", created)
		}
		// A replay is one event: 409, and the list still holds one.
		if st := e.json("POST", "/api/v1/launch-events", tok, body, nil); st != http.StatusConflict {
			t.Errorf("replay: %d", st)
		}
		var list struct {
			Events []eventJSON `json:"events"`
			Count  int         `json:"count"`
		}
		if st := e.json("GET", "/api/v1/launch-events?unit=51", e.tokens["province_admin"], nil, &list); st != 200 || list.Count != 1 || list.Events[0].ID != created.ID {
			t.Fatalf("province's list: %d %+v", st, list)
		}
		// Sơn Tây's administrator neither lists Ba Tơ nor reads the event.
		if st := e.json("GET", "/api/v1/launch-events?unit=535", e.tokens["unit_admin_sontay"], nil, nil); st != http.StatusNotFound {
			t.Errorf("Sơn Tây lists Ba Tơ: %d", st)
		}
		if st := e.json("GET", fmt.Sprintf("/api/v1/launch-events/%d", created.ID), e.tokens["unit_admin_sontay"], nil, nil); st != http.StatusNotFound {
			t.Errorf("Sơn Tây reads the event: %d", st)
		}
		// Bad input: a wrong kind and an oversized title are refused, naming the field, in Vietnamese.
		bad := map[string]any{"title": "X", "kind": "party", "unit_code": e.baToCommune, "starts_at": starts.Format(time.RFC3339), "place": "P"}
		resp, b := e.do("POST", "/api/v1/launch-events", tok, "application/json", mustJSON(bad))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"kind"`) || !strings.Contains(string(b), "Loại sự kiện") {
			t.Errorf("wrong kind: %d %s", resp.StatusCode, b)
		}
		bad["kind"], bad["title"] = "ra_quan", strings.Repeat("ơ", launchevents.MaxTitle+1)
		if resp, b := e.do("POST", "/api/v1/launch-events", tok, "application/json", mustJSON(bad)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"title"`) {
			t.Errorf("long title: %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.do("POST", "/api/v1/launch-events", tok, "application/json", `{"title":"x","colour":"red"}`); resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown field: %d", resp.StatusCode)
		}

		// A photo, as a form upload; then as JSON.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("photo", "anh.png")
		fw.Write(eventPNG(t))
		mw.Close()
		resp, b = e.do("POST", fmt.Sprintf("/api/v1/launch-events/%d/photos", created.ID), tok, mw.FormDataContentType(), buf.String())
		if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"url":"/media/`) {
			t.Fatalf("photo: %d %s", resp.StatusCode, b)
		}
		js := `{"image_base64":"` + base64.StdEncoding.EncodeToString(eventPNG(t)) + `"}`
		if resp, b := e.do("POST", fmt.Sprintf("/api/v1/launch-events/%d/photos", created.ID), tok, "application/json", js); resp.StatusCode != http.StatusCreated {
			t.Fatalf("photo as JSON: %d %s", resp.StatusCode, b)
		}
		if resp, b := e.do("POST", fmt.Sprintf("/api/v1/launch-events/%d/photos", created.ID), tok, "application/json", `{"image_base64":"bm90IGFuIGltYWdl"}`); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("broken photo: %d %s", resp.StatusCode, b)
		}
		var got eventJSON
		if st := e.json("GET", fmt.Sprintf("/api/v1/launch-events/%d", created.ID), e.tokens["unit_admin_bato"], nil, &got); st != 200 || len(got.Photos) != 2 {
			t.Fatalf("event with photos: %d %+v", st, got)
		}
		if resp, _ := e.do("GET", got.Photos[0].URL, "", "", ""); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" && resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("the photo is served: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}

		// The portal's calendar and the event's public page.
		resp, b = e.do("GET", "/su-kien", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Lễ phát động hưởng ứng Phong trào chuyển đổi số") || !strings.Contains(string(b), fmt.Sprintf(`href="/su-kien/%d"`, created.ID)) {
			t.Fatalf("calendar: %d %.500s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", fmt.Sprintf("/su-kien/%d", created.ID), "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), got.Photos[0].URL) || !strings.Contains(string(b), "Nhà văn hóa xã") {
			t.Fatalf("public event page: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", "/su-kien/99999", "", "", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown event: %d", resp.StatusCode)
		}

		// The counts: the district's and the province's reports count it (held once its day has come).
		later := starts.Add(time.Hour)
		for _, path := range []string{"/51/535/", "/51/"} {
			sum, err := e.web.LaunchEvents.Summarise(e.sys, path, time.Time{}, later)
			if err != nil || sum.Held != 1 || sum.ByLevel[launchevents.CommuneLevel] != 1 {
				t.Errorf("count under %s: %+v %v", path, sum, err)
			}
		}
		sum, _ := e.web.LaunchEvents.Summarise(e.sys, "/51/530/", time.Time{}, later)
		if sum.Held != 0 {
			t.Errorf("Sơn Tây counts Ba Tơ's event: %+v", sum)
		}
		// The district's workspace shows it, with the count of events coming.
		bt := e.browser()
		bt.login("unit.admin.bato", testPassword)
		resp, page := bt.get("/workspace")
		if resp.StatusCode != 200 || !strings.Contains(page, `data-task="events"`) || !strings.Contains(page, fmt.Sprintf(`/launch-events/%d`, created.ID)) {
			t.Errorf("district's workspace: %d %.300s", resp.StatusCode, stripTags(page))
		}
		// The export of the list.
		resp, b = e.do("GET", "/launch-events/export?format=xlsx&unit=535", e.tokens["unit_admin_bato"], "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("export: %d %s", resp.StatusCode, b)
		}
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		if len(rows) != 2 || rows[1][2] != "Lễ phát động hưởng ứng Phong trào chuyển đổi số" {
			t.Errorf("export rows: %v", rows)
		}
	})
}

// TestLaunchEventPagesForms: the create form keeps what was typed when it is refused and names the
// field; a good one takes the commune to the event's page.
func TestLaunchEventPagesForms(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		b := e.browser()
		b.login("unit.admin.bato", testPassword)
		v := url.Values{"owner": {"u:" + e.baToCommune}, "kind": {"ra_quan"}, "title": {"Ra quân tình nguyện"}, "starts_at": {"2026-13-40T08:00"},
			"place": {"Sân vận động xã"}, "citizens": {"-5"}}
		resp, page := b.post("/launch-events", v)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Ra quân tình nguyện") || !strings.Contains(page, "Thời gian không hợp lệ") {
			t.Fatalf("refused form: %d %.400s", resp.StatusCode, stripTags(page))
		}
		v.Set("starts_at", time.Now().Add(24*time.Hour).Format("2006-01-02T15:04"))
		resp, page = b.post("/launch-events", v)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Số người tham gia") {
			t.Fatalf("negative count: %d %.400s", resp.StatusCode, stripTags(page))
		}
		v.Set("citizens", "300")
		resp, _ = b.post("/launch-events", v)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/launch-events/") {
			t.Fatalf("created: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		loc := resp.Header.Get("Location")
		resp, page = b.get(loc)
		if resp.StatusCode != 200 || !strings.Contains(page, "Đã thêm sự kiện") || !strings.Contains(page, `value="300"`) {
			t.Fatalf("event page: %d %.400s", resp.StatusCode, stripTags(page))
		}
		// Sơn Tây's administrator does not see it.
		st := e.browser()
		st.login("unit.admin.sontay", testPassword)
		if resp, _ := st.get(loc); resp.StatusCode != http.StatusNotFound {
			t.Errorf("Sơn Tây opens Ba Tơ's event: %d", resp.StatusCode)
		}
	})
}

func eventsMatrixCases() []matrixCase {
	readers := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "national_admin": ok})
	return []matrixCase{
		{"GET /api/v1/launch-events", func(e *env, _ string) (string, string) { e.baToEvent(); return "/api/v1/launch-events", "" }, adminsOnly},
		{"POST /api/v1/launch-events", func(e *env, role string) (string, string) {
			e.seq++
			return "/api/v1/launch-events", fmt.Sprintf(`{"title":"Ngày hội %s %d","kind":"community_day","unit_code":%q,"starts_at":%q,"place":"Chợ xã"}`,
				role, e.seq, e.baToCommune, time.Now().Add(time.Hour).Format(time.RFC3339))
		}, baToAdmins},
		{"GET /api/v1/launch-events/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/launch-events/%d", e.baToEvent().ID), ""
		}, readers},
		{"PUT /api/v1/launch-events/{id}", func(e *env, role string) (string, string) {
			return fmt.Sprintf("/api/v1/launch-events/%d", e.baToEvent().ID), fmt.Sprintf(`{"title":"Đã sửa %s","kind":"huong_ung","starts_at":%q,"place":"Hội trường"}`,
				role, time.Now().Add(time.Hour).Format(time.RFC3339))
		}, baToAdmins},
		{"DELETE /api/v1/launch-events/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/launch-events/%d", e.baToEvent().ID), ""
		}, baToAdmins},
		{"DELETE /api/v1/launch-events/{id}/photos/{image}", func(e *env, _ string) (string, string) {
			ev, img := e.baToEventWithPhoto()
			return fmt.Sprintf("/api/v1/launch-events/%d/photos/%d", ev, img), ""
		}, baToAdmins},
		{"POST /api/v1/launch-events/{id}/live", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/launch-events/%d/live", e.baToEvent().ID), ""
		}, baToAdmins},
		{"POST /api/v1/launch-events/{id}/photos", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/launch-events/%d/photos", e.baToEvent().ID), `{"image_base64":"` + base64.StdEncoding.EncodeToString(eventPNG(e.t)) + `"}`
		}, baToAdmins},
	}
}

func eventsPageCases() []pageCase {
	readers := pageOnly(expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "national_admin": ok}))
	return []pageCase{
		{"GET /launch-events", get("/launch-events"), pageOnly(adminsOnly)},
		{"POST /launch-events", func(e *env, role string) (string, url.Values) {
			e.seq++
			return "/launch-events", form("owner", "u:"+e.baToCommune, "kind", "huong_ung", "title", fmt.Sprintf("Phát động %s %d", role, e.seq),
				"starts_at", time.Now().Add(time.Hour).Format("2006-01-02T15:04"), "place", "Hội trường")
		}, pageOnly(baToAdmins)},
		{"GET /launch-events/export", get("/launch-events/export?format=xlsx"), pageOnly(adminsOnly)},
		{"GET /launch-events/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/launch-events/%d", e.baToEvent().ID), nil
		}, readers},
		{"POST /launch-events/{id}", func(e *env, role string) (string, url.Values) {
			return fmt.Sprintf("/launch-events/%d", e.baToEvent().ID), form("kind", "ra_quan", "title", "Đã sửa "+role,
				"starts_at", time.Now().Add(time.Hour).Format("2006-01-02T15:04"), "place", "Sân trường")
		}, pageOnly(baToAdmins)},
		{"POST /launch-events/{id}/photos", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/launch-events/%d/photos", e.baToEvent().ID), form(fileField, string(eventPNG(e.t)))
		}, pageOnly(baToAdmins)},
		// The event's live screen (a hosted ceremony): its unit's administrators open it; opened
		// again, it is the same screen.
		{"POST /launch-events/{id}/live", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/launch-events/%d/live", e.baToEvent().ID), form()
		}, pageOnly(baToAdmins)},
		{"POST /launch-events/{id}/delete", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/launch-events/%d/delete", e.baToEvent().ID), form()
		}, pageOnly(baToAdmins)},
		{"POST /launch-events/{id}/photos/{image}/remove", func(e *env, _ string) (string, url.Values) {
			ev, img := e.baToEventWithPhoto()
			return fmt.Sprintf("/launch-events/%d/photos/%d/remove", ev, img), form()
		}, pageOnly(baToAdmins)},
		{"GET /su-kien", get("/su-kien"), pagePublic},
		{"GET /su-kien/{id}", func(e *env, _ string) (string, url.Values) {
			return fmt.Sprintf("/su-kien/%d", e.baToEvent().ID), nil
		}, pagePublic},
	}
}

// TestLaunchEventsCalendarPerProvince: each province's portal shows its own events only, under its
// prefix; another province's event is not found there.
func TestLaunchEventsCalendarPerProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ev := e.baToEvent()
		resp, b := e.do("GET", "/tinh/51/su-kien", "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), ev.Title) || !strings.Contains(string(b), fmt.Sprintf(`href="/tinh/51/su-kien/%d"`, ev.ID)) {
			t.Fatalf("Quảng Ngãi's calendar: %d", resp.StatusCode)
		}
		if resp, b := e.do("GET", "/tinh/01/su-kien", "", "", ""); resp.StatusCode != 200 || strings.Contains(string(b), ev.Title) {
			t.Errorf("Hà Nội's calendar: %d, shows Quảng Ngãi's event: %v", resp.StatusCode, strings.Contains(string(b), ev.Title))
		}
		if resp, _ := e.do("GET", fmt.Sprintf("/tinh/01/su-kien/%d", ev.ID), "", "", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("Quảng Ngãi's event on Hà Nội's portal: %d", resp.StatusCode)
		}
		if resp, b := e.do("GET", fmt.Sprintf("/tinh/51/su-kien/%d", ev.ID), "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), ev.Title) {
			t.Errorf("the event's page: %d", resp.StatusCode)
		}
		// The sitemap of Quảng Ngãi's portal lists the calendar and the event; Hà Nội's does not.
		if resp, b := e.do("GET", "/tinh/51/sitemap.xml", "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf("/tinh/51/su-kien/%d</loc>", ev.ID)) {
			t.Errorf("Quảng Ngãi's sitemap: %d %.300s", resp.StatusCode, b)
		}
		if _, b := e.do("GET", "/tinh/01/sitemap.xml", "", "", ""); strings.Contains(string(b), fmt.Sprintf("/su-kien/%d<", ev.ID)) {
			t.Errorf("Hà Nội's sitemap lists Quảng Ngãi's event")
		}
		// The provincial youth union sees its district union's "ra quân" in its workspace.
		hd, err := e.web.LaunchEvents.Create(e.sys, launchevents.Input{Title: "Ra quân tình nguyện số", Kind: launchevents.YouthLaunch,
			OrgID: e.orgIDs["hd-bato"], StartsAt: time.Now().Add(-24 * time.Hour).Format(time.RFC3339), Place: "Sân vận động",
			Participants: launchevents.Participants{YouthMembers: 70}})
		if err != nil {
			t.Fatal(err)
		}
		// The district's and the province's dashboards count it among the events held.
		for _, code := range []string{"535", "51"} {
			var dash struct {
				Headline []struct {
					Section, Key string
					Value        float64
				}
			}
			if st := e.json("GET", "/api/v1/dashboard/units/"+code, e.tokens["province_admin"], nil, &dash); st != 200 {
				t.Fatalf("dashboard %s: %d", code, st)
			}
			got := map[string]float64{}
			for _, f := range dash.Headline {
				if f.Section == "events" {
					got[f.Key] = f.Value
				}
			}
			if got["events_held"] != 1 || got["events_level_org"] != 1 || got["events_participants_youth_members"] != 70 {
				t.Errorf("dashboard of %s: events %v", code, got)
			}
		}
		td := e.browser()
		td.login("org.admin.tinhdoan", testPassword)
		resp, page := td.get("/workspace")
		if resp.StatusCode != 200 || !strings.Contains(page, fmt.Sprintf("/launch-events/%d", hd.ID)) || strings.Contains(page, fmt.Sprintf("/launch-events/%d\"", ev.ID)) ||
			!strings.Contains(page, "Đã tổ chức 1 · sắp diễn ra 0 · 70 người tham gia") {
			t.Errorf("Tỉnh đoàn's workspace: %d %.600s", resp.StatusCode, stripTags(page))
		}
		// Hà Nội's administrator lists none of Quảng Ngãi's.
		var list struct {
			Count int `json:"count"`
		}
		if st := e.json("GET", "/api/v1/launch-events", e.tokens["province_admin_hanoi"], nil, &list); st != 200 || list.Count != 0 {
			t.Errorf("Hà Nội's list: %d %d", st, list.Count)
		}
	})
}

// TestLaunchEventLiveScreenOfOrganisation: Tỉnh đoàn's administrator opens the live screen of its
// "ra quân" (a ceremony hosted by the organisation: main site only, no bridge points), runs its
// control room and screen; opened twice it is the same screen; Sơn Tây's administrator cannot open
// it; the province's ceremony page does not change.
func TestLaunchEventLiveScreenOfOrganisation(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		ev, err := e.web.LaunchEvents.Create(e.sys, launchevents.Input{Title: "Ra quân tình nguyện chuyển đổi số", Kind: launchevents.YouthLaunch,
			OrgID: e.orgIDs["tinhdoan"], StartsAt: time.Now().Add(2 * time.Hour).Format(time.RFC3339), Place: "Quảng trường tỉnh"})
		if err != nil {
			t.Fatal(err)
		}
		live := fmt.Sprintf("/launch-events/%d/live", ev.ID)
		st := e.browser()
		st.login("unit.admin.sontay", testPassword)
		if resp, _ := st.post(live, url.Values{}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("Sơn Tây opens Tỉnh đoàn's live screen: %d", resp.StatusCode)
		}
		td := e.browser()
		td.login("org.admin.tinhdoan", testPassword)
		resp, _ := td.post(live, url.Values{})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ceremonies/") {
			t.Fatalf("open: %d %s", resp.StatusCode, loc)
		}
		if again, _ := td.post(live, url.Values{}); again.Header.Get("Location") != loc {
			t.Errorf("opened twice: %s, want %s", again.Header.Get("Location"), loc)
		}
		// Through the API, the same screen (200: open already).
		var c struct {
			ID          int64  `json:"id"`
			HostOrgPath string `json:"host_org_path"`
			EventID     int64  `json:"event_id"`
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/launch-events/%d/live", ev.ID), e.tokens["org_admin_tinhdoan"], nil, &c); code != http.StatusOK ||
			fmt.Sprintf("/ceremonies/%d", c.ID) != loc || c.HostOrgPath == "" || c.EventID != ev.ID {
			t.Errorf("API on an open screen: %d %+v", code, c)
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/launch-events/%d/live", ev.ID), e.tokens["unit_admin_sontay"], nil, nil); code != http.StatusNotFound {
			t.Errorf("Sơn Tây through the API: %d", code)
		}
		// A Ba Tơ commune's event opened through the API: 201, its points the commune's main site.
		bt := e.baToEvent()
		if code := e.json("POST", fmt.Sprintf("/api/v1/launch-events/%d/live", bt.ID), e.tokens["unit_admin_bato"], nil, &c); code != http.StatusCreated || c.EventID != bt.ID {
			t.Errorf("API opening: %d %+v", code, c)
		}
		// The event's new title, time and place reach its screen, which has not launched.
		starts := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
		edit := map[string]any{"title": "Ngày hội chuyển đổi số của xã", "kind": "community_day", "unit_code": e.baToCommune,
			"starts_at": starts.Format(time.RFC3339), "place": "Nhà văn hóa xã"}
		if code := e.json("PUT", fmt.Sprintf("/api/v1/launch-events/%d", bt.ID), e.tokens["unit_admin_bato"], edit, nil); code != http.StatusOK {
			t.Fatalf("event edited: %d", code)
		}
		var screen struct {
			Title    string    `json:"title"`
			Venue    string    `json:"venue"`
			StartsAt time.Time `json:"starts_at"`
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/ceremonies/%d", c.ID), e.tokens["unit_admin_bato"], nil, &screen); code != 200 ||
			screen.Title != edit["title"] || screen.Venue != edit["place"] || !screen.StartsAt.Equal(starts) {
			t.Errorf("the screen after the event's edit: %d %+v", code, screen)
		}
		// Deleting an event whose screen has not launched cancels the screen with it.
		gone := e.baToEvent()
		var gc struct {
			ID int64 `json:"id"`
		}
		if code := e.json("POST", fmt.Sprintf("/api/v1/launch-events/%d/live", gone.ID), e.tokens["unit_admin_bato"], nil, &gc); code != http.StatusCreated {
			t.Fatalf("open the screen of the event to delete: %d", code)
		}
		if code := e.json("DELETE", fmt.Sprintf("/api/v1/launch-events/%d", gone.ID), e.tokens["unit_admin_bato"], nil, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		var gs struct {
			Status string `json:"status"`
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/ceremonies/%d", gc.ID), e.tokens["unit_admin_bato"], nil, &gs); code != 200 || gs.Status != "cancelled" {
			t.Errorf("the deleted event's screen: %d %q", code, gs.Status)
		}
		var pts struct {
			Items []struct {
				UnitCode string `json:"unit_code"`
				Level    string `json:"level"`
			} `json:"items"`
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points", c.ID), e.tokens["unit_admin_bato"], nil, &pts); code != 200 || len(pts.Items) != 1 ||
			pts.Items[0].UnitCode != e.baToCommune || pts.Items[0].Level != "main" {
			t.Errorf("commune's screen's points: %d %+v", code, pts.Items)
		}
		for _, p := range []string{loc, loc + "/control", loc + "/screen"} {
			if resp, page := td.get(p); resp.StatusCode != 200 || !strings.Contains(page, ev.Title) {
				t.Errorf("Tỉnh đoàn's %s: %d %.300s", p, resp.StatusCode, stripTags(page))
			}
		}
		var points struct {
			Items []json.RawMessage `json:"items"`
		}
		id := strings.TrimPrefix(loc, "/ceremonies/")
		if code := e.json("GET", "/api/v1/ceremonies/"+id+"/bridge-points", e.tokens["province_admin"], nil, &points); code != 200 || points.Items == nil || len(points.Items) != 0 {
			t.Errorf("organisation's screen's points: %d %v", code, points.Items)
		}
		// Generating them is refused: an organisation has no tree below it.
		if code := e.json("POST", "/api/v1/ceremonies/"+id+"/bridge-points/generate", e.tokens["province_admin"], nil, nil); code != http.StatusConflict {
			t.Errorf("organisation's screen's points generated: %d", code)
		}
		if resp, page := td.get(fmt.Sprintf("/launch-events/%d", ev.ID)); resp.StatusCode != 200 || !strings.Contains(page, `href="`+loc+`/control"`) {
			t.Errorf("event page's live links: %d %.300s", resp.StatusCode, stripTags(page))
		}
		// The province's public ceremony page is not the organisation's event.
		if resp, b := e.do("GET", "/tinh/51/le-phat-dong", "", "", ""); resp.StatusCode != 200 || strings.Contains(string(b), ev.Title) {
			t.Errorf("the province's ceremony page: %d, shows the organisation's event: %v", resp.StatusCode, strings.Contains(string(b), ev.Title))
		}
	})
}
