package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// provinceCeremonyInBrowser fills the new ceremony form of /ceremonies (its defaults name the
// viewer's province), starting in ten minutes, generates the points and returns the ceremony's
// path once the page shows want points.
func provinceCeremonyInBrowser(t *testing.T, ctx context.Context, base, wantTitle, wantPoints string) string {
	t.Helper()
	if status := Open(t, ctx, base+"/ceremonies"); status != 200 {
		t.Fatalf("/ceremonies: %d", status)
	}
	if got := Eval[string](t, ctx, `document.querySelector("#c-title").value`); got != wantTitle {
		t.Fatalf("the new ceremony's title is %q, want %q", got, wantTitle)
	}
	starts := time.Now().Add(10 * time.Minute).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Do(t, ctx, chromedp.SetValue(chromedp.CSS("#c-starts"), starts, chromedp.NodeVisible))
	Follow(t, ctx, "#ceremony-submit")
	WaitFor(t, ctx, "the ceremony page", `/^\/ceremonies\/\d+$/.test(location.pathname) && document.querySelector("#generate-points") !== null`)
	path := Eval[string](t, ctx, `location.pathname`)
	Follow(t, ctx, "#generate-points")
	WaitFor(t, ctx, wantPoints+" points", `document.body.innerText.includes("Số điểm cầu: `+wantPoints+`")`)
	return path
}

// launchInBrowser presses the launch button of the ceremony page, both steps.
func launchInBrowser(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	Open(t, ctx, base+path)
	Do(t, ctx, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	WaitFor(t, ctx, "the confirmation", `!document.querySelector("#launch-confirm").hidden`)
	Do(t, ctx, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, ctx, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)
}

// TestCeremonyProvincesBrowser is the browser contract: on a deployment holding Quảng Ngãi
// and Hà Nội, Hà Nội's administrator signs in and sees only Hà Nội's ceremony (whose form names Hà
// Nội and whose points come from Hà Nội's tree), report periods and users; Quảng Ngãi's launch does
// not reach Hà Nội's screen, Hà Nội's own launch does; the national administrator reads both.
func TestCeremonyProvincesBrowser(t *testing.T) {
	qn := NewBrowser(t)
	srv := StartServer(t)
	srv.ImportProvince(t, "01")
	const pass = "Mat-Khau-Tinh-2024"
	srv.CreateUser(t, "so.tttt.qn", pass, "province_admin", "51")
	srv.CreateUser(t, "so.tttt.hn", pass, "province_admin", "01")
	srv.CreateUser(t, "quoc.gia", pass, "national_admin", "")
	base := srv.URL

	Login(t, qn, base, "so.tttt.qn", pass)
	qnPath := provinceCeremonyInBrowser(t, qn, base, "Lễ phát động Phong trào chuyển đổi số tỉnh Quảng Ngãi", "187")

	hn := NewContext(t, qn)
	Login(t, hn, base, "so.tttt.hn", pass)
	if status := Open(t, hn, base+"/ceremonies"); status != 200 {
		t.Fatalf("Hà Nội's /ceremonies: %d", status)
	}
	if strings.Contains(Eval[string](t, hn, `document.body.innerText`), "Quảng Ngãi") {
		t.Fatal("Hà Nội's administrator sees Quảng Ngãi's ceremony")
	}
	Do(t, hn, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	if w := Eval[int](t, hn, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("/ceremonies is %d px wide in a 360 px viewport", w)
	}
	Screenshot(t, hn, "01-ha-noi-ceremonies-360px")
	Do(t, hn, chromedp.EmulateViewport(1280, 900))
	hnPath := provinceCeremonyInBrowser(t, hn, base, "Lễ phát động Phong trào chuyển đổi số thành phố Hà Nội", "610")
	Screenshot(t, hn, "02-ha-noi-ceremony")
	if status := Open(t, hn, base+qnPath); status != 404 {
		t.Fatalf("Hà Nội opening Quảng Ngãi's ceremony: %d", status)
	}
	if status := Open(t, hn, base+qnPath+"/screen"); status != 404 {
		t.Fatalf("Hà Nội opening Quảng Ngãi's screen: %d", status)
	}

	// Reports and users: Quảng Ngãi opens the plan's period; Hà Nội opens its own; each
	// administrator's lists hold its own province's period and people only.
	Open(t, qn, base+"/reports")
	Follow(t, qn, "#create-plan")
	Open(t, hn, base+"/reports")
	Follow(t, hn, "#create-plan")
	Open(t, hn, base+"/reports")
	if got := Text(t, hn, "#periods"); !strings.Contains(got, "Hà Nội") || strings.Contains(got, "Quảng Ngãi") {
		t.Errorf("Hà Nội's report periods: %q", got)
	}
	Open(t, qn, base+"/reports")
	if got := Text(t, qn, "#periods"); !strings.Contains(got, "Quảng Ngãi") || strings.Contains(got, "Hà Nội") {
		t.Errorf("Quảng Ngãi's report periods: %q", got)
	}
	Open(t, hn, base+"/users")
	if got := Eval[string](t, hn, `document.querySelector("main").innerText`); !strings.Contains(got, "so.tttt.hn") || strings.Contains(got, "so.tttt.qn") || strings.Contains(got, "quoc.gia") {
		t.Errorf("Hà Nội's users page: %q", got)
	}
	Screenshot(t, hn, "02b-ha-noi-users")

	// Two screens: Hà Nội's and Quảng Ngãi's, each live on its own ceremony.
	hnScreen := NewContext(t, qn)
	Login(t, hnScreen, base, "so.tttt.hn", pass)
	Open(t, hnScreen, base+hnPath+"/screen")
	qnScreen := NewContext(t, qn)
	Login(t, qnScreen, base, "so.tttt.qn", pass)
	Open(t, qnScreen, base+qnPath+"/screen")
	for _, s := range []*screenTab{{"Hà Nội's screen", hnScreen}, {"Quảng Ngãi's screen", qnScreen}} {
		WaitFor(t, s.ctx, s.name+" live", `document.querySelector("#screen").dataset.connState === "live"`)
	}
	// Quảng Ngãi launches: its screen counts down, Hà Nội's does not move.
	launchInBrowser(t, qn, base, qnPath)
	WaitFor(t, qnScreen, "Quảng Ngãi's countdown", `["countdown", "launched"].includes(document.querySelector("#screen").dataset.phase)`)
	WaitFor(t, qnScreen, "Quảng Ngãi launched", `document.querySelector("#screen").dataset.phase === "launched" && !document.querySelector("#launched").hidden`)
	if got := Text(t, qnScreen, ".launched-sub"); got != "Phong trào Chuyển đổi số tỉnh Quảng Ngãi chính thức được phát động!" {
		t.Errorf("Quảng Ngãi's motto %q", got)
	}
	if phase := Eval[string](t, hnScreen, `document.querySelector("#screen").dataset.phase || ""`); phase == "countdown" || phase == "launched" ||
		!Eval[bool](t, hnScreen, `document.querySelector("#countdown").hidden && document.querySelector("#launched").hidden`) {
		t.Fatalf("Quảng Ngãi's launch reached Hà Nội's screen (phase %q)", phase)
	}
	// Hà Nội's own launch reaches its screen, with its own motto.
	launchInBrowser(t, hn, base, hnPath)
	WaitFor(t, hnScreen, "Hà Nội launched", `document.querySelector("#screen").dataset.phase === "launched" && !document.querySelector("#launched").hidden`)
	if got := Text(t, hnScreen, ".launched-sub"); got != "Phong trào Chuyển đổi số thành phố Hà Nội chính thức được phát động!" {
		t.Errorf("Hà Nội's motto %q", got)
	}
	Screenshot(t, hnScreen, "03-ha-noi-launched")

	// The national administrator reads both provinces' ceremonies, creates none, launches none.
	nat := NewContext(t, qn)
	Login(t, nat, base, "quoc.gia", pass)
	Open(t, nat, base+"/ceremonies")
	if n := Eval[int](t, nat, `document.querySelectorAll("#ceremonies td[data-province]").length`); n != 2 {
		t.Errorf("the national list shows %d ceremonies with their province", n)
	}
	if Eval[bool](t, nat, `document.querySelector("#ceremony-form") !== null`) {
		t.Error("the national administrator is offered the new ceremony form")
	}
	Screenshot(t, nat, "04-national-ceremonies")
	Open(t, nat, base+qnPath)
	if Eval[bool](t, nat, `document.querySelector("#launch-panel") !== null || document.querySelector("#generate-points") !== null`) {
		t.Error("the national administrator is offered Quảng Ngãi's launch or generation")
	}
	if status := Open(t, nat, base+qnPath+"/control"); status != 200 {
		t.Errorf("national control room: %d", status)
	}
	Do(t, nat, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	Open(t, nat, base+"/outreach/admin")
	if w := Eval[int](t, nat, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("/outreach/admin is %d px wide in a 360 px viewport", w)
	}
	Screenshot(t, nat, "05-national-campaigns-360px")
}
