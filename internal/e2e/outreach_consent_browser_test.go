package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestOutreachFormWithoutConsent: a member on the doorstep guides someone who does not agree to be
// recorded. Leaving the consent box unticked, the form asks for no name, sends none, and the
// guidance arrives and counts without the citizen; ticking it makes the name required again.
func TestOutreachFormWithoutConsent(t *testing.T) {
	srv := StartServer(t, WithDemo())
	const member = "tocnscd.bato.2"
	token := srv.Token(t, member)
	var me0 struct{ Citizens int }
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me0)

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, srv.URL, member, demo.Password)
	if status := Open(t, ctx, srv.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form", `document.getElementById("outreach").dataset.ready === "1"`)
	if hint := Text(t, ctx, "#consent-none"); !strings.Contains(hint, "không ghi họ tên") {
		t.Errorf("the hint under the consent box: %q", hint)
	}
	// Ticked, the name is required: the browser will not save the form without it.
	Do(t, ctx,
		chromedp.Click(chromedp.CSS(`#c-consent`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`input[name=skills][value=dvc_quocgia]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
	if n := Eval[int](t, ctx, `document.querySelectorAll("#recent li").length`); n != 0 || !Eval[bool](t, ctx, `document.getElementById("c-name").matches(":invalid")`) {
		t.Fatalf("saved without a name although the citizen consented (%d entries)", n)
	}
	// Unticked: what was typed about the citizen is not sent; the guidance is.
	Type(t, ctx, "#c-name", "Người Không Đồng Ý")
	Type(t, ctx, "#c-phone", "0905 000 999")
	Do(t, ctx, chromedp.Click(chromedp.CSS(`#c-consent`), chromedp.NodeVisible))
	Screenshot(t, ctx, "outreach form without consent 360")
	Do(t, ctx, chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
	WaitFor(t, ctx, "the record to be sent", `document.querySelectorAll("#recent li").length === 1 && document.getElementById("pending-count").textContent === "0"`)
	if got := Text(t, ctx, "#recent"); !strings.Contains(got, "không ghi danh") || strings.Contains(got, "Người Không Đồng Ý") {
		t.Errorf("the recent list shows %q", got)
	}
	NoSidewaysScroll(t, ctx, "the form at 360 px")
	reportViolations(t, "outreach form at 360px", auditPage(t, ctx))

	var recs struct {
		Items []struct {
			Citizen struct {
				Name      string `json:"name"`
				BirthYear int    `json:"birth_year"`
				Phone     string `json:"phone"`
			} `json:"citizen"`
			ConsentVersion string `json:"consent_version"`
		}
	}
	apiGet(t, srv.URL, token, "/api/v1/outreach/records?mine=1", &recs)
	if len(recs.Items) != 1 || recs.Items[0].Citizen.Name != "" || recs.Items[0].Citizen.Phone != "" || recs.Items[0].Citizen.BirthYear != 0 || recs.Items[0].ConsentVersion != "" {
		t.Fatalf("records: %+v", recs.Items)
	}
	var me struct{ Citizens int }
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me)
	if me.Citizens != me0.Citizens+1 {
		t.Errorf("the guidance did not count: %d citizens, was %d", me.Citizens, me0.Citizens)
	}

	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Screenshot(t, ctx, "outreach form without consent 1280")
	if vs, err := rerunAxe(ctx); err != nil {
		t.Fatal(err)
	} else {
		reportViolations(t, "outreach form at 1280px", vs)
	}
}
