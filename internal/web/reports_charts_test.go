package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// chartJSSHA256 is the SHA-256 of static/vendor/chart.umd.min.js: Chart.js 4.6.1's
// dist/chart.umd.min.js from the npm package, byte for byte (docs/architecture.md, "Vendored
// assets"). A change to the file must come with a new version there.
const chartJSSHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"

var (
	chartScript = regexp.MustCompile(`<script src="(/static/vendor/chart\.umd\.min\.[0-9a-f]+\.js)" defer></script>`)
	chartData   = regexp.MustCompile(`(?s)<script type="application/json" class="chart-data">(.*?)</script>`)
)

// TestDashboardCharts checks what the dashboards hand to Chart.js: the vendored script, served
// for a year under its hashed name; one JSON block per chart, with the drill-down links of the
// signed-in dashboard and none on the public one; the SVG fallback beside each canvas; and a
// Content-Security-Policy that still allows no inline script. The browser test draws them.
// The charts read no engine-specific SQL, so SQLite alone is enough here.
func TestDashboardCharts(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schema.All()))
	prov := e.tokens["province_admin"]

	type bars struct {
		Title, ValueLabel, TargetLabel string
		Labels, Hrefs                  []string
		Values                         []float64
		Targets                        []*float64
		Met                            []bool
	}
	type line struct {
		Title  string
		Days   []string
		Values []float64
	}
	page := func(path, token string) (string, bars, []line) {
		t.Helper()
		resp, b := e.do("GET", path, token, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %.300s", path, resp.StatusCode, b)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		html := string(b)
		blocks := chartData.FindAllStringSubmatch(html, -1)
		if len(blocks) == 0 {
			t.Fatalf("GET %s: no chart data block", path)
		}
		var bc bars
		if err := json.Unmarshal([]byte(blocks[0][1]), &bc); err != nil {
			t.Fatalf("GET %s: bar chart data %q: %v", path, blocks[0][1], err)
		}
		var lines []line
		for _, blk := range blocks[1:] {
			var l line
			if err := json.Unmarshal([]byte(blk[1]), &l); err != nil {
				t.Fatalf("GET %s: line chart data %q: %v", path, blk[1], err)
			}
			lines = append(lines, l)
		}
		// Without JavaScript the canvas stays hidden and the SVG shows.
		for _, want := range []string{`<div class="chart-box" hidden><canvas id="bar-chart"`, `<div class="chart-fallback">
<svg id="bar-chart-svg"`, "/static/reports-charts."} {
			if !strings.Contains(html, want) {
				t.Errorf("GET %s: no %s", path, want)
			}
		}
		return html, bc, lines
	}

	html, bc, lines := page("/dashboard/units/51", prov)
	n := len(bc.Labels)
	if n != 13 || len(bc.Values) != n || len(bc.Targets) != n || len(bc.Met) != n || len(bc.Hrefs) != n {
		t.Fatalf("province bar chart: %+v", bc)
	}
	if bc.Title == "" || bc.TargetLabel != "Mục tiêu" {
		t.Errorf("bar chart labels: %q %q", bc.Title, bc.TargetLabel)
	}
	for i, h := range bc.Hrefs {
		if !strings.HasPrefix(h, "/dashboard/units/") {
			t.Errorf("bar %d (%s) drills down to %q", i, bc.Labels[i], h)
		}
	}
	if len(lines) == 0 || len(lines) != strings.Count(html, `class="progress-chart"`) {
		t.Errorf("%d progress series for %d canvases", len(lines), strings.Count(html, `class="progress-chart"`))
	}
	for _, l := range lines {
		if len(l.Days) != len(l.Values) {
			t.Errorf("series %q: %d days, %d values", l.Title, len(l.Days), len(l.Values))
		}
		for _, d := range l.Days {
			if !regexp.MustCompile(`^\d\d/\d\d/\d{4}$`).MatchString(d) {
				t.Errorf("series %q: day %q is not dd/mm/yyyy", l.Title, d)
				break
			}
		}
	}

	// A province's public dashboard draws the same charts, with no way down.
	_, pub, _ := page("/dashboard/public?province=51", "")
	if len(pub.Labels) != 13 {
		t.Errorf("public bar chart has %d bars", len(pub.Labels))
	}
	for _, h := range pub.Hrefs {
		if h != "" {
			t.Errorf("public bar drills down to %q", h)
		}
	}
	// The national public page (two provinces, none chosen) compares the provinces, each bar a
	// way down to that province's public dashboard.
	_, nat, _ := page("/dashboard/public", "")
	if strings.Join(nat.Labels, "|") != "Thành phố Hà Nội|Tỉnh Quảng Ngãi" || strings.Join(nat.Hrefs, " ") != "/dashboard/public?province=01 /dashboard/public?province=51" {
		t.Errorf("national public bar chart: %v %v", nat.Labels, nat.Hrefs)
	}

	// The vendored Chart.js is the file that was checked in, cached like every other asset.
	m := chartScript.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no Chart.js script tag")
	}
	resp, b := e.do("GET", m[1], "", "", "")
	sum := sha256.Sum256(b)
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != chartJSSHA256 {
		t.Errorf("GET %s: %d, sha256 %x", m[1], resp.StatusCode, sum)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Chart.js Cache-Control %q", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Chart.js Content-Type %q", ct)
	}
	// Its licence is served beside it; the folder itself is not a file.
	if resp, _ := e.do("GET", "/static/vendor/chart.js.LICENSE.md", "", "", ""); resp.StatusCode != 200 {
		t.Errorf("licence: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/static/vendor", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("GET /static/vendor: %d", resp.StatusCode)
	}
}
