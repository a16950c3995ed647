package e2e

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// wsFirst is what the test reads of a workspace section: its first task and where it links.
type wsFirst struct {
	Section string `json:"section"`
	Task    string `json:"task"`
	Href    string `json:"href"`
	Status  string `json:"status"`
	Tag     string `json:"tag"`
}

// TestWorkspaceDemoRoles signs in as each demo role, as a person would, and checks that they land
// on their workspace, that it opens with their own task list — its first task one of the role's
// tasks, linking where that task is done — and that following that link works; the page fits a
// 360-px phone and passes axe at both sizes. The demo's figures move with the calendar, so the
// test asserts which task and which link, never a number.
func TestWorkspaceDemoRoles(t *testing.T) {
	srv := StartServer(t, WithDemo())
	base := srv.URL
	ceremony := `^/ceremonies/\d+(/readiness)?$`
	for _, c := range []struct {
		user, section string
		// tasks maps each task the role may see first to the address it must link to.
		tasks map[string]string
		// follow is the control a person of this role presses first.
		follow string
	}{
		{"so.tttt", "#ws-province", map[string]string{"ceremony": ceremony, "campaign": `^/outreach/(progress|admin)$`, "reports": `^/reports(/periods/\d+)?$`,
			"training": `^/dashboard/units/51$`, "outbox": `^/admin/outbox(\?status=failed)?$`, "targets": `^/courses/\d+/figures$`}, ""},
		{"ubnd.bato", "#ws-unit-535", map[string]string{"ceremony": ceremony, "campaign": `^/outreach/(progress\?unit=535|teams)$`,
			"report": `^/reports(/periods)?/\d+$`, "training": `^/dashboard/units/535$`, "targets": `^/courses/\d+/figures$`}, ""},
		{"xa.bato", "[id^=ws-unit-]", map[string]string{"ceremony": ceremony, "campaign": `^/outreach/(progress\?unit=\d{5}|teams)$`,
			"report": `^/reports(/periods)?/\d+$`, "training": `^/dashboard/units/\d{5}$`}, ""},
		{"tinhdoan", "[id^=ws-org-]", map[string]string{"training": `^/dashboard/orgs/\d+$`}, ""},
		{"tocnscd.bato.1", "#ws-team", map[string]string{"citizens": `^/outreach/form$`, "visits": `^/outreach/visits$`}, "#ws-primary"},
		{"diemcau.bato", "#ws-bridge", map[string]string{"checklist": `^/ceremonies/\d+/points/\d+$`, "on-air": `^/ceremonies/\d+/points/\d+#on-air$`}, ""},
		{"hocvien.bato", "#ws-learner", map[string]string{"course": `^/courses/\d+$`, "certificates": `^/certificates$`}, ""},
	} {
		t.Run(c.user, func(t *testing.T) {
			// A browser per role: one browser lives at most BrowserTimeout.
			ctx := NewBrowser(t)
			Do(t, ctx, chromedp.EmulateViewport(1280, 900))
			Login(t, ctx, base, c.user, demo.Password)
			if got := Eval[string](t, ctx, `location.pathname`); got != "/workspace" {
				t.Fatalf("signed in at %s, want the workspace", got)
			}
			first := Eval[wsFirst](t, ctx, fmt.Sprintf(`(function(){
				var s = document.querySelector(%q); if (!s) return {};
				var li = s.querySelector(".ws-task"); if (!li) return {section: s.id};
				var tag = li.querySelector(".ws-tag");
				return {section: s.id, task: li.dataset.task, href: li.querySelector("a.ws-task-link").getAttribute("href"),
					status: li.dataset.status || "", tag: tag ? tag.textContent : ""};
			})()`, c.section))
			if first.Section == "" {
				t.Fatalf("no section %s on the workspace: %q", c.section, Text(t, ctx, "main"))
			}
			want, ok := c.tasks[first.Task]
			if !ok {
				t.Fatalf("first task %q (%s) is not one of %s's", first.Task, first.Href, c.user)
			}
			if !regexp.MustCompile(want).MatchString(first.Href) {
				t.Errorf("first task %s links to %s, want %s", first.Task, first.Href, want)
			}
			if first.Status != "" && first.Tag == "" {
				t.Errorf("first task %s has status %s but no tag", first.Task, first.Status)
			}
			reportViolations(t, c.user+" workspace at 1280px", auditPage(t, ctx))
			Screenshot(t, ctx, "1280")

			Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
			Open(t, ctx, base+"/workspace")
			NoSidewaysScroll(t, ctx, c.user+"'s workspace at 360px")
			reportViolations(t, c.user+" workspace at 360px", auditPage(t, ctx))
			Screenshot(t, ctx, "360")

			// The person presses their first thing to do and gets there.
			css := c.section + " .ws-task:first-child a.ws-task-link"
			if c.follow != "" {
				css = c.follow
			}
			if status := Follow(t, ctx, css); status != 200 {
				t.Errorf("%s: following %s answers %d", c.user, css, status)
			}
		})
	}
}

// TestWorkspacePendingRecords: a team member's records still queued in this browser show on the
// workspace (another user's queued records do not), and a browser that never opened the form gets
// no queue made behind its back by the workspace.
func TestWorkspacePendingRecords(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Login(t, ctx, srv.URL, "tocnscd.bato.2", demo.Password)
	WaitFor(t, ctx, "the workspace script to look", `document.readyState === "complete"`)
	if Eval[bool](t, ctx, `!document.getElementById("ws-pending").hidden`) {
		t.Fatal("records pending before any was made")
	}
	if awaitEval(t, ctx, `indexedDB.databases().then(l => l.some(d => d.name === "lantoa-outreach"))`) {
		t.Fatal("the workspace created the form's queue")
	}
	Open(t, ctx, srv.URL+"/outreach/form")
	WaitFor(t, ctx, "the form", `document.getElementById("outreach").dataset.ready === "1"`)
	// Two records of this member and one of another user wait in the queue, as the form leaves
	// them when there is no connection.
	awaitEval(t, ctx, `new Promise(function (resolve, reject) {
		var user = document.getElementById("outreach").dataset.user;
		var req = indexedDB.open("lantoa-outreach");
		req.onsuccess = function () {
			var tx = req.result.transaction("queue", "readwrite"), s = tx.objectStore("queue");
			s.put({id: "ws-1", user: user, status: "waiting", created: 1});
			s.put({id: "ws-2", user: user, status: "waiting", created: 2});
			s.put({id: "ws-3", user: "someone-else", status: "waiting", created: 3});
			tx.oncomplete = function () { resolve(true); };
			tx.onerror = function () { reject(tx.error); };
		};
		req.onerror = function () { reject(req.error); };
	})`)
	Open(t, ctx, srv.URL+"/workspace")
	WaitFor(t, ctx, "the pending records", `!document.getElementById("ws-pending").hidden`)
	if got := Text(t, ctx, "#ws-pending-count"); got != "2" {
		t.Errorf("%s records pending, want this member's 2", got)
	}
	NoSidewaysScroll(t, ctx, "the workspace with pending records")
	Screenshot(t, ctx, "pending-360")
	if status := Follow(t, ctx, "#ws-pending a"); status != 200 {
		t.Errorf("the pending records' link answers %d", status)
	}
}

// awaitEval evaluates a JavaScript expression that gives a promise of a boolean, and waits for it.
func awaitEval(t *testing.T, ctx context.Context, expr string) bool {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	v, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
