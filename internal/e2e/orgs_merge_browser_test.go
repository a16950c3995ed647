package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestOrgMergeBrowser: the province's administrator (the demo's) adds Sở Khoa học và Công nghệ and
// merges Sở Thông tin và Truyền thông into it from 1 March 2025 on the organisations page; a bad
// date is refused on the page itself; the merged department leaves the list and shows, with its
// successor and last day, under "show merged organisations too" — at 1280 and 360 px.
func TestOrgMergeBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	Do(t, ctx, chromedp.EmulateViewport(1280, 900))
	Login(t, ctx, srv.URL, "so.tttt", "lantoa-demo-2023")
	if status := Open(t, ctx, srv.URL+"/orgs"); status != 200 {
		t.Fatalf("/orgs: %d", status)
	}
	Type(t, ctx, "#org-name", "Sở Khoa học và Công nghệ")
	Do(t, ctx, chromedp.SetValue("#org-kind", "department"), chromedp.SetValue("#org-unit", "51"))
	if status := Follow(t, ctx, `form[method="post"][action="/orgs"] button[type=submit]`); status != 200 {
		t.Fatalf("create: %d", status)
	}
	pick := func(sel, name string) {
		t.Helper()
		v := Eval[string](t, ctx, `([...document.querySelectorAll("`+sel+` option")].find(o => o.textContent === "`+name+`") || {}).value || ""`)
		if v == "" {
			t.Fatalf("%s offers no %q: %s", sel, name, Eval[string](t, ctx, `[...document.querySelectorAll("`+sel+` option")].map(o => o.textContent).join("; ") + " / " + (document.querySelector(".error, [role=alert]") || {}).textContent`))
		}
		Do(t, ctx, chromedp.SetValue(sel, v))
	}
	pick("#merge-org", "Sở Thông tin và Truyền thông")
	pick("#merge-into", "Sở Thông tin và Truyền thông")
	Do(t, ctx, chromedp.SetValue("#merge-effective", "2025-03-01"))
	if status := Follow(t, ctx, "#org-merge button[type=submit]"); status != 422 {
		t.Errorf("merging into itself: %d", status)
	}
	if got := Eval[string](t, ctx, `document.body.innerText`); !strings.Contains(got, "chính nó") {
		t.Errorf("the refusal is not on the page: %.300s", got)
	}
	pick("#merge-org", "Sở Thông tin và Truyền thông")
	pick("#merge-into", "Sở Khoa học và Công nghệ")
	Do(t, ctx, chromedp.SetValue("#merge-effective", "2025-03-01"))
	if status := Follow(t, ctx, "#org-merge button[type=submit]"); status != 200 {
		t.Fatalf("merge: %d", status)
	}
	if got := Text(t, ctx, "#orgs"); strings.Contains(got, "Sở Thông tin và Truyền thông") || !strings.Contains(got, "Sở Khoa học và Công nghệ") {
		t.Errorf("organisations in force after the merger: %.400s", got)
	}
	if status := Follow(t, ctx, "#orgs-retired"); status != 200 {
		t.Fatalf("with the merged: %d", status)
	}
	row := Eval[string](t, ctx, `([...document.querySelectorAll("#orgs tr.retired")].map(r => r.innerText).find(s => s.includes("Sở Thông tin và Truyền thông")) || "")`)
	if !strings.Contains(row, "Sở Khoa học và Công nghệ") || !strings.Contains(row, "2025-02-28") {
		t.Errorf("the merged department's row: %q", row)
	}
	Screenshot(t, ctx, "orgs-merged-1280")
	Do(t, ctx, chromedp.EmulateViewport(360, 800))
	NoSidewaysScroll(t, ctx, "the organisations page")
	Screenshot(t, ctx, "orgs-merged-360")
}
