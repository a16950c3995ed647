package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
)

// TestCeremonyTwoInstances runs two `lantoa serve` over one PostgreSQL database: a screen
// connected to instance B receives the launch pressed on instance A (LISTEN/NOTIFY behind the
// events interface). Without PostgreSQL it is skipped (on CI it fails).
func TestCeremonyTwoInstances(t *testing.T) {
	source := dbtest.PostgresURL(t)
	pg := WithConfig(func(c *app.Config) { c.DB = source })
	a := StartServer(t, pg)
	b := StartServer(t, pg)
	a.CreateUser(t, "tinh.admin", "Tinh-QuangNgai-2024", "province_admin", "51")
	token := a.Token(t, "tinh.admin")

	call := func(base, method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
			}
		}
		return resp.StatusCode
	}
	var c struct {
		ID int64 `json:"id"`
	}
	starts := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	if code := call(a.URL, "POST", "/api/v1/ceremonies", `{"title":"Lễ phát động","starts_at":"`+starts+`"}`, &c); code != 201 {
		t.Fatalf("create: %d", code)
	}
	path := "/api/v1/ceremonies/" + itoa(c.ID)

	// A screen on instance B.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.URL+path+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream on B: %d", resp.StatusCode)
	}
	events := make(chan [2]string, 10)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, d}
			}
		}
	}()
	next := func() [2]string { t.Helper(); return nextEvent(t, events, "on B") }
	if ev := next(); ev[0] != "clock" {
		t.Fatalf("first event on B: %v", ev)
	}

	// The launch is pressed on instance A.
	var launch struct {
		LaunchAt string `json:"launch_at"`
	}
	if code := call(a.URL, "POST", path+"/launch", "{}", &launch); code != 200 || launch.LaunchAt == "" {
		t.Fatalf("launch on A: %d %+v", code, launch)
	}
	awaitLaunch(t, next, launch.LaunchAt, "B")
	// Pressing again on B answers the same moment.
	var again struct {
		LaunchAt string `json:"launch_at"`
	}
	if code := call(b.URL, "POST", path+"/launch", "{}", &again); code != 200 || again.LaunchAt != launch.LaunchAt {
		t.Fatalf("launch on B: %d %q, want %q", code, again.LaunchAt, launch.LaunchAt)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// nextEvent is the next (name, data) of a live stream, failing the test when the stream ends or
// is silent for 30 s; where says which stream in the message.
func nextEvent(t testing.TB, events <-chan [2]string, where string) [2]string {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("the stream %s ended", where)
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatalf("no event %s within 30 s", where)
	}
	return [2]string{}
}

// awaitLaunch reads a live stream past its clock ticks until the launch event, which must carry
// the moment the launch answered. The ticks keep the stream busy, so a launch that never arrives
// fails after 60 s instead of hanging the run (it did once in CI).
func awaitLaunch(t testing.TB, next func() [2]string, launchAt, where string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		ev := next()
		if ev[0] == "clock" {
			if time.Now().After(deadline) {
				t.Fatalf("no launch event on %s within 60 s of the launch (%s)", where, launchAt)
			}
			continue
		}
		if ev[0] != "launch" || !strings.Contains(ev[1], launchAt) {
			t.Fatalf("the screen on %s received %v, want the launch at %s", where, ev, launchAt)
		}
		return
	}
}
