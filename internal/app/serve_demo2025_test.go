package app_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
)

// serveWithin is serve with a longer wait for the server to listen.
func serveWithin(t *testing.T, wait time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{lines: make(chan string, 100)}
	done := make(chan int, 1)
	go func() {
		done <- app.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...),
			app.Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.After(wait)
	for {
		select {
		case line := <-out.lines:
			if m := regexp.MustCompile(`http://\S+`).FindString(line); strings.Contains(line, "serving at") && m != "" {
				return m
			}
		case code := <-done:
			done <- code
			t.Fatalf("serve exited with %d", code)
		case <-deadline:
			t.Fatalf("serve not ready within %v", wait)
		}
	}
}

// `serve --demo 2025`: Quảng Ngãi on the two-tier map with its 2023 history — 96 communes directly
// under the province, the 2023 ceremony launched on 28/07/2023 beside the 2025 one with 97
// screens, a commune team, and a period in which the communes report to the province.
func TestServeDemo2025(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	// "--demo 2025" with a flag after the year: the year is taken and the flags after it parsed.
	// The demo loads before the server listens (the plan's demo, the switch, the 2025 layer): more
	// than serve's 5 s on a loaded machine, so this test waits longer.
	base := serveWithin(t, time.Minute, "--demo", "2025", "--db", dbPath)
	code, out, errOut := run(t, "", "token", "create", "--db", dbPath, "--username", "so.tttt")
	token := regexp.MustCompile(`lt_\S+`).FindString(out)
	if code != 0 || token == "" {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	var list itemsResp
	if st := getJSON(t, base+"/api/v1/units?level=commune&parent=51&limit=1000", token, &list); st != 200 || len(list.Items) != 96 {
		t.Errorf("communes of 51: %d, %d items, want 96", st, len(list.Items))
	}
	if st := getJSON(t, base+"/api/v1/units?parent=51&limit=1000", token, &list); st != 200 || len(list.Items) != 96 {
		t.Errorf("children of 51: %d, %d items, want the 96 communes", st, len(list.Items))
	}
	for _, u := range list.Items {
		if u["level"] != "commune" {
			t.Errorf("child of 51 on the 2025 map: %v", u)
		}
	}
	var cs itemsResp
	if st := getJSON(t, base+"/api/v1/ceremonies", token, &cs); st != 200 || len(cs.Items) != 2 {
		t.Fatalf("ceremonies: %d %v", st, cs.Items)
	}
	points := map[string]int{}
	launched := map[string]bool{}
	for _, c := range cs.Items {
		title := fmt.Sprint(c["title"])
		var ps itemsResp
		if st := getJSON(t, fmt.Sprintf("%s/api/v1/ceremonies/%v/bridge-points", base, c["id"]), token, &ps); st != 200 {
			t.Fatalf("points of %s: %d", title, st)
		}
		points[title] = len(ps.Items)
		launched[title] = c["launch_at"] != nil && c["launch_at"] != ""
	}
	for title, n := range points {
		switch {
		case strings.Contains(title, "Bình dân học vụ số"):
			if n != 97 || launched[title] {
				t.Errorf("2025 ceremony: %d points (want 97), launched %v (want still to come)", n, launched[title])
			}
		default:
			if n != 187 || !launched[title] {
				t.Errorf("2023 ceremony %q: %d points (want 187), launched %v (want launched in 2023)", title, n, launched[title])
			}
		}
	}
	var periods itemsResp
	if st := getJSON(t, base+"/api/v1/reports/periods", token, &periods); st != 200 || len(periods.Items) != 2 {
		t.Fatalf("periods: %d %v", st, periods.Items)
	}
	for _, p := range periods.Items {
		var status struct {
			Period struct {
				ReportingLevel string `json:"reporting_level"`
			} `json:"period"`
			Assigned int `json:"assigned"`
			Reported int `json:"reported"`
			Units    []struct {
				UnitCode string `json:"unit_code"`
				State    string `json:"state"`
			} `json:"units"`
		}
		if st := getJSON(t, fmt.Sprintf("%s/api/v1/reports/periods/%v/status", base, p["id"]), token, &status); st != 200 {
			t.Fatalf("status of period %v: %d", p["id"], st)
		}
		state := map[string]string{}
		for _, u := range status.Units {
			state[u.UnitCode] = u.State
		}
		if strings.Contains(fmt.Sprint(p["title"]), "Bình dân học vụ số") {
			// The communes report directly: Xã Ba Tơ (21484) has, Xã An Phú (21034) has not yet.
			if status.Period.ReportingLevel != "commune" || status.Assigned != 96 || state["21484"] != "submitted" || state["21034"] != "missing" {
				t.Errorf("2025 period: level %q, %d assigned, Ba Tơ %q, An Phú %q", status.Period.ReportingLevel, status.Assigned, state["21484"], state["21034"])
			}
		} else if status.Period.ReportingLevel != "district" || status.Assigned != 13 || state["535"] != "accepted" {
			// The 2023 plan's period, as it was: the 13 districts, Ba Tơ's report accepted (locked).
			t.Errorf("2023 period: level %q, %d assigned, Ba Tơ %q", status.Period.ReportingLevel, status.Assigned, state["535"])
		}
	}
	// An Phú's commune team records on the 2025 map.
	var progress map[string]any
	if st := getJSON(t, base+"/api/v1/outreach/progress?unit=21034", token, &progress); st != 200 {
		t.Errorf("progress of An Phú: %d", st)
	} else if !strings.Contains(fmt.Sprint(progress), "Xã An Phú") {
		t.Errorf("progress of An Phú names no An Phú: %v", progress)
	}
}

func TestServeDemoFlag(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{
		{"--demo=2024"},
		{"--demo", "2024"},
		{"stray"},
	} {
		if code, _, errOut := run(t, "", append([]string{"serve", "--db", dbPath, "--addr", "127.0.0.1:0"}, args...)...); code != 2 || errOut == "" {
			t.Errorf("serve %v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
