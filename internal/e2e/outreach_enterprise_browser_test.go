package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
)

// TestOutreachFormEnterprise: a member helps a household business with its e-invoices. On the
// phone form they choose "Doanh nghiệp", the citizen's fields and skills give way to the
// enterprise's, a mistyped tax code is caught before saving, and the record, once sent, shows on
// the progress page among the enterprises, not among the citizens or in the member's 7.
func TestOutreachFormEnterprise(t *testing.T) {
	srv := StartServer(t, WithDemo())
	const member = "tocnscd.bato.2"
	token := srv.Token(t, member)
	type figures struct {
		Citizens    int `json:"distinct_citizens"`
		Enterprises int `json:"distinct_enterprises"`
		Records     int `json:"enterprise_records"`
	}
	var before figures
	apiGet(t, srv.URL, token, "/api/v1/outreach/progress", &before)
	var me0 struct{ Citizens int }
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me0)

	ctx := NewBrowser(t)
	Do(t, ctx, chromedp.EmulateViewport(360, 740))
	Login(t, ctx, srv.URL, member, demo.Password)
	if status := Open(t, ctx, srv.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form", `document.getElementById("outreach").dataset.ready === "1"`)
	if Eval[bool](t, ctx, `!document.querySelector("label[data-audience=enterprise]").hidden || document.getElementById("citizen-fields").hidden`) {
		t.Fatal("the form does not open on a citizen")
	}
	Do(t, ctx, chromedp.Click(chromedp.CSS(`input[name=subject][value=enterprise]`), chromedp.NodeVisible))
	if !Eval[bool](t, ctx, `document.getElementById("citizen-fields").hidden && !document.getElementById("enterprise-fields").hidden &&
		document.querySelector("input[name=skills][value=dvc_tinh]").closest("label").hidden && !document.querySelector("input[name=skills][value=hoa_don_dien_tu]").closest("label").hidden`) {
		t.Fatal("choosing an enterprise did not show its fields and skills only")
	}
	Type(t, ctx, "#e-name", "Hộ kinh doanh Tạp hóa Đinh Thị Lan")
	Type(t, ctx, "#e-tax", "43001234")
	Do(t, ctx,
		chromedp.Click(chromedp.CSS(`input[name=skills][value=hoa_don_dien_tu]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`input[name=platforms][value=chu_ky_so]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
	if n := Eval[int](t, ctx, `document.querySelectorAll("#recent li").length`); n != 0 || !Eval[bool](t, ctx, `document.getElementById("e-tax").matches(":invalid")`) {
		t.Fatalf("saved with an 8-digit tax code (%d entries)", n)
	}
	Eval[bool](t, ctx, `(document.getElementById("e-tax").value = "", true)`)
	Type(t, ctx, "#e-tax", "4300123456-001")
	Type(t, ctx, "#e-contact", "Đinh Thị Lan")
	Type(t, ctx, "#e-contact-phone", "0935 222 333")
	Do(t, ctx, chromedp.Click(chromedp.CSS(`#c-consent`), chromedp.NodeVisible))
	Screenshot(t, ctx, "outreach form enterprise 360")
	NoSidewaysScroll(t, ctx, "the enterprise form at 360 px")
	reportViolations(t, "outreach enterprise form at 360px", auditPage(t, ctx))
	Do(t, ctx, chromedp.Click(chromedp.CSS(`#save-record`), chromedp.NodeVisible))
	WaitFor(t, ctx, "the record to be sent", `document.querySelectorAll("#recent li[data-status=sent]").length === 1 && document.getElementById("pending-count").textContent === "0"`)
	if got := Text(t, ctx, "#recent"); !strings.Contains(got, "Tạp hóa Đinh Thị Lan") || !strings.Contains(got, "4300123456-001") {
		t.Errorf("the recent list shows %q", got)
	}
	// After saving, the form is back on a citizen.
	if Eval[bool](t, ctx, `document.getElementById("citizen-fields").hidden`) {
		t.Error("the form stayed on the enterprise after saving")
	}

	var recs struct {
		Items []struct {
			Subject    string `json:"subject"`
			Enterprise struct {
				Name string `json:"name"`
			} `json:"enterprise"`
		}
	}
	apiGet(t, srv.URL, token, "/api/v1/outreach/records?mine=1&limit=1", &recs)
	if len(recs.Items) != 1 || recs.Items[0].Subject != "enterprise" || recs.Items[0].Enterprise.Name != "Hộ kinh doanh Tạp hóa Đinh Thị Lan" {
		t.Fatalf("records: %+v", recs.Items)
	}
	var me struct{ Citizens int }
	apiGet(t, srv.URL, token, "/api/v1/outreach/me", &me)
	if me.Citizens != me0.Citizens {
		t.Errorf("the enterprise counted as a citizen: %d, was %d", me.Citizens, me0.Citizens)
	}

	// The progress page counts it among the enterprises.
	if status := Open(t, ctx, srv.URL+"/outreach/progress"); status != 200 {
		t.Fatalf("progress page: %d", status)
	}
	if got := Text(t, ctx, "#t-enterprises"); got != strconv.Itoa(before.Enterprises+1) {
		t.Errorf("enterprises on the page: %q, want %d", got, before.Enterprises+1)
	}
	if got := Text(t, ctx, "#t-enterprise-records"); got != strconv.Itoa(before.Records+1) {
		t.Errorf("enterprise records on the page: %q, want %d", got, before.Records+1)
	}
	if got := Text(t, ctx, "#t-citizens"); got != strconv.Itoa(before.Citizens) {
		t.Errorf("citizens on the page: %q, want %d unchanged", got, before.Citizens)
	}
	Screenshot(t, ctx, "outreach progress enterprises 360")
	NoSidewaysScroll(t, ctx, "the progress page at 360 px")
	reportViolations(t, "outreach progress at 360px", auditPage(t, ctx))

	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Screenshot(t, ctx, "outreach progress enterprises 1280")
	if vs, err := rerunAxe(ctx); err != nil {
		t.Fatal(err)
	} else {
		reportViolations(t, "outreach progress at 1280px", vs)
	}
	if status := Open(t, ctx, srv.URL+"/outreach/form"); status != 200 {
		t.Fatalf("form: %d", status)
	}
	WaitFor(t, ctx, "the form", `document.getElementById("outreach").dataset.ready === "1"`)
	Do(t, ctx, chromedp.Click(chromedp.CSS(`input[name=subject][value=enterprise]`), chromedp.NodeVisible))
	Screenshot(t, ctx, "outreach form enterprise 1280")
}
