package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

func portalToken(t *testing.T, srv *Server, username string) string {
	t.Helper()
	code, out, errOut := srv.CLI(t, "", "token", "create", "--username", username, "--name", "e2e")
	if code != 0 {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// TestPortalCeremonyBrowser: an anonymous visitor opens the public ceremony page from the portal's
// menu and sees the programme with the step under way and the livestream link; the province
// launches the movement (through the ceremony API); the visitor reloads and sees the countdown of
// the 7-day campaign, which ticks. The page passes the accessibility audit before and after.
func TestPortalCeremonyBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	token := portalToken(t, srv, editorUser)
	var c struct {
		ID    int64
		Title string
	}
	start := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
	if code := API(t, srv.URL, token, "POST", "/api/v1/ceremonies", map[string]any{"title": "Lễ phát động Phong trào chuyển đổi số", "starts_at": start,
		"venue": "Trung tâm IOC tỉnh Quảng Ngãi", "livestream_url": "https://www.youtube.com/live/lantoa-e2e"}, &c); code != 201 {
		t.Fatalf("create ceremony: %d", code)
	}
	if code := API(t, srv.URL, token, "POST", fmt.Sprintf("/api/v1/ceremonies/%d/step", c.ID), map[string]int{"step": 1}, nil); code != 200 {
		t.Fatalf("set step: %d", code)
	}

	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	if status := Open(t, ctx, srv.URL+"/"); status != 200 {
		t.Fatalf("portal: %d", status)
	}
	OpenMenu(t, ctx)
	if status := Follow(t, ctx, `nav a[href="/le-phat-dong"]`); status != 200 {
		t.Fatalf("ceremony page: %d", status)
	}
	if got := Text(t, ctx, "#ceremony-heading"); got != c.Title {
		t.Fatalf("heading %q", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#programme li").length`); n != 5 {
		t.Errorf("programme has %d steps", n)
	}
	if got := Eval[string](t, ctx, `document.querySelector("#programme li[aria-current=step] .step-title").textContent`); got != "Tuyên bố lý do và giới thiệu đại biểu" {
		t.Errorf("current step %q", got)
	}
	if got := Eval[string](t, ctx, `document.getElementById("livestream").href`); got != "https://www.youtube.com/live/lantoa-e2e" {
		t.Errorf("livestream %q", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#countdown").length`); n != 0 {
		t.Errorf("countdown before the launch")
	}
	Screenshot(t, ctx, "ceremony-01-before")
	reportViolations(t, "/le-phat-dong before the launch", auditPage(t, ctx))

	at := launchByAPI(t, srv, token, c.ID)
	// At once, although the portal caches the ceremony: the launch empties the cache.
	if status := Open(t, ctx, srv.URL+"/le-phat-dong"); status != 200 {
		t.Fatalf("ceremony page: %d", status)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#countdown").length`); n != 1 {
		t.Fatalf("no countdown after the launch: %q", Eval[string](t, ctx, `document.querySelector("main").innerText`))
	}
	if got := Eval[int64](t, ctx, `Number(document.getElementById("countdown").dataset.end)`); got != at.Add(7*24*time.Hour).UnixMilli() {
		t.Errorf("countdown ends at %d, want launch + 7 days", got)
	}
	if d := Text(t, ctx, `#countdown [data-part=d]`); d != "7" && d != "6" {
		t.Errorf("countdown shows %s days", d)
	}
	first := Text(t, ctx, `#countdown [data-part=s]`)
	WaitFor(t, ctx, "the countdown to tick", `document.querySelector("#countdown [data-part=s]").textContent !== `+jsString(first))
	Screenshot(t, ctx, "ceremony-02-launched")
	reportViolations(t, "/le-phat-dong after the launch", auditPage(t, ctx))

	// The portal's home page says the campaign is under way and links to the page.
	Open(t, ctx, srv.URL+"/")
	if n := Eval[int](t, ctx, `document.querySelectorAll("#home-countdown").length`); n != 1 {
		t.Errorf("home page lacks the campaign countdown")
	}
}

// TestPortalAccessibilityLearnerForms audits the forms citizens and learners use: the registration
// form, then the exam page while the learner takes an attempt (questions shown, an answer saved).
func TestPortalAccessibilityLearnerForms(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	auditAll(t, ctx, srv.URL, 360, 740, []string{"/register"})

	Login(t, ctx, srv.URL, "hocvien.dan", demo.Password)
	Open(t, ctx, srv.URL+"/courses")
	if status := Follow(t, ctx, `#courses a[data-course]`); status != 200 {
		t.Fatalf("course page: %d", status)
	}
	if status := Follow(t, ctx, "#take-exam"); status != 200 {
		t.Fatalf("exam page: %d", status)
	}
	// The demo learner's attempt resumes while it has time; once it has run out the page is the
	// start step, audited before starting a new attempt.
	if Eval[bool](t, ctx, `document.getElementById("exam-start") !== null`) {
		reportViolations(t, "exam start step", auditPage(t, ctx))
		if status := Follow(t, ctx, "#exam-start"); status != 200 {
			t.Fatalf("start: %d", status)
		}
	}
	WaitFor(t, ctx, "the questions", `document.querySelectorAll("#questions li.question").length > 0 && !document.getElementById("exam-form").hidden`)
	// An option not yet chosen: clicking the chosen one of a resumed attempt fires no change.
	Eval[bool](t, ctx, `document.querySelector("#questions li.question label.option input:not(:checked)").click(), true`)
	WaitFor(t, ctx, "the answer saved", answersSaved)
	Screenshot(t, ctx, "a11y-exam")
	reportViolations(t, "exam under way", auditPage(t, ctx))
}

// TestPortalAccessibilityOutreachForm audits the team member's phone form (the offline form), and
// the portal as a signed-in member sees it (the demo campaign colours the map; the workspace link).
func TestPortalAccessibilityOutreachForm(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, srv.URL, "tocnscd.bato.1", demo.Password)
	auditAll(t, ctx, srv.URL, 360, 740, []string{"/", "/workspace"})
	if n := Eval[int](t, ctx, `document.querySelectorAll("#workspace-link a[href='/workspace']").length`); n != 0 {
		t.Errorf("the workspace links to itself")
	}
	Open(t, ctx, srv.URL+"/")
	if n := Eval[int](t, ctx, `document.querySelectorAll("#portal-map path.area:not(.b-1)").length`); n == 0 {
		t.Errorf("the demo campaign does not colour the map")
	}
	if status := Follow(t, ctx, "#workspace-link a"); status != 200 || location(ctx) != srv.URL+"/workspace" {
		t.Errorf("workspace link: %d %s", status, location(ctx))
	}
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	if status := Open(t, ctx, srv.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form", `document.getElementById("outreach").dataset.ready === "1"`)
	Screenshot(t, ctx, "a11y-outreach-form")
	reportViolations(t, "/outreach/form", auditPage(t, ctx))
}
