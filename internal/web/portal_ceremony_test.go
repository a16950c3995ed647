package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
)

// ceremonyBoard wires the real adapter of internal/app (ceremony summary and outreach campaign)
// without a cache, so that every request reads afresh.
func ceremonyBoard(e *env) *portal.CeremonyBoard {
	b := portal.NewCeremonyBoard(app.PortalCeremony(e.web.Ceremony, e.outreach))
	b.TTL = 0
	return b
}

func metaContent(page, property string) string {
	m := regexp.MustCompile(`<meta property="` + regexp.QuoteMeta(property) + `" content="([^"]*)">`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestPortalCeremonyPage: the public ceremony page before any ceremony, with its programme and the
// step under way, and after the launch with the countdown of the campaign (the outreach
// campaign's window), on both engines.
func TestPortalCeremonyPage(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		e.web.Portal.Ceremonies = ceremonyBoard(e)
		anon := e.browser()

		resp, page := anon.get("/le-phat-dong")
		if resp.StatusCode != 200 || !strings.Contains(page, `id="no-ceremony"`) || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("no ceremony yet: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), page)
		}

		start := time.Now().Add(10 * time.Minute).Truncate(time.Minute)
		steps := []ceremony.Step{}
		for i, title := range ceremony.DefaultSteps {
			steps = append(steps, ceremony.Step{Position: i + 1, Title: title, PlannedAt: start.Add(time.Duration(i*10) * time.Minute)})
		}
		c, err := e.web.Ceremony.Create(e.sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động Phong trào chuyển đổi số tỉnh Quảng Ngãi", StartsAt: start,
			Venue: "Trung tâm IOC tỉnh", LivestreamURL: "https://www.youtube.com/live/lantoa-thu", Steps: steps})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.web.Ceremony.SetStep(e.sys, c.ID, 2); err != nil {
			t.Fatal(err)
		}
		_, page = anon.get("/le-phat-dong")
		for _, want := range []string{c.Title, "Trung tâm IOC tỉnh", start.In(time.FixedZone("ICT", 7*3600)).Format("15:04 · 02/01/2006"),
			`id="livestream" href="https://www.youtube.com/live/lantoa-thu"`} {
			if !strings.Contains(page, want) {
				t.Errorf("ceremony page lacks %q", want)
			}
		}
		items := regexp.MustCompile(`(?s)<ol class="programme" id="programme">(.*?)</ol>`).FindStringSubmatch(page)
		if items == nil || strings.Count(items[1], "<li") != len(ceremony.DefaultSteps) {
			t.Fatalf("programme: %v", items)
		}
		// A step planned past midnight (the test running late in the evening) has its date too.
		ict := time.FixedZone("ICT", 7*3600)
		wantTime := steps[1].PlannedAt.In(ict).Format("15:04")
		if d := steps[1].PlannedAt.In(ict).Format("02/01/2006"); d != start.In(ict).Format("02/01/2006") {
			wantTime += " " + d
		}
		current := regexp.MustCompile(`<li class="current" aria-current="step"><time datetime="[^"]+">([0-9:/ ]+)</time> <span class="step-title">([^<]+)</span>`).FindAllStringSubmatch(page, -1)
		if len(current) != 1 || current[0][2] != ceremony.DefaultSteps[1] || current[0][1] != wantTime {
			t.Errorf("current step marked %v", current)
		}
		if strings.Contains(page, `id="countdown"`) {
			t.Errorf("countdown before the launch")
		}
		// Before the launch the page says so and, the ceremony being minutes away, watches for the
		// launch every 10 s (its script is loaded for that alone).
		if !strings.Contains(page, `data-state="planned" data-poll-ms="10000"`) || !strings.Contains(page, "Chưa phát động") || !strings.Contains(page, "portal-countdown") {
			t.Errorf("the page before the launch neither says it nor watches for it")
		}
		if got := metaContent(page, "og:title"); got != c.Title {
			t.Errorf("og:title %q", got)
		}
		if got := metaContent(page, "og:url"); got != e.srv.URL+"/le-phat-dong" {
			t.Errorf("og:url %q", got)
		}
		if got := metaContent(page, "og:description"); !strings.Contains(got, "Trung tâm IOC tỉnh") {
			t.Errorf("og:description %q", got)
		}
		// The home page has the teaser and the menu links to the page.
		_, home := anon.get("/")
		if !strings.Contains(home, `id="ceremony-teaser"`) || !strings.Contains(home, c.Title) || !strings.Contains(home, `href="/le-phat-dong"`) {
			t.Errorf("home lacks the ceremony teaser")
		}
		if strings.Contains(home, `id="home-countdown"`) {
			t.Errorf("home countdown before the launch")
		}

		// The launch: the countdown of the campaign appears. A campaign is already under way in this
		// province (newEnv opens one), so the countdown is its own window, not 7 days from the press:
		// the public page and the campaign's pages show one "7 days".
		at, err := e.web.Ceremony.Launch(e.sys, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, page = anon.get("/le-phat-dong")
		camp, open, err := e.outreach.Current(e.sys, "51")
		if err != nil || !open {
			t.Fatalf("the campaign under way: %v %v", open, err)
		}
		end := camp.End()
		if !strings.Contains(page, `data-end="`+strconv.FormatInt(end.UnixMilli(), 10)+`"`) {
			t.Fatalf("countdown to %v missing:\n%s", end, page)
		}
		ict = time.FixedZone("ICT", 7*3600)
		launchText := "Phát động lúc " + at.In(ict).Format("15:04") + " ngày " + at.In(ict).Format("02/01/2006")
		for _, want := range []string{`data-state="launched"`, ">Đã phát động</span>", launchText, `id="next-steps"`, `href="/courses"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the launched page lacks %q", want)
			}
		}
		if strings.Contains(page, "data-poll-ms") || strings.Contains(page, "Chưa phát động") {
			t.Errorf("the launched page still watches for the launch or says it has not happened")
		}
		cd := regexp.MustCompile(`<strong data-part="d">(\d+)</strong>`).FindStringSubmatch(page)
		if cd == nil || (cd[1] != "7" && cd[1] != "6") {
			t.Errorf("countdown days %v", cd)
		}
		if !regexp.MustCompile(`<script src="/static/portal-countdown\.[0-9a-f]{8}\.js" defer></script>`).MatchString(page) {
			t.Errorf("the countdown's script is not loaded")
		}
		_, home = anon.get("/")
		if !strings.Contains(home, `id="home-countdown"`) {
			t.Errorf("home lacks the campaign countdown after the launch")
		}
	})
}

// TestPortalCeremonyLinkAndEnd: a livestream address that is not http(s) is not shown; the
// campaign's window falls back to 7 days; after it the page says the campaign is over.
func TestPortalCeremonyLinkAndEnd(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newQuangNgaiEnv(t, d)
	now := time.Now()
	src := portal.Ceremony{ID: 1, Title: "Lễ phát động", StartsAt: now.Add(-9 * 24 * time.Hour), LaunchAt: now.Add(-8 * 24 * time.Hour),
		LivestreamURL: "javascript:alert(1)", Steps: []portal.CeremonyStep{{Position: 1, Title: "Khai mạc"}}}
	b := portal.NewCeremonyBoard(portal.CeremonyFunc(func(context.Context, string) (portal.Ceremony, bool, error) { return src, true, nil }))
	b.TTL = 0
	e.web.Portal.Ceremonies = b
	_, page := e.browser().get("/le-phat-dong")
	if strings.Contains(page, "javascript:") || strings.Contains(page, `id="livestream"`) || !strings.Contains(page, `id="no-livestream"`) {
		t.Errorf("unsafe livestream link shown")
	}
	if !strings.Contains(page, `id="campaign-over"`) || strings.Contains(page, `id="countdown"`) || strings.Contains(page, "portal-countdown") {
		t.Errorf("campaign over not shown")
	}
	if !strings.Contains(page, "Chiến dịch “7 người dân trong 7 ngày”") {
		t.Errorf("default campaign window not 7 days")
	}
	src.LivestreamURL, src.LaunchAt = "http://tv.example.vn/truc-tiep?a=1&b=2", now.Add(-30*time.Hour)
	_, page = e.browser().get("/le-phat-dong")
	if !strings.Contains(page, `href="http://tv.example.vn/truc-tiep?a=1&amp;b=2"`) {
		t.Errorf("http livestream link not shown")
	}
	// 7 days minus 30 hours: 5 days and 17 or 18 hours.
	if cd := regexp.MustCompile(`<strong data-part="d">(\d+)</strong>`).FindStringSubmatch(page); cd == nil || cd[1] != "5" {
		t.Errorf("countdown days %v", cd)
	}
	// In English.
	b2 := e.browser()
	b2.post("/lang", map[string][]string{"lang": {"en"}, "next": {"/le-phat-dong"}})
	_, page = b2.get("/le-phat-dong")
	if !strings.Contains(page, "Watch the livestream") || !strings.Contains(page, "Programme") {
		t.Errorf("English ceremony page:\n%s", page)
	}
}

// TestPortalForSignedInUsers: "/" is the portal for everyone; a signed-in user finds the way to
// their workspace on it and in the menu; /workspace is the former working home page.
func TestPortalForSignedInUsers(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		anon := e.browser()
		_, home := anon.get("/")
		if !strings.Contains(home, `id="portal-heading"`) || strings.Contains(home, `id="workspace-link"`) || strings.Contains(home, `href="/workspace"`) {
			t.Errorf("anonymous home page")
		}
		if resp, _ := anon.get("/workspace"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("anonymous /workspace: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, user := range []string{"province.admin", "team.member", "learner"} {
			b := e.browser()
			if resp := b.login(user, testPassword); resp.StatusCode != 303 {
				t.Fatalf("login %s: %d", user, resp.StatusCode)
			}
			resp, home := b.get("/")
			if resp.StatusCode != 200 || !strings.Contains(home, `id="portal-heading"`) || !strings.Contains(home, `id="figures"`) {
				t.Errorf("%s: / is not the portal (%d)", user, resp.StatusCode)
			}
			if !regexp.MustCompile(`<p class="workspace-link" id="workspace-link">[^<]+ <a class="button" href="/workspace">Vào trang làm việc</a></p>`).MatchString(home) {
				t.Errorf("%s: no workspace link on the portal", user)
			}
			if !strings.Contains(home, `<li><a href="/workspace">Trang làm việc</a></li>`) {
				t.Errorf("%s: no workspace link in the menu", user)
			}
			resp, ws := b.get("/workspace")
			if resp.StatusCode != 200 || !strings.Contains(ws, "<title>Trang làm việc · Lan Tỏa</title>") || !strings.Contains(ws, `<h1>Việc cần làm</h1>`) ||
				!strings.Contains(ws, `<a href="/workspace" aria-current="page" class="current">`) {
				t.Errorf("%s: /workspace %d", user, resp.StatusCode)
			}
		}
	})
}

// TestPortalHomeMap: the home page's read-only district map, with the dashboards' measure by district
// and its text alternative; a record in Ba Tơ colours Ba Tơ; the page stays small.
func TestPortalHomeMap(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		board := portal.NewDistrictBoard(app.PortalDistricts(e.outreach, e.units))
		board.TTL = 0
		e.web.Portal.Districts = board
		e.memberRecord("0905000001")
		e.memberRecord("0905000002")

		resp, home := e.browser().get("/")
		if resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
		svg := regexp.MustCompile(`(?s)<svg id="portal-map" viewBox="0 0 [0-9.]+ [0-9.]+" role="img" aria-labelledby="portal-map-title"><title id="portal-map-title">[^<]+</title>(.*?)</svg>`).FindStringSubmatch(home)
		if svg == nil {
			t.Fatalf("no map on the home page")
		}
		paths := regexp.MustCompile(`<path class="area b(-?\d)" d="(M[-0-9 lMz]+)"/>`).FindAllStringSubmatch(svg[1], -1)
		if len(paths) != 13 {
			t.Fatalf("%d districts drawn", len(paths))
		}
		// The text alternative: one row per district, with the dashboards' measure (members who
		// met the target of all members): Ba Tơ's one member has guided 2 citizens of 7, so 0 of 1.
		rows := regexp.MustCompile(`<tr><th scope="row">([^<]+)</th><td class="num"[^>]*>([^<]+)</td><td class="num"[^>]*>([^<]+)</td><td class="num"[^>]*>([^<]+)</td></tr>`).FindAllStringSubmatch(home, -1)
		if len(rows) != 13 {
			t.Fatalf("%d rows in the map's table", len(rows))
		}
		var baTo []string
		for _, r := range rows {
			if r[1] == "Huyện Ba Tơ" {
				baTo = r[2:]
			}
		}
		if fmt.Sprint(baTo) != "[0 1 0%]" {
			t.Errorf("Ba Tơ row %v", baTo)
		}
		buckets := map[string]int{}
		for _, p := range paths {
			buckets[p[1]]++
		}
		if buckets["0"] != 1 || buckets["-1"] != 12 {
			t.Errorf("map buckets %v", buckets)
		}
		if !strings.Contains(home, `href="/dashboard/public" id="public-dashboard"`) {
			t.Errorf("no link to the public dashboard")
		}
		// Small on a cheap phone: the map costs a few kilobytes, the page stays under 24 KB.
		if len(svg[0]) > 9000 || len(home) > 24000 {
			t.Errorf("map %d bytes, home page %d bytes", len(svg[0]), len(home))
		}
	})
}
