package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// switchableProxy stands between the browser and the server: when offline it drops every
// connection, so that neither the page nor its service worker can reach the server, whatever the
// browser's own emulation covers.
type switchableProxy struct {
	URL     string
	offline atomic.Bool
}

func newSwitchableProxy(t *testing.T, target string) *switchableProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &switchableProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.offline.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// setNetwork switches the tab (and its service worker) offline or back online through the
// DevTools network emulation, and the proxy with it.
func setNetwork(t *testing.T, ctx context.Context, p *switchableProxy, offline bool) {
	t.Helper()
	p.offline.Store(offline)
	yes := true
	conds := []*network.Conditions{}
	if offline {
		conds = append(conds, &network.Conditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
	}
	Do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &yes, MatchedNetworkConditions: conds}); err != nil {
			return fmt.Errorf("emulate network conditions: %w", err)
		}
		_, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

func apiGet(t *testing.T, base, token, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, v) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
}

// TestOutreachOfflinePhoneForm: a member's phone goes offline, records three citizens, reloads
// the form while offline (the service worker serves it; the queue survives), comes back online,
// and exactly three records arrive. Then another member logs in on the same phone and sees none
// of the first member's records.
func TestOutreachOfflinePhoneForm(t *testing.T) {
	srv := StartServer(t, WithDemo())
	proxy := newSwitchableProxy(t, srv.URL)
	const member = "tocnscd.bato.2"
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", member, "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	token := strings.TrimSpace(out)
	// The demo data: a campaign whose window includes today, teams with members, the catalogue.
	var me0 struct {
		InWindow bool `json:"in_window"`
		Target   int
	}
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me0)
	if !me0.InWindow || me0.Target != 7 {
		t.Fatalf("demo campaign: %+v", me0)
	}
	var teams struct {
		Items []struct {
			Name  string
			Count int `json:"member_count"`
		}
	}
	apiGet(t, srv.URL, token, "/api/v1/outreach/teams", &teams)
	if len(teams.Items) < 2 {
		t.Fatalf("demo teams: %+v", teams.Items)
	}
	code, out, errOut = srv.CLI(t, "", "token", "create", "--username", "so.tttt", "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	var members struct{ Items []struct{ Username string } }
	apiGet(t, srv.URL, strings.TrimSpace(out), "/api/v1/users?role=team_member", &members)
	if len(members.Items) < 3 {
		t.Fatalf("team members listed: %+v", members.Items)
	}
	var before struct{ Items []map[string]any }
	apiGet(t, srv.URL, token, "/api/v1/outreach/records?mine=1", &before)
	if len(before.Items) != 0 {
		t.Fatalf("member starts with %d records", len(before.Items))
	}

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, proxy.URL, member, demo.Password)
	if status := Open(t, ctx, proxy.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form and its offline copy", `document.getElementById("outreach").dataset.ready === "1" && document.getElementById("outreach").dataset.offlineReady === "1"`)
	if w := Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the form is %d px wide on a 360-px screen", w)
	}

	setNetwork(t, ctx, proxy, true)
	WaitFor(t, ctx, "the page to know it is offline", `navigator.onLine === false`)
	citizens := []struct{ name, year, phone string }{
		{"Đinh Văn Một", "1961", "0905 111 001"},
		{"Phạm Thị Hai", "1975", "+84 935 111 002"},
		{"Hồ Văn Ba", "1950", ""},
	}
	for i, c := range citizens {
		Type(t, ctx, "#c-name", c.name)
		Type(t, ctx, "#c-year", c.year)
		if c.phone != "" {
			Type(t, ctx, "#c-phone", c.phone)
		}
		Do(t, ctx,
			chromedp.Click(chromedp.CSS(`input[name=skills][value=dvc_quocgia]`), chromedp.NodeVisible),
			chromedp.Click(chromedp.CSS(`#c-consent`), chromedp.NodeVisible),
			chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
		WaitFor(t, ctx, fmt.Sprintf("%d waiting", i+1), fmt.Sprintf(`document.getElementById("pending-count").textContent === "%d"`, i+1))
	}
	// Nothing reached the server.
	var mid struct{ Items []map[string]any }
	apiGet(t, srv.URL, token, "/api/v1/outreach/records?mine=1", &mid)
	if len(mid.Items) != 0 {
		t.Fatalf("%d records arrived while offline", len(mid.Items))
	}

	// Reloading while offline: the service worker serves the form, IndexedDB still holds all three.
	Do(t, ctx, chromedp.Reload())
	WaitFor(t, ctx, "the offline form after reload", `document.getElementById("outreach") && document.getElementById("outreach").dataset.ready === "1"`)
	if got := Text(t, ctx, "#pending-count"); got != "3" {
		t.Fatalf("after an offline reload %s records wait, want 3", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#recent li[data-status=waiting]").length`); n != 3 {
		t.Fatalf("recent list shows %d waiting", n)
	}

	setNetwork(t, ctx, proxy, false)
	WaitFor(t, ctx, "the queue to empty", `document.getElementById("pending-count").textContent === "0"`)
	var after struct {
		Items []struct {
			ID       int64  `json:"id"`
			ClientID string `json:"client_id"`
			Citizen  struct{ Name string }
		}
	}
	apiGet(t, srv.URL, token, "/api/v1/outreach/records?mine=1", &after)
	if len(after.Items) != 3 {
		t.Fatalf("%d records arrived, want exactly 3: %+v", len(after.Items), after.Items)
	}
	seen := map[string]bool{}
	for _, r := range after.Items {
		seen[r.Citizen.Name] = true
	}
	for _, c := range citizens {
		if !seen[c.name] {
			t.Errorf("%s did not arrive: %+v", c.name, after.Items)
		}
	}
	var me struct{ Citizens int }
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me)
	if me.Citizens != 3 {
		t.Errorf("member progress %d, want 3", me.Citizens)
	}
	WaitFor(t, ctx, "the progress on the page", `document.getElementById("my-citizens").textContent === "3"`)

	// A shared phone: the next member who logs in sees nothing of the first one's records.
	OpenMenu(t, ctx)
	if status := Follow(t, ctx, "#logout"); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	Login(t, ctx, proxy.URL, "tocnscd.bato.1", demo.Password)
	if status := Open(t, ctx, proxy.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form for the second member: %d", status)
	}
	WaitFor(t, ctx, "the second member's form", `document.getElementById("outreach").dataset.ready === "1"`)
	text := Eval[string](t, ctx, `document.getElementById("recent").innerText + document.body.innerText`)
	for _, c := range citizens {
		if strings.Contains(text, c.name) {
			t.Errorf("the second member sees %s", c.name)
		}
	}
	if got := Text(t, ctx, "#pending-count"); got != "0" {
		t.Errorf("second member sees %s waiting", got)
	}
}
