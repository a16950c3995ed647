package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// sseEvent is one event read from a text/event-stream.
type sseEvent struct {
	ID, Name, Data string
}

// sseStream reads a stream's events into a channel until the test ends.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
}

// openStream connects to an event stream; lastID, when not empty, is sent as Last-Event-ID.
func openStream(t *testing.T, url, token, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	s := &sseStream{resp: resp, events: make(chan sseEvent, 100)}
	if resp.StatusCode != 200 {
		close(s.events)
		return s
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" || len(data) > 0 {
					ev.Data = strings.Join(data, "\n")
					s.events <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	return s
}

// next returns the next event other than the clock, failing the test if the stream ends or stays
// silent far longer than any delivery could take.
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	// One deadline for the whole wait: clock events arrive with every ping and must not keep
	// restarting it.
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.Name == "clock" {
				continue
			}
			return ev
		case <-deadline:
			t.Fatal("no event on the stream")
		}
	}
}

// waitClock waits for the clock event every stream starts with: the subscription is then live.
func (s *sseStream) waitClock(t *testing.T) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok || ev.Name != "clock" {
			t.Fatalf("first event %+v", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no clock event")
	}
}

// streamHead opens a stream and returns its response once the headers arrive (for the matrix).
func (e *env) streamHead(path, token string) *http.Response {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestCeremonyAcceptance is the API contract: create, generate 1 + 13 + 173 points, every
// open stream receives one launch event, a second launch answers the same moment and sends nothing.
func TestCeremonyAcceptance(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.tokens["province_admin"]
		var created struct {
			ID int64 `json:"id"`
		}
		starts := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
		if code := e.json("POST", "/api/v1/ceremonies", admin, map[string]string{"title": "Lễ phát động Phong trào chuyển đổi số", "starts_at": starts}, &created); code != 201 || created.ID == 0 {
			t.Fatalf("create: %d %+v", code, created)
		}
		base := fmt.Sprintf("/api/v1/ceremonies/%d", created.ID)
		// Bad input: a malformed time, an unknown field, a non-admin.
		if resp, b := e.do("POST", "/api/v1/ceremonies", admin, "application/json", `{"title":"x","starts_at":"15/07/2023"}`); resp.StatusCode != 422 || !strings.Contains(string(b), "starts_at") {
			t.Errorf("bad time: %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.do("POST", "/api/v1/ceremonies", admin, "application/json", `{"title":"x","starts_at":"`+starts+`","evil":1}`); resp.StatusCode != 422 {
			t.Errorf("unknown field: %d", resp.StatusCode)
		}
		if code := e.json("POST", base+"/bridge-points/generate", admin, map[string]any{}, nil); code != 200 {
			t.Fatalf("generate: %d", code)
		}
		var list struct {
			Items []ceremony.Point `json:"items"`
		}
		if code := e.json("GET", base+"/bridge-points", admin, nil, &list); code != 200 {
			t.Fatalf("list: %d", code)
		}
		levels := map[ceremony.Level]int{}
		for _, p := range list.Items {
			levels[p.Level]++
		}
		if levels["main"] != 1 || levels["district"] != 13 || levels["commune"] != 173 {
			t.Fatalf("levels %v", levels)
		}

		// Two screens are open before the launch.
		s1 := openStream(t, e.srv.URL+base+"/events", admin, "")
		s2 := openStream(t, e.srv.URL+base+"/events", e.tokens["bridge_operator"], "")
		for _, s := range []*sseStream{s1, s2} {
			if ct := s.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("content type %q", ct)
			}
			if s.resp.Header.Get("X-Accel-Buffering") != "no" || s.resp.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("stream headers %v", s.resp.Header)
			}
			s.waitClock(t)
		}
		// Another role is refused, with a message.
		if resp, b := e.do("POST", base+"/launch", e.tokens["unit_admin_bato"], "application/json", "{}"); resp.StatusCode != 403 || !strings.Contains(string(b), "nút phát động") {
			t.Fatalf("unit admin launch: %d %s", resp.StatusCode, b)
		}
		// Two presses at once: one launch.
		var first, second struct {
			LaunchAt string `json:"launch_at"`
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); e.json("POST", base+"/launch", admin, map[string]any{}, &first) }()
		go func() { defer wg.Done(); e.json("POST", base+"/launch", admin, map[string]any{}, &second) }()
		wg.Wait()
		at, err := time.Parse(time.RFC3339, first.LaunchAt)
		if err != nil || first.LaunchAt != second.LaunchAt || !at.After(time.Now()) {
			t.Fatalf("launch answers %q and %q", first.LaunchAt, second.LaunchAt)
		}
		var launchID string
		for _, s := range []*sseStream{s1, s2} {
			ev := s.next(t)
			var data ceremony.LaunchData
			if ev.Name != "launch" || json.Unmarshal([]byte(ev.Data), &data) != nil || data.LaunchAt != first.LaunchAt || ev.ID == "" {
				t.Fatalf("stream got %+v", ev)
			}
			launchID = ev.ID
		}
		// A third press answers the same moment and sends nothing: the next event on every stream
		// is the programme step published after it, not another launch.
		var third struct {
			LaunchAt string `json:"launch_at"`
		}
		if code := e.json("POST", base+"/launch", admin, map[string]any{}, &third); code != 200 || third.LaunchAt != first.LaunchAt {
			t.Fatalf("third press: %d %q", code, third.LaunchAt)
		}
		if code := e.json("POST", base+"/step", admin, map[string]int{"step": 5}, nil); code != 200 {
			t.Fatalf("step: %d", code)
		}
		for _, s := range []*sseStream{s1, s2} {
			if ev := s.next(t); ev.Name != "step" || !strings.Contains(ev.Data, "Kết thúc") {
				t.Fatalf("after repeat press, stream got %+v", ev)
			}
		}
		// A screen that reconnects with Last-Event-ID replays what it missed.
		before := fmt.Sprint(mustAtoi(t, launchID) - 1)
		s3 := openStream(t, e.srv.URL+base+"/events", admin, before)
		if ev := s3.next(t); ev.Name != "launch" || ev.ID != launchID {
			t.Fatalf("replay got %+v", ev)
		}
		if ev := s3.next(t); ev.Name != "step" {
			t.Fatalf("replay then %+v", ev)
		}
		// A malformed Last-Event-ID is refused; an unknown ceremony is 404; anonymous is 401.
		if s := openStream(t, e.srv.URL+base+"/events", admin, "abc"); s.resp.StatusCode != 422 {
			t.Errorf("bad Last-Event-ID: %d", s.resp.StatusCode)
		}
		if s := openStream(t, e.srv.URL+"/api/v1/ceremonies/999999/events", admin, ""); s.resp.StatusCode != 404 {
			t.Errorf("unknown ceremony stream: %d", s.resp.StatusCode)
		}
		if s := openStream(t, e.srv.URL+base+"/events", "", ""); s.resp.StatusCode != 401 {
			t.Errorf("anonymous stream: %d", s.resp.StatusCode)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ceremonyFixture is one ceremony (starting soon, points generated) shared by the matrix cases,
// and one starting in ten days whose programme may still change.
type ceremonyFixture struct {
	id, futureID int64
	baToPoint    int64
}

func (e *env) ceremony() ceremonyFixture {
	e.t.Helper()
	if e.cer.id != 0 {
		return e.cer
	}
	svc := e.web.Ceremony
	c, err := svc.Create(e.sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động thử", StartsAt: time.Now().Add(10 * time.Minute)})
	if err != nil {
		e.t.Fatal(err)
	}
	f, err := svc.Create(e.sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động sau", StartsAt: time.Now().Add(10 * 24 * time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.GeneratePoints(e.sys, c.ID); err != nil {
		e.t.Fatal(err)
	}
	pts, err := svc.ListPoints(e.sys, c.ID, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
	if err != nil || len(pts) != 1 {
		e.t.Fatalf("Ba Tơ point: %v %d", err, len(pts))
	}
	// Reminders go through the outbox; the point has a technical contact to remind.
	if _, err := svc.UpdatePoint(e.sys, c.ID, pts[0].ID, ceremony.PointDetails{ContactName: "Phạm Văn Kỹ", ContactPhone: "0912 345 678"}); err != nil {
		e.t.Fatal(err)
	}
	e.cer = ceremonyFixture{id: c.ID, futureID: f.ID, baToPoint: pts[0].ID}
	return e.cer
}

// resetChases forgets every chase, so that the next one is not refused as too soon, and gives
// the points a technical contact to remind (other cases of the matrix clear it).
func (e *env) resetChases() {
	e.t.Helper()
	err := e.web.Ceremony.DB.WriteTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE bridge_points SET last_chased_at = 0, contact_phone = '0912 345 678', chk_microphone = 0")
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) baToDelegate() ceremony.Delegate {
	e.t.Helper()
	c := e.ceremony()
	e.seq++
	d, err := e.web.Ceremony.AddDelegate(e.sys, c.id, c.baToPoint, ceremony.Delegate{FullName: fmt.Sprintf("Đại biểu %d", e.seq), Group: "district_leaders"})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

var (
	// baToPointPeople may touch Ba Tơ's district bridge point: the province, Ba Tơ's
	// administrators and the point's operator.
	baToPointPeople = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "bridge_operator": ok})
	// baToPointReaders read it: its people and the national administrator.
	baToPointReaders = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "bridge_operator": ok, "national_admin": ok})
	// ceremonyStaff are those with bridge points in scope (administrators of units, operators)
	// and the national administrator, who reads every province's control room.
	ceremonyStaff = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "bridge_operator": ok,
		"national_admin": ok})
	// ceremonyReaders read Quảng Ngãi's ceremony: its people and the national administrator; to
	// Hà Nội's administrator it does not exist.
	ceremonyReaders = expect(ok, map[string]outcome{"anonymous": anon, "province_admin_hanoi": deny})
	// provinceAdmins are the administrators of a province, each acting in their own (a new
	// ceremony or campaign is Hà Nội's when Hà Nội's administrator creates it).
	provinceAdmins = expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok})
)

func ceremonyMatrixCases() []matrixCase {
	cer := func(e *env, suffix string) string {
		return fmt.Sprintf("/api/v1/ceremonies/%d%s", e.ceremony().id, suffix)
	}
	point := func(e *env, suffix string) string {
		c := e.ceremony()
		return fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d%s", c.id, c.baToPoint, suffix)
	}
	return []matrixCase{
		{"GET /api/v1/time", func(e *env, _ string) (string, string) { return "/api/v1/time", "" }, public},
		{"GET /api/v1/ceremonies", func(e *env, _ string) (string, string) { return "/api/v1/ceremonies", "" }, signedIn},
		{"POST /api/v1/ceremonies", func(e *env, _ string) (string, string) {
			return "/api/v1/ceremonies", `{"title":"Lễ thử","starts_at":"2030-07-15T08:00:00+07:00"}`
		}, provinceAdmins},
		{"GET /api/v1/ceremonies/{id}", func(e *env, _ string) (string, string) { return cer(e, ""), "" }, ceremonyReaders},
		{"PATCH /api/v1/ceremonies/{id}", func(e *env, _ string) (string, string) {
			return cer(e, ""), `{"livestream_url":"https://www.youtube.com/live/lantoa"}`
		}, provinceOnly},
		{"PUT /api/v1/ceremonies/{id}/steps", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/ceremonies/%d/steps", e.ceremony().futureID), `{"steps":[{"title":"Khai mạc"},{"title":"Bế mạc"}]}`
		}, provinceOnly},
		{"POST /api/v1/ceremonies/{id}/step", func(e *env, _ string) (string, string) { return cer(e, "/step"), `{"step":1}` }, provinceOnly},
		// The script and the speech, and the status: setting the status a ceremony has is a no-op.
		{"POST /api/v1/ceremonies/{id}/status", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/ceremonies/%d/status", e.ceremony().futureID), `{"status":"scheduled"}`
		}, provinceOnly},
		{"GET /api/v1/ceremonies/{id}/script/export", func(e *env, _ string) (string, string) { return cer(e, "/script/export?format=pdf"), "" }, ceremonyStaff},
		{"GET /api/v1/ceremonies/{id}/speech", func(e *env, _ string) (string, string) { return cer(e, "/speech"), "" }, provinceOnly},
		{"POST /api/v1/ceremonies/{id}/speech", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/ceremonies/%d/speech?name=dien-van.pdf", e.ceremony().futureID), "%PDF-1.4\n%%EOF\n"
		}, provinceOnly},
		{"GET /api/v1/ceremonies/{id}/speech/{version}/file", func(e *env, _ string) (string, string) {
			id := e.ceremony().futureID
			if _, err := e.web.Ceremony.AddSpeech(e.sys, id, "dien-van.pdf", "", []byte("%PDF-1.4\n")); err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/ceremonies/%d/speech/latest/file", id), ""
		}, provinceOnly},
		{"PUT /api/v1/ceremonies/{id}/leaders", func(e *env, _ string) (string, string) {
			// The ceremony starting in ten days: the other one may have launched (leaders are fixed then).
			return fmt.Sprintf("/api/v1/ceremonies/%d/leaders", e.ceremony().futureID), `{"user_ids":[]}`
		}, provinceOnly},
		{"POST /api/v1/ceremonies/{id}/launch", func(e *env, _ string) (string, string) { return cer(e, "/launch"), `{}` }, provinceOnly},
		// Live events: administrators of units and operators; not learners, team members or
		// organisation administrators.
		{"GET /api/v1/ceremonies/{id}/events", func(e *env, _ string) (string, string) { return cer(e, "/events"), "" }, ceremonyStaff},
		{"GET /api/v1/ceremonies/{id}/rehearsals", func(e *env, _ string) (string, string) { return cer(e, "/rehearsals"), "" }, ceremonyReaders},
		{"POST /api/v1/ceremonies/{id}/rehearsals", func(e *env, _ string) (string, string) {
			return cer(e, "/rehearsals"), `{"starts_at":"2030-07-14T15:00:00+07:00","note":"Tổng duyệt"}`
		}, provinceOnly},
		{"POST /api/v1/ceremonies/{id}/bridge-points/generate", func(e *env, _ string) (string, string) { return cer(e, "/bridge-points/generate"), `{}` }, provinceOnly},
		{"GET /api/v1/ceremonies/{id}/bridge-points", func(e *env, _ string) (string, string) { return cer(e, "/bridge-points"), "" }, ceremonyReaders},
		{"GET /api/v1/ceremonies/{id}/bridge-points/{pid}", func(e *env, _ string) (string, string) { return point(e, ""), "" }, baToPointReaders},
		{"PATCH /api/v1/ceremonies/{id}/bridge-points/{pid}", func(e *env, _ string) (string, string) {
			return point(e, ""), `{"address":"Hội trường UBND huyện Ba Tơ","room_link":"","contact_name":"","contact_phone":"","expected":{"district_leaders":4}}`
		}, baToPointPeople},
		{"PUT /api/v1/ceremonies/{id}/bridge-points/{pid}/checklist", func(e *env, _ string) (string, string) {
			return point(e, "/checklist"), `{"line":true,"camera":true,"microphone":false,"screen":false,"sound":false,"rehearsal":false}`
		}, baToPointPeople},
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/on-air", func(e *env, _ string) (string, string) { return point(e, "/on-air"), `{"on_air":false}` }, baToPointPeople},
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/heartbeat", func(e *env, _ string) (string, string) { return point(e, "/heartbeat"), "" }, baToPointPeople},
		{"PUT /api/v1/ceremonies/{id}/bridge-points/{pid}/attendance", func(e *env, _ string) (string, string) {
			return point(e, "/attendance"), `{"groups":{"district_leaders":3}}`
		}, baToPointPeople},
		// Chasing: the province and Ba Tơ's administrators; not Sơn Tây's, not the point's own
		// operator. The 30-minute limit is reset for every role so that each request is a first.
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/chase", func(e *env, _ string) (string, string) {
			e.resetChases()
			return point(e, "/chase"), ""
		}, baToAdmins},
		{"POST /api/v1/ceremonies/{id}/chase", func(e *env, _ string) (string, string) {
			e.resetChases()
			return cer(e, "/chase"), `{"district":"535"}`
		}, baToAdmins},
		{"GET /api/v1/ceremonies/{id}/bridge-points/{pid}/delegates", func(e *env, _ string) (string, string) { return point(e, "/delegates"), "" }, baToPointReaders},
		{"POST /api/v1/ceremonies/{id}/bridge-points/{pid}/delegates", func(e *env, _ string) (string, string) {
			return point(e, "/delegates"), `{"full_name":"Trần Thị Hoa","position":"Phó Chủ tịch UBND huyện","organisation":"","group":"district_leaders","phone":""}`
		}, baToPointPeople},
		{"PUT /api/v1/ceremonies/{id}/delegates/{did}", func(e *env, _ string) (string, string) {
			d := e.baToDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d", d.CeremonyID, d.ID), `{"full_name":"Trần Văn Sửa","position":"","organisation":"","group":"district_leaders","phone":""}`
		}, baToPointPeople},
		{"DELETE /api/v1/ceremonies/{id}/delegates/{did}", func(e *env, _ string) (string, string) {
			d := e.baToDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d", d.CeremonyID, d.ID), ""
		}, baToPointPeople},
		{"GET /api/v1/ceremonies/{id}/delegates/{did}/invitation/export", func(e *env, _ string) (string, string) {
			d := e.baToDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d/invitation/export?format=pdf", d.CeremonyID, d.ID), ""
		}, baToPointReaders},
		// A former URL redirects to its export, whose access rules then apply.
		{"GET /api/v1/ceremonies/{id}/delegates/{did}/invitation.pdf", func(e *env, _ string) (string, string) {
			d := e.baToDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/delegates/%d/invitation.pdf", d.CeremonyID, d.ID), ""
		}, baToPointReaders},
		{"POST /api/v1/ceremonies/{id}/checkin", func(e *env, _ string) (string, string) {
			d := e.baToDelegate()
			return fmt.Sprintf("/api/v1/ceremonies/%d/checkin", d.CeremonyID), fmt.Sprintf(`{"token":%q}`, d.Token)
		}, baToPointPeople},
		{"GET /api/v1/ceremonies/{id}/attendance/export", func(e *env, _ string) (string, string) { return cer(e, "/attendance/export?format=xlsx"), "" }, ceremonyStaff},
		{"GET /api/v1/ceremonies/{id}/attendance.xlsx", func(e *env, _ string) (string, string) { return cer(e, "/attendance.xlsx"), "" }, ceremonyStaff},
	}
}

// Two provinces on one server: Hà Nội's administrator creates, prepares and launches Hà Nội's own
// ceremony through the API and reaches nothing of Quảng Ngãi's; the national administrator reads
// both and launches neither; each province's screens hear their own launch only.
func TestCeremonyAcrossProvinces(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, qn, nat := e.tokens["province_admin_hanoi"], e.tokens["province_admin"], e.tokens["national_admin"]
		qnID := e.ceremony().id
		starts := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
		create := func(token string, body map[string]string) (int, ceremony.Ceremony) {
			var c ceremony.Ceremony
			return e.json("POST", "/api/v1/ceremonies", token, body, &c), c
		}
		for _, c := range []struct {
			name, token, province string
			want                  int
		}{{"Hà Nội for Quảng Ngãi", hn, "51", 403}, {"Hà Nội for an unknown code", hn, "99", 422}, {"Hà Nội for a district", hn, "001", 422},
			{"national", nat, "", 403}, {"national for Hà Nội", nat, "01", 403}, {"Quảng Ngãi for Hà Nội", qn, "01", 403}} {
			if code, _ := create(c.token, map[string]string{"province_code": c.province, "title": "Lễ thử", "starts_at": starts}); code != c.want {
				t.Errorf("%s: %d, want %d", c.name, code, c.want)
			}
		}
		code, hnCer := create(hn, map[string]string{"title": "Lễ phát động Phong trào chuyển đổi số thành phố Hà Nội", "starts_at": starts})
		if code != 201 || hnCer.Province != "01" {
			t.Fatalf("Hà Nội's ceremony: %d %+v", code, hnCer)
		}
		base := fmt.Sprintf("/api/v1/ceremonies/%d", hnCer.ID)
		// Its points come from Hà Nội's tree (the test server holds two of its districts).
		var gen ceremony.GenerateResult
		if code := e.json("POST", base+"/bridge-points/generate", hn, map[string]any{}, &gen); code != 200 {
			t.Fatalf("generate: %d", code)
		}
		want := 1
		for _, dist := range []string{"001", "002"} {
			n, _ := e.units.Count(e.sys, units.Filter{ParentCode: dist})
			want += 1 + n
		}
		if gen.Total != want || gen.Added != want {
			t.Fatalf("Hà Nội's points: %+v, want %d", gen, want)
		}
		// Listings: each province its own, the national administrator both.
		listed := func(token string) map[int64]bool {
			var l struct {
				Items []ceremony.Ceremony `json:"items"`
			}
			if code := e.json("GET", "/api/v1/ceremonies", token, nil, &l); code != 200 {
				t.Fatalf("list: %d", code)
			}
			out := map[int64]bool{}
			for _, c := range l.Items {
				out[c.ID] = true
			}
			return out
		}
		if l := listed(hn); !l[hnCer.ID] || l[qnID] {
			t.Errorf("Hà Nội lists %v", l)
		}
		if l := listed(qn); l[hnCer.ID] || !l[qnID] {
			t.Errorf("Quảng Ngãi lists %v", l)
		}
		if l := listed(nat); !l[hnCer.ID] || !l[qnID] {
			t.Errorf("national lists %v", l)
		}
		// Quảng Ngãi's ceremony does not exist for Hà Nội, screens included; the national
		// administrator reads it and may not launch it.
		qnBase := fmt.Sprintf("/api/v1/ceremonies/%d", qnID)
		for _, c := range []struct{ method, path, token string }{{"GET", qnBase, hn}, {"POST", qnBase + "/launch", hn}, {"PATCH", qnBase, hn},
			{"GET", qnBase + "/bridge-points", hn}} {
			if resp, b := e.do(c.method, c.path, c.token, "application/json", "{}"); resp.StatusCode != 404 {
				t.Errorf("Hà Nội %s %s: %d %s", c.method, c.path, resp.StatusCode, b)
			}
		}
		if s := openStream(t, e.srv.URL+qnBase+"/events", hn, ""); s.resp.StatusCode != 404 {
			t.Errorf("Hà Nội's screen on Quảng Ngãi's stream: %d", s.resp.StatusCode)
		}
		if resp, b := e.do("POST", qnBase+"/launch", nat, "application/json", "{}"); resp.StatusCode != 403 {
			t.Errorf("national launch: %d %s", resp.StatusCode, b)
		}
		for _, path := range []string{qnBase, qnBase + "/bridge-points", qnBase + "/attendance/export?format=xlsx", fmt.Sprintf("/ceremonies/%d/control", qnID), fmt.Sprintf("/ceremonies/%d/readiness", qnID)} {
			if resp, _ := e.do("GET", path, nat, "", ""); resp.StatusCode != 200 {
				t.Errorf("national GET %s: %d", path, resp.StatusCode)
			}
		}
		denials, _ := audit.List(e.sys, d.Reader(), audit.Filter{Action: "access.denied"})
		probed := false
		for _, en := range denials {
			probed = probed || en.UnitPath == "/01/" && strings.Contains(en.Detail, qnBase+"/launch")
		}
		if !probed {
			t.Errorf("Hà Nội's probe of Quảng Ngãi's launch is not audited: %+v", denials)
		}

		// Each province's screen names its province and hears its own launch only.
		for _, c := range []struct {
			id          int64
			token, want string
		}{{hnCer.ID, hn, "thành phố Hà Nội"}, {qnID, nat, "tỉnh Quảng Ngãi"}, {qnID, qn, "tỉnh Quảng Ngãi"}} {
			motto := `<p class="launched-sub">Phong trào Chuyển đổi số ` + c.want + ` chính thức được phát động!</p>`
			if resp, b := e.do("GET", fmt.Sprintf("/ceremonies/%d/screen", c.id), c.token, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), motto) {
				t.Errorf("screen of %d: %d, no %q", c.id, resp.StatusCode, motto)
			}
		}
		hnScreen := openStream(t, e.srv.URL+base+"/events", hn, "")
		qnScreen := openStream(t, e.srv.URL+qnBase+"/events", qn, "")
		hnScreen.waitClock(t)
		qnScreen.waitClock(t)
		var launched struct {
			LaunchAt string `json:"launch_at"`
		}
		if code := e.json("POST", base+"/launch", hn, map[string]any{}, &launched); code != 200 {
			t.Fatalf("Hà Nội's launch: %d", code)
		}
		if ev := hnScreen.next(t); ev.Name != "launch" || !strings.Contains(ev.Data, launched.LaunchAt) {
			t.Fatalf("Hà Nội's screen got %+v", ev)
		}
		if code := e.json("POST", qnBase+"/step", qn, map[string]int{"step": 1}, nil); code != 200 {
			t.Fatalf("step: %d", code)
		}
		if ev := qnScreen.next(t); ev.Name != "step" {
			t.Fatalf("Quảng Ngãi's screen got %+v", ev)
		}
		// The new ceremony form names the viewer's province.
		if _, b := e.do("GET", "/ceremonies", hn, "", ""); !strings.Contains(string(b), `value="Lễ phát động Phong trào chuyển đổi số thành phố Hà Nội"`) {
			t.Errorf("Hà Nội's new ceremony form: %.400s", b)
		}
		if _, b := e.do("GET", "/ceremonies", qn, "", ""); !strings.Contains(string(b), `value="Lễ phát động Phong trào chuyển đổi số tỉnh Quảng Ngãi"`) {
			t.Errorf("Quảng Ngãi's new ceremony form")
		}
		if _, b := e.do("GET", "/ceremonies", nat, "", ""); strings.Contains(string(b), `id="ceremony-form"`) || !strings.Contains(string(b), `data-province="01"`) {
			t.Errorf("national list: a form, or no province column")
		}
	})
}
