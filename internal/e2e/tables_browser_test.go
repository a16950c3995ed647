package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// The pages with wide tables, as the demo's roles see them on a 360×780 phone: no sideways
// scroll, every visible cell labelled with its column's heading (the headings themselves are
// hidden at that width), no serious accessibility fault; and screenshots at both sizes.

// labelFaults lists the visible data cells whose data-label is not their column's heading.
const labelFaults = `(() => {
  const norm = s => s.replace(/\s+/g, " ").trim();
  const out = [];
  let cells = 0;
  for (const table of document.querySelectorAll("main table")) {
    const heads = [];
    const hr = table.tHead && table.tHead.rows[0];
    if (hr) { for (const th of hr.cells) { for (let i = 0; i < th.colSpan; i++) { heads.push(norm(th.textContent)); } } }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let col = 0;
        for (const c of row.cells) {
          const w = c.colSpan;
          const visible = c.getClientRects().length > 0;
          if (c.tagName === "TD" && visible && !(w > 1 && w >= heads.length)) {
            cells++;
            const want = heads[col];
            const got = norm(c.getAttribute("data-label") || "");
            if (!want || got !== want) { out.push((table.id || "table") + ": " + JSON.stringify(norm(c.textContent).slice(0, 40)) + " labelled " + JSON.stringify(got) + ", column " + JSON.stringify(want)); }
          }
          col += w;
        }
      }
    }
  }
  return JSON.stringify({cells, faults: out.slice(0, 10)});
})()`

type labelReport struct {
	Cells  int      `json:"cells"`
	Faults []string `json:"faults"`
}

// phoneCheck opens a page at 360×780 and at 1280×900 and checks what a person sees at each.
func phoneCheck(t *testing.T, ctx context.Context, url, name string) {
	t.Helper()
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	if status := Open(t, ctx, url); status != 200 {
		t.Fatalf("%s: status %d", url, status)
	}
	NoSidewaysScroll(t, ctx, name+" at 360 px")
	var r labelReport
	if err := json.Unmarshal([]byte(Eval[string](t, ctx, labelFaults)), &r); err != nil {
		t.Fatal(err)
	}
	if r.Cells == 0 {
		t.Errorf("%s: no table cell visible at 360 px", name)
	}
	for _, f := range r.Faults {
		t.Errorf("%s at 360 px: %s", name, f)
	}
	var serious []axeViolation
	for _, v := range auditPage(t, ctx) {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, v)
		}
	}
	reportViolations(t, name+" at 360 px", serious)
	Screenshot(t, ctx, name+"-360")
	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Open(t, ctx, url)
	NoSidewaysScroll(t, ctx, name+" at 1280 px")
	Screenshot(t, ctx, name+"-1280")
}

// firstLink is the address of the first link matching css on the tab's page.
func firstLink(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	href := Eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).href || ""`, css))
	if href == "" {
		t.Fatalf("no link %s on %s", css, location(ctx))
	}
	return href
}

func TestPhoneTablesProvince(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := NewBrowser(t)
	Login(t, ctx, srv.URL, "so.tttt", demo.Password)
	phoneCheck(t, ctx, srv.URL+"/dashboard/units/51", "dashboard")
	// The comparison table: a named region the keyboard reaches, and a card per district on a
	// phone with the share and the first figures only.
	if got := Eval[string](t, ctx, `(() => { const b = document.querySelector(".compare-box"); return b.getAttribute("role") + "|" + b.tabIndex + "|" + document.getElementById(b.getAttribute("aria-labelledby")).textContent.trim(); })()`); !strings.HasPrefix(got, "region|0|") || strings.HasSuffix(got, "|") {
		t.Errorf("comparison scroll box: %q, want a focusable region named by its heading", got)
	}
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Open(t, ctx, srv.URL+"/dashboard/units/51")
	if n := Eval[int](t, ctx, `[...document.querySelectorAll("#children tbody tr:first-child td")].filter(c => c.getClientRects().length).length`); n != 5 {
		t.Errorf("a district's card on a phone shows %d figures, want the share and 4", n)
	}
	if Eval[bool](t, ctx, `document.getElementById("children-phone-hint").getClientRects().length === 0`) {
		t.Errorf("the phone does not say where the other figures are")
	}
	phoneCheck(t, ctx, srv.URL+"/outreach/progress?unit=51", "outreach-progress")
	phoneCheck(t, ctx, srv.URL+"/audit", "audit")
	Open(t, ctx, srv.URL+"/courses")
	phoneCheck(t, ctx, firstLink(t, ctx, `#courses a[href^="/courses/"]`)+"/figures", "course-figures")
}

func TestPhoneTablesDistrict(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := NewBrowser(t)
	Login(t, ctx, srv.URL, "ubnd.bato", demo.Password)
	phoneCheck(t, ctx, srv.URL+"/dashboard/units/535", "district-dashboard")
	phoneCheck(t, ctx, srv.URL+"/outreach/progress?unit=535", "district-progress")
	Open(t, ctx, srv.URL+"/reports")
	Open(t, ctx, firstLink(t, ctx, `#periods a[href^="/reports/periods/"]`))
	phoneCheck(t, ctx, firstLink(t, ctx, `#status a[href^="/reports/"]`), "report")
}

// TestControlRoomOnAPhone: 187 bridge points are not 187 cards to scroll through. The first
// screen shows a page of points; the filter finds the ones that need attention or a name typed
// without its marks; "more" shows the next page.
func TestControlRoomOnAPhone(t *testing.T) {
	srv := StartServer(t, WithDemo())
	ctx := NewBrowser(t)
	Login(t, ctx, srv.URL, "so.tttt", demo.Password)
	Open(t, ctx, srv.URL+"/ceremonies")
	control := firstLink(t, ctx, `#ceremonies a[href^="/ceremonies/"]`) + "/control"
	phoneCheck(t, ctx, control, "control-room")
	Do(t, ctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
	Open(t, ctx, control)
	WaitFor(t, ctx, "the filter", `!document.getElementById("point-filter").hidden`)
	visible := `[...document.querySelectorAll("#points tbody tr")].filter(r => !r.hidden)`
	total := Eval[int](t, ctx, `document.querySelectorAll("#points tbody tr").length`)
	if n := Eval[int](t, ctx, visible+`.length`); n != 20 || total < 100 {
		t.Fatalf("the phone shows %d of %d points, want the first 20", n, total)
	}
	if got := Text(t, ctx, "#points-shown"); !strings.Contains(got, fmt.Sprintf("20 / %d", total)) {
		t.Errorf("shown: %q", got)
	}
	Do(t, ctx, chromedp.Click(chromedp.CSS("#points-more"), chromedp.NodeVisible))
	if n := Eval[int](t, ctx, visible+`.length`); n != 40 {
		t.Errorf("after 'more' %d points shown, want 40", n)
	}
	// Needs attention: not ready or lost, and nothing else.
	pick := func(state string) {
		Do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })(document.getElementById("pf-state"))`, state)))
	}
	pick("problem")
	states := Eval[[]string](t, ctx, visible+`.map(r => r.dataset.state)`)
	notReady := Eval[int](t, ctx, `+document.querySelector('[data-count="not_ready"]').textContent + +document.querySelector('[data-count="lost"]').textContent`)
	if len(states) == 0 || len(states) != min(20, notReady) {
		t.Errorf("needs attention shows %d points; %d are not ready or lost", len(states), notReady)
	}
	for _, s := range states {
		if s != "not_ready" && s != "lost" {
			t.Errorf("needs attention shows a point in state %s", s)
		}
	}
	// A name typed without Vietnamese marks.
	pick("")
	Type(t, ctx, "#pf-q", "ba to")
	names := Eval[[]string](t, ctx, visible+`.map(r => r.cells[0].textContent + " " + (r.querySelector("[data-district]") || {textContent: ""}).textContent)`)
	if len(names) == 0 {
		t.Fatalf("searching 'ba to' finds nothing")
	}
	for _, n := range names {
		if !strings.Contains(n, "Ba Tơ") {
			t.Errorf("searching 'ba to' shows %q", n)
		}
	}
	Screenshot(t, ctx, "control-room-filtered-360")
	Type(t, ctx, "#pf-q", "zzz")
	if Eval[bool](t, ctx, `document.getElementById("points-none").hidden`) {
		t.Errorf("no match, and the page does not say so")
	}
}
