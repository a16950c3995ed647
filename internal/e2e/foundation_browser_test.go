package e2e

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lantoa/lantoa/internal/units"
)

const (
	provinceAdmin   = "tinh.admin"
	provincePass    = "Tinh-QuangNgai-2024"
	baToAdmin       = "bato.admin"
	baToPass        = "BaTo-mat-khau-2024"
	baToDisplayName = "Phạm Văn Ba Tơ"
)

// otherDistricts are the names of the province's districts other than Ba Tơ (535), from the
// embedded unit tree.
func otherDistricts(t *testing.T) []string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(units.QuangNgai2023CSV())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows[1:] {
		if r[2] == "district" && r[0] != "535" {
			names = append(names, r[1])
		}
	}
	if len(names) != 12 {
		t.Fatalf("expected 12 other districts, got %d: %v", len(names), names)
	}
	return names
}

// TestFoundationBrowser is the flow of the foundation issue: the province administrator logs in,
// creates a unit administrator for Huyện Ba Tơ, logs out; the new user logs in and sees Ba Tơ's
// communes and no other district's.
func TestFoundationBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, provinceAdmin, provincePass, "province_admin", "51")
	base := srv.URL

	// The province administrator creates the Ba Tơ administrator.
	Login(t, ctx, base, provinceAdmin, provincePass)
	if got := Text(t, ctx, "[data-testid=who]"); got != provinceAdmin {
		t.Errorf("header names %q, want %s", got, provinceAdmin)
	}
	Screenshot(t, ctx, "01-home-province-admin")
	// Users are in the administration section: its menu entry, then the section's own menu.
	if got := Text(t, ctx, `header nav a[href="/units"]`); got != "Quản trị" {
		t.Errorf("the administration entry of the menu says %q", got)
	}
	if status := Follow(t, ctx, `header nav a[href="/units"]`); status != 200 {
		t.Fatalf("/units: status %d", status)
	}
	if got := Text(t, ctx, `header .subnav a[href="/users"]`); got != "Người dùng" {
		t.Errorf("section link to /users says %q", got)
	}
	if status := Follow(t, ctx, `header .subnav a[href="/users"]`); status != 200 {
		t.Fatalf("/users: status %d", status)
	}
	if status := Follow(t, ctx, "#new-user"); status != 200 {
		t.Fatalf("/users/new: status %d", status)
	}
	Type(t, ctx, "#username", baToAdmin)
	Type(t, ctx, "#display_name", baToDisplayName)
	Type(t, ctx, "#password", baToPass)
	Do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#role"), "unit_admin", chromedp.NodeVisible),
		chromedp.SetValue(chromedp.CSS("#unit_code"), "535", chromedp.NodeVisible),
	)
	if got := Eval[string](t, ctx, `document.querySelector("#unit_code").selectedOptions[0].textContent`); got != "Huyện Ba Tơ" {
		t.Fatalf("unit option 535 says %q, want Huyện Ba Tơ", got)
	}
	Screenshot(t, ctx, "02-new-user-form")
	if status := Follow(t, ctx, "#user-submit"); status != 200 {
		t.Fatalf("create user: status %d; page says %q", status, Eval[string](t, ctx, `document.body.innerText`))
	}
	if got := Text(t, ctx, "main h1"); got != baToAdmin {
		t.Fatalf("after creating the user the heading is %q, want %s; page says %q", got, baToAdmin, Eval[string](t, ctx, `document.body.innerText`))
	}
	if got := Text(t, ctx, "#grants"); !strings.Contains(got, "Huyện Ba Tơ") {
		t.Errorf("the new user's roles %q do not name Huyện Ba Tơ", got)
	}
	Screenshot(t, ctx, "03-user-created")
	if status := Follow(t, ctx, "#logout"); status != 200 {
		t.Fatalf("log out: status %d", status)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#logout, [data-testid=who]").length`); n != 0 {
		t.Fatalf("still signed in after logging out, at %s", location(ctx))
	}

	// The Ba Tơ administrator sees Ba Tơ and its communes, and nothing of the other districts.
	Login(t, ctx, base, baToAdmin, baToPass)
	if got := Text(t, ctx, `header nav a[href="/units"]`); got != "Quản trị" {
		t.Errorf("nav link to /units says %q", got)
	}
	if status := Follow(t, ctx, `header nav a[href="/units"]`); status != 200 {
		t.Fatalf("/units: status %d", status)
	}
	if got := Text(t, ctx, "[data-testid=unit-name]"); got != "Huyện Ba Tơ" {
		t.Errorf("/units heading = %q, want Huyện Ba Tơ", got)
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#children tbody tr").length`); n != 19 {
		t.Errorf("#children has %d rows, want Ba Tơ's 19 communes", n)
	}
	children := Eval[[]string](t, ctx, `[...document.querySelectorAll("#children tbody tr td:nth-child(2)")].map(td => td.innerText.trim())`)
	if !slices.Contains(children, "Thị trấn Ba Tơ") {
		t.Errorf("#children lacks Thị trấn Ba Tơ: %v", children)
	}
	body := Eval[string](t, ctx, `document.body.innerText`)
	for _, name := range otherDistricts(t) {
		if strings.Contains(body, name) {
			t.Errorf("/units for the Ba Tơ administrator shows %q", name)
		}
	}
	Screenshot(t, ctx, "04-units-ba-to")

	// Search, through htmx: Sơn Tây is outside the scope, Ba Tơ's town is inside it. A user with
	// one unit gets that unit's page at /units; when it has no search box, the search page
	// (/units?q=…, where the form without JavaScript leads) has one.
	if Eval[int](t, ctx, `document.querySelectorAll("#unit-q").length`) == 0 {
		t.Logf("NOTE: /units for a user with one unit has no search box (#unit-q); using /units?q=ba+to")
		if status := Open(t, ctx, base+"/units?q=ba+to"); status != 200 {
			t.Fatalf("/units?q=ba+to: status %d", status)
		}
		WaitFor(t, ctx, "Thị trấn Ba Tơ in the results", `[...document.querySelectorAll("#unit-results li a")].some(a => a.innerText.trim() === "Thị trấn Ba Tơ")`)
	}
	searchPage := location(ctx)
	Type(t, ctx, "#unit-q", "son tay")
	WaitFor(t, ctx, `"Tìm thấy 0 đơn vị."`, `document.querySelector("#unit-search-results").innerText.includes("Tìm thấy 0 đơn vị.")`)
	if n := Eval[int](t, ctx, `document.querySelectorAll("#unit-results li").length`); n != 0 {
		t.Errorf("search for 'son tay' lists %d units", n)
	}
	if body := Eval[string](t, ctx, `document.body.innerText`); strings.Contains(body, "Sơn Tây") {
		t.Errorf("search for 'son tay' shows Sơn Tây")
	}
	Screenshot(t, ctx, "05-units-search-son-tay")
	Type(t, ctx, "#unit-q", "ba to")
	WaitFor(t, ctx, "Thị trấn Ba Tơ in the results", `[...document.querySelectorAll("#unit-results li a")].some(a => a.innerText.trim() === "Thị trấn Ba Tơ")`)
	if loc := location(ctx); loc != searchPage {
		t.Errorf("the search left %s for %s: htmx did not swap the results in place", searchPage, loc)
	}

	// A unit of another district does not exist for the Ba Tơ administrator.
	if status := Open(t, ctx, base+"/units/530"); status != 404 {
		t.Errorf("/units/530: status %d, want 404", status)
	}
	if got := Text(t, ctx, "main h1 .code"); got != "404" {
		t.Errorf("/units/530 heading shows status %q", got)
	}
	if got := Text(t, ctx, "main [role=alert]"); got != "Không tìm thấy đơn vị hành chính có mã 530." {
		t.Errorf("/units/530 says %q", got)
	}
	if body := Eval[string](t, ctx, `document.body.innerText`); strings.Contains(body, "Sơn Tây") {
		t.Errorf("/units/530 shows Sơn Tây")
	}
	Screenshot(t, ctx, "06-units-530-not-found")

	// The user list shows only the users in Ba Tơ.
	if status := Open(t, ctx, base+"/users"); status != 200 {
		t.Fatalf("/users as the Ba Tơ administrator: status %d", status)
	}
	listed := Eval[[]string](t, ctx, `[...document.querySelectorAll("#users tbody tr td:first-child a")].map(a => a.innerText.trim())`)
	if !slices.Contains(listed, baToAdmin) {
		t.Errorf("/users lacks %s: %v", baToAdmin, listed)
	}
	for _, u := range []string{provinceAdmin, "admin"} {
		if slices.Contains(listed, u) {
			t.Errorf("/users shows %s, who is outside Ba Tơ: %v", u, listed)
		}
	}
	Screenshot(t, ctx, "07-users-ba-to")

	// The language switch.
	if status := Follow(t, ctx, `header .session button[lang=en]`); status != 200 {
		t.Fatalf("switch to English: status %d", status)
	}
	if nav := Text(t, ctx, "header"); !strings.Contains(nav, "Administration") || !strings.Contains(nav, "Administrative units") {
		t.Errorf("after switching to English the nav says %q", nav)
	}
	if lang := Eval[string](t, ctx, `document.documentElement.lang`); lang != "en" {
		t.Errorf("html lang = %q after switching to English", lang)
	}
	if loc := location(ctx); !strings.HasSuffix(loc, "/users") {
		t.Errorf("the language switch left /users for %s", loc)
	}
	Screenshot(t, ctx, "08-users-english")

	// A 360-px-wide phone: no horizontal scrolling.
	Do(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	if status := Open(t, ctx, base+"/units"); status != 200 {
		t.Fatalf("/units at 360 px: status %d", status)
	}
	if w := Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 361 {
		t.Errorf("/units is %d px wide in a 360 px viewport: it scrolls sideways", w)
	}
	Screenshot(t, ctx, "09-units-360px")
	// On a phone the menu folds behind one button, so the header is a line and not a third of the
	// screen; the button opens it, Escape closes it again.
	if h := Eval[int](t, ctx, `document.querySelector("header.top .bar").getBoundingClientRect().height`); h > 72 {
		t.Errorf("the phone header bar is %d px tall", h)
	}
	if Eval[bool](t, ctx, `document.querySelector("#site-menu").offsetParent !== null`) {
		t.Errorf("the menu is open on a phone before its button is pressed")
	}
	Do(t, ctx, chromedp.Click(chromedp.CSS("#menu-toggle"), chromedp.NodeVisible))
	if !Eval[bool](t, ctx, `document.querySelector("#site-menu").offsetParent !== null && document.querySelector("#menu-toggle").getAttribute("aria-expanded") === "true"`) {
		t.Errorf("the menu button does not open the menu")
	}
	Screenshot(t, ctx, "10-menu-open-360px")
	Do(t, ctx, chromedp.KeyEvent(kb.Escape))
	if Eval[bool](t, ctx, `document.querySelector("#site-menu").offsetParent !== null`) || !Eval[bool](t, ctx, `document.activeElement.id === "menu-toggle"`) {
		t.Errorf("Escape does not close the menu and return to its button")
	}

	// A second person at another computer is not signed in.
	other := NewContext(t, ctx)
	Open(t, other, base+"/units")
	if loc := location(other); !strings.Contains(loc, "/login") {
		t.Errorf("a browser with no session reached %s", loc)
	}
}
