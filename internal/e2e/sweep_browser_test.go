package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/web"
)

// sweepRoles are the people of the demo, one account per role (two for the organisation
// coordinator: a union and a school see different pages), and the anonymous visitor ("").
var sweepRoles = []string{"", "so.tttt", "ubnd.bato", "xa.bato", "tinhdoan", "thpt.bato", "tocnscd.bato.1", "diemcau.bato", "hocvien.bato"}

// sweepSizes are the phone and the desk: every page is checked and photographed at both.
var sweepSizes = []struct {
	name          string
	width, height int64
}{{"360", 360, 780}, {"1280", 1280, 900}}

// notSwept are the GET routes that are not pages a person reads: downloads, machine formats,
// fragments, redirects to downloads. Every other GET route outside /api/ must be swept for at
// least one role, so that a new page cannot escape the sweep.
var notSwept = map[string]string{
	"GET /outreach/sw.js":                     "service worker script",
	"GET /outreach/manifest.webmanifest":      "web app manifest",
	"GET /outreach/progress/export":           "download",
	"GET /outreach/roster-template":           "download",
	"GET /outreach/records/export":            "download",
	"GET /outreach/progress.xlsx":             "redirect to a download",
	"GET /outreach/records.xlsx":              "redirect to a download",
	"GET /communication/export":               "download",
	"GET /communication/export.xlsx":          "redirect to a download",
	"GET /reports/periods/{id}/status/export": "download",
	"GET /reports/periods/{id}/status.xlsx":   "redirect to a download",
	"GET /dashboard/units/{code}/export":      "download",
	"GET /dashboard/orgs/{id}/export":         "download",
	"GET /dashboard/public/export":            "download",
	"GET /courses/questions-template":         "download",
	"GET /pupils/template":                    "download",
	"GET /training/targets/template":          "download",
	"GET /public-services/export":             "download",
	"GET /public-services/template":           "download",
	"GET /launch-events/export":               "download",
	"GET /feed.xml":                           "RSS feed",
	"GET /sitemap.xml":                        "sitemap",
	"GET /media/{id}":                         "image",
	"GET /units/search":                       "fragment that /units inserts into itself",
	// Its token exists only in the e-mails of the outbox; the page is a one-button form that
	// uses the same layout as every other page.
	"GET /unsubscribe/{token}": "reached only from an e-mail",
	// Its token is only in the QR code of the delegate's PDF invitation, in no page or API answer.
	"GET /ceremonies/{id}/checkin/{token}": "reached only by scanning an invitation",
	// Its token exists only in the invitation's e-mail or SMS (stored hashed); TestInvitationsBrowser
	// audits it at 360 and 1280 px.
	"GET /rsvp/{token}":                  "reached only from an invitation",
	"GET /rsvp/{token}/invitation":       "download",
	"GET /ceremonies/delegates-template": "download",
	// Only a half session (a password without its second factor) sees them, and the sweep's
	// servers require no second factor; TestSecondFactorBrowser audits both at 360 and 1280 px.
	"GET /login/2fa":       "reached only between the password and the code",
	"GET /login/2fa/enrol": "reached only between the password and the code",
	// Single sign-on: the demo configures no identity provider. TestSSOBrowser clicks through them
	// (360 px, axe) against a real provider.
	"GET /login/sso/{provider}":          "redirect to the identity provider",
	"GET /login/sso/{provider}/callback": "reached only from the identity provider",
	"GET /login/sso/signup":              "reached only after a learner's first single sign-on",
}

// provincePrefix is the address prefix of a province's portal (province.go): /tinh/51/news is the
// route GET /news.
var provincePrefix = regexp.MustCompile(`^/tinh/[0-9]+(/|$)`)

// sweepRoutes classifies a same-origin address by the server's own route table, so that links met
// on the pages are matched to page routes exactly as the server matches them.
type sweepRoutes struct {
	mux   *http.ServeMux
	pages []string // the GET page routes, sorted
}

func newSweepRoutes(t *testing.T) *sweepRoutes {
	t.Helper()
	srv, err := web.New(web.Config{}, web.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	r := &sweepRoutes{mux: http.NewServeMux()}
	for _, p := range srv.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok || method != "GET" || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/static/") ||
			path == "/healthz" || path == "/readyz" || path == "/metrics" {
			continue
		}
		r.mux.Handle(p, http.NotFoundHandler())
		if _, skip := notSwept[p]; !skip {
			r.pages = append(r.pages, p)
		}
	}
	slices.Sort(r.pages)
	return r
}

// route is the page route that serves the address, or "" for anything else.
func (r *sweepRoutes) route(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return ""
	}
	path := provincePrefix.ReplaceAllString(u.Path, "/")
	_, pattern := r.mux.Handler(&http.Request{Method: "GET", URL: &url.URL{Path: path}, Host: u.Host})
	if !slices.Contains(r.pages, pattern) {
		return ""
	}
	return pattern
}

// findings collects what a tab's page did wrong while it loaded: console errors, exceptions,
// failed requests. The listener runs in the tab's read loop and only appends.
type findings struct {
	origin string
	mu     sync.Mutex
	list   []string
}

func (f *findings) add(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, fmt.Sprintf(format, args...))
}

// take returns the findings so far and starts a new list.
func (f *findings) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.list
	f.list = nil
	return l
}

func (f *findings) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		f.add("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, exceptionText(d))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			f.add("console.%s: %s", ev.Type, consoleText(ev))
		}
	case *log.EventEntryAdded:
		// The network's own entries repeat the failed requests reported below.
		if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
			f.add("browser error (%s) %s: %s", ev.Entry.Source, ev.Entry.URL, ev.Entry.Text)
		}
	case *network.EventResponseReceived:
		// The document's own status is the sweep's business (a refusal is not swept); every
		// subresource of ours must load.
		if ev.Type != network.ResourceTypeDocument && ev.Response.Status >= 400 && strings.HasPrefix(ev.Response.URL, f.origin) {
			f.add("%s %s answered %d", ev.Type, ev.Response.URL, ev.Response.Status)
		}
	case *network.EventLoadingFailed:
		// Leaving a page cancels its open requests (the ceremony's event stream): not a failure.
		if !ev.Canceled && ev.Type != network.ResourceTypeDocument {
			f.add("%s request failed: %s", ev.Type, ev.ErrorText)
		}
	}
}

// sweepDir is the folder of the screenshots: under LANTOA_TEST_SCREENSHOTS when set, so that a
// reviewer finds them, else a temporary folder.
func sweepDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("LANTOA_TEST_SCREENSHOTS"); d != "" {
		return filepath.Join(d, "sweep")
	}
	return filepath.Join(t.TempDir(), "sweep")
}

// TestPageSweep looks at every page as the people who use it see it. For the anonymous visitor
// and every demo account it opens the pages that account may open — every route without an
// identifier, then each route with one through the first link to it met on the pages swept —
// at 360×780 and 1280×900, and checks that the page is no wider than the window, logs no console
// error or exception, loads every asset, and has no serious or critical axe-core violation. It
// writes a screenshot of every page at both sizes for a reviewer, and fails on a page route that
// no account reached.
func TestPageSweep(t *testing.T) {
	RequireBrowser(t)
	started := time.Now()
	routes := newSweepRoutes(t)
	srv := StartServer(t, WithDemo())
	browser := newBrowser(t, nil, 20*time.Minute)
	dir := sweepDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)

	var mu sync.Mutex
	reached := map[string][]string{} // route → the accounts that swept it
	t.Run("roles", func(t *testing.T) {
		for _, user := range sweepRoles {
			name := user
			if name == "" {
				name = "anonymous"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				sw := &sweeper{t: t, routes: routes, base: srv.URL, dir: dir, who: name}
				for _, r := range sw.run(browser, user) {
					mu.Lock()
					reached[r] = append(reached[r], name)
					mu.Unlock()
				}
			})
		}
	})
	for _, r := range routes.pages {
		if len(reached[r]) == 0 {
			t.Errorf("%s: no demo account reached this page route through the links of the pages swept", r)
		} else {
			t.Logf("%s: swept for %s", r, strings.Join(reached[r], ", "))
		}
	}
	t.Logf("sweep took %v", time.Since(started).Round(time.Second))
}

// sweeper sweeps the pages of one account in one tab.
type sweeper struct {
	t      *testing.T
	routes *sweepRoutes
	base   string
	dir    string
	who    string
	tab    context.Context
	found  *findings
	pages  int
	spent  map[string]time.Duration // time per step, to see where the sweep's minutes go
}

// run signs in (unless anonymous), sweeps, and returns the page routes swept.
func (sw *sweeper) run(browser context.Context, user string) []string {
	t := sw.t
	sw.found = &findings{origin: sw.base}
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(sw.found.listen))
	t.Cleanup(cancel)
	sw.tab = tab
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if user != "" {
		Login(t, tab, sw.base, user, demo.Password)
	}
	sw.found.take()

	// The routes without an identifier first, in the route table's order; then the links met on
	// the pages, as a person clicks through, and the addresses that only the JSON API names.
	// A route is swept once per account: its other addresses are tried only while it is refused
	// (the first team may be another commune's, the next one this member's).
	var queue []string
	seen := map[string]bool{}
	push := func(address string) {
		if r := sw.routes.route(address); r != "" && !seen[address] {
			seen[address] = true
			queue = append(queue, address)
		}
	}
	for _, r := range sw.routes.pages {
		if !strings.Contains(r, "{") || r == "GET /{$}" {
			push(sw.base + strings.Replace(strings.TrimPrefix(r, "GET "), "{$}", "", 1))
		}
	}
	for _, a := range sw.apiAddresses() {
		push(a)
	}
	swept := map[string]bool{}
	for len(queue) > 0 {
		address := queue[0]
		queue = queue[1:]
		if swept[sw.routes.route(address)] {
			continue
		}
		routes, links := sw.page(address)
		for _, r := range routes {
			swept[r] = true
		}
		for _, l := range links {
			push(l)
		}
	}
	t.Logf("%s: %d pages at %d sizes; time spent: %v", sw.who, sw.pages, len(sweepSizes), sw.spent)
	return slices.Sorted(maps.Keys(swept))
}

// apiAddresses are the pages that no page links to and the JSON API names: each school's pupil
// accounts (/schools/{id}/pupils), reached by typing its address.
func (sw *sweeper) apiAddresses() []string {
	resp, err := http.Get(sw.base + "/api/v1/orgs?kind=school")
	if err != nil {
		sw.t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		sw.t.Fatalf("GET /api/v1/orgs?kind=school: %d %v", resp.StatusCode, err)
	}
	var out []string
	for _, o := range list.Items {
		out = append(out, fmt.Sprintf("%s/schools/%d/pupils", sw.base, o.ID))
	}
	return out
}

// page sweeps one address and returns the page routes it swept and the same-origin links on it.
// It sweeps nothing when the account may not open the address: a refusal, or a redirect to the
// login form. An address that redirects to another page (/dashboard to the viewer's own unit)
// sweeps both routes; a page that refuses the input with its message (400, 422) is swept, since
// a person reads it. The page is
// loaded at the phone's size, as most people open it, then the window widens to the desk's: a
// second load would double the time and find the same console and network errors.
func (sw *sweeper) page(address string) (swept, links []string) {
	t := sw.t
	route := sw.routes.route(address)
	rel := strings.TrimPrefix(address, sw.base)
	ctx, cancel := context.WithTimeout(sw.tab, 2*time.Minute)
	defer cancel()
	step := sw.timer("load")
	err := chromedp.Do(ctx, chromedp.EmulateViewport(sweepSizes[0].width, sweepSizes[0].height))
	var resp *network.Response
	if err == nil {
		resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(address))
	}
	if err != nil {
		t.Errorf("%s %s: %v", sw.who, rel, err)
		return nil, nil
	}
	where, _ := chromedp.Run(ctx, chromedp.Location())
	landed := sw.routes.route(where)
	status := int64(0)
	if resp != nil {
		status = resp.Status
	}
	if status >= 500 {
		t.Errorf("%s %s: status %d", sw.who, rel, status)
	}
	if (status != 200 && status != 400 && status != 422) || landed == "" || (landed == "GET /login" && route != landed) {
		t.Logf("%s %s: not swept (status %d at %s)", sw.who, rel, status, where)
		sw.found.take()
		return nil, nil
	}
	swept = []string{route, landed}
	if landed != route {
		rel = strings.TrimPrefix(where, sw.base)
		route = landed
	}
	sw.pages++
	var loading []string
	// Let the page's scripts draw (charts, maps, counters) before it is measured.
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		loading = append(loading, "page did not finish loading: "+err.Error())
	}
	step()
	for i, size := range sweepSizes {
		problems := loading
		loading = nil
		if i > 0 {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.width, size.height)); err != nil {
				problems = append(problems, "resize: "+err.Error())
			}
		}
		// Two frames: the new layout is done and painted.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
			problems = append(problems, "wait for layout: "+err.Error())
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			problems = append(problems, "measure width: "+err.Error())
		} else if wide > 0 {
			culprits, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflowCulprits))
			problems = append(problems, fmt.Sprintf("scrolls sideways by %d px; widest elements: %s", wide, strings.Join(culprits, "; ")))
		}
		step = sw.timer("axe")
		problems = append(problems, sw.axe(ctx, i == 0)...)
		step()
		step = sw.timer("screenshot")
		shot := filepath.Join(sw.dir, fileName(sw.who+"-"+rel)+"-"+size.name+".png")
		if img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
			problems = append(problems, "screenshot: "+err.Error())
		} else if err := os.WriteFile(shot, img, 0o644); err != nil { // #nosec G306 -- a screenshot for the developer
			problems = append(problems, "screenshot: "+err.Error())
		}
		step()
		problems = append(problems, sw.found.take()...)
		if len(problems) > 0 {
			t.Errorf("%s %s (%s) at %s px:\n    %s", sw.who, rel, route, size.name, strings.Join(problems, "\n    "))
		}
	}
	links, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("a[href]")].map(a => a.href.split("#")[0]).filter(h => h.startsWith(location.origin))`))
	return swept, links
}

// axe runs axe-core on the page (injecting it first on a new page) and returns its serious and
// critical violations, each with its first few elements.
func (sw *sweeper) axe(ctx context.Context, inject bool) []string {
	var violations []axeViolation
	var err error
	if inject {
		violations, err = runAxe(ctx)
	} else {
		violations, err = rerunAxe(ctx)
	}
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, v := range violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var nodes []string
		for j, n := range v.Nodes {
			if j == 5 {
				nodes = append(nodes, fmt.Sprintf("… %d more", len(v.Nodes)-j))
				break
			}
			nodes = append(nodes, fmt.Sprint(n.Target)+" "+shorten(n.HTML, 160))
		}
		problems = append(problems, fmt.Sprintf("axe %s (%s): %s\n      %s", v.ID, v.Impact, v.Help, strings.Join(nodes, "\n      ")))
	}
	return problems
}

// timer starts timing a step of the sweep; calling what it returns adds the time to the step's.
func (sw *sweeper) timer(step string) func() {
	start := time.Now()
	return func() {
		if sw.spent == nil {
			sw.spent = map[string]time.Duration{}
		}
		sw.spent[step] += time.Since(start)
	}
}

// overflowCulprits names the innermost elements that reach past the window's right edge, so that
// a failure says what to fix.
const overflowCulprits = `(() => {
	const w = window.innerWidth, out = [];
	for (const e of document.body.querySelectorAll("*")) {
		const r = e.getBoundingClientRect();
		if (r.right <= w + 0.5 || r.width === 0) continue;
		if ([...e.children].some(c => c.getBoundingClientRect().right > w + 0.5)) continue;
		let name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.classList.length ? "." + [...e.classList].join(".") : "");
		out.push(name + " to " + Math.round(r.right) + " px");
		if (out.length === 5) break;
	}
	return out;
})()`

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// TestFieldsetFieldsOnePerLine is the defect the sweep's screenshots showed on /courses/new: in a
// fieldset, a checkbox's label and the next field's label ran together on one line. Every field
// of a form's fieldset starts below the one before it, on the phone and on the desk.
func TestFieldsetFieldsOnePerLine(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := NewBrowser(t)
	Login(t, ctx, srv.URL, "so.tttt", demo.Password)
	for _, size := range sweepSizes {
		Do(t, ctx, chromedp.EmulateViewport(size.width, size.height))
		if status := Open(t, ctx, srv.URL+"/courses/new"); status != 200 {
			t.Fatalf("/courses/new: status %d", status)
		}
		side := Eval[[]string](t, ctx, `[...document.querySelectorAll(".form fieldset")].flatMap(f => {
			const kids = [...f.children].filter(e => e.tagName !== "LEGEND" && e.getClientRects().length > 0), out = [];
			for (let i = 1; i < kids.length; i++) {
				if (kids[i].getBoundingClientRect().top < kids[i-1].getBoundingClientRect().bottom - 1) out.push(kids[i-1].textContent.trim() + " | " + kids[i].textContent.trim());
			}
			return out;
		})`)
		if len(side) > 0 {
			t.Errorf("at %s px, fields side by side in a fieldset: %q", size.name, side)
		}
		Screenshot(t, ctx, "courses-new-"+size.name)
	}
}
