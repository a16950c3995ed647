package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// createCeremonyInBrowser fills the new-ceremony form of /ceremonies with a start `in` from now
// and returns the new ceremony's path.
func createCeremonyInBrowser(t *testing.T, ctx context.Context, base, title string, in time.Duration) string {
	t.Helper()
	if status := Open(t, ctx, base+"/ceremonies"); status != 200 {
		t.Fatalf("/ceremonies: %d", status)
	}
	Type(t, ctx, "#c-title", title)
	starts := time.Now().Add(in).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")
	Do(t, ctx, chromedp.SetValue(chromedp.CSS("#c-starts"), starts, chromedp.NodeVisible))
	Follow(t, ctx, "#ceremony-submit")
	WaitFor(t, ctx, "the ceremony page", `/^\/ceremonies\/\d+$/.test(location.pathname)`)
	return Eval[string](t, ctx, `location.pathname`)
}

// scripts turns the page's JavaScript on or off (the test's own evaluations still run).
func scripts(t *testing.T, ctx context.Context, on bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		t.Fatal(err)
	}
}

func stepTitles(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#programme-steps tbody input[name=title]")).map(i => i.value)`)
}

// TestCeremonyProgrammeBrowser: the province administrator edits the ceremony's details (the
// livestream link among them), its programme — add, edit, move up and down, delete — and the
// leaders who may press the button, with JavaScript off: every control is a plain form. Once the
// ceremony has launched the page says so and a change is refused with a clear message.
func TestCeremonyProgrammeBrowser(t *testing.T) {
	admin := NewBrowser(t)
	srv := StartServer(t)
	const adminUser, adminPass = "tinh.chuongtrinh", "Tinh-ChuongTrinh-2024"
	srv.CreateUser(t, adminUser, adminPass, "province_admin", "51")
	srv.CreateUser(t, "pct.ubndtinh", "Lanh-Dao-Tinh-2024", "learner", "51")
	base := srv.URL
	Login(t, admin, base, adminUser, adminPass)

	path := createCeremonyInBrowser(t, admin, base, "Lễ phát động (chương trình)", 72*time.Hour)
	if status := Follow(t, admin, "#edit-link"); status != 200 {
		t.Fatalf("edit page: %d", status)
	}
	// From here on, no JavaScript: the page must work with plain forms.
	scripts(t, admin, false)

	// Details: the livestream link.
	Type(t, admin, "#e-live", "https://www.youtube.com/live/lantoa-qn")
	if status := Follow(t, admin, "#details-save"); status != 200 {
		t.Fatalf("save details: %d", status)
	}
	if v := Eval[string](t, admin, `document.querySelector("#e-live").value`); v != "https://www.youtube.com/live/lantoa-qn" {
		t.Fatalf("livestream link after save: %q", v)
	}
	// A bad link is refused by the server, on the field.
	Do(t, admin, chromedp.SetAttributeValue(chromedp.CSS("#e-live"), "type", "text"))
	Type(t, admin, "#e-live", "javascript:alert(1)")
	if status := Follow(t, admin, "#details-save"); status != 422 {
		t.Fatalf("bad livestream link: %d", status)
	}
	if msg := Text(t, admin, "main .error"); !strings.Contains(msg, "https://") {
		t.Fatalf("bad link message %q", msg)
	}

	Open(t, admin, base+path+"/edit")
	steps := stepTitles(t, admin)
	if len(steps) != 5 || !strings.HasPrefix(steps[3], "Nghi lễ nhấn nút") {
		t.Fatalf("default programme %q", steps)
	}
	// Move the first step down, then back up.
	if status := Follow(t, admin, `#step-form-1 button[value=down]`); status != 200 {
		t.Fatalf("down: %d", status)
	}
	if got := stepTitles(t, admin); got[0] != steps[1] || got[1] != steps[0] {
		t.Fatalf("after down: %q", got)
	}
	if n := Eval[int](t, admin, `document.querySelectorAll("#step-form-1 button[value=up]").length`); n != 0 {
		t.Fatal("the first step offers to move up")
	}
	Follow(t, admin, `#step-form-2 button[value=up]`)
	if got := stepTitles(t, admin); got[0] != steps[0] || got[1] != steps[1] {
		t.Fatalf("after up: %q", got)
	}
	// Edit a step's title and planned time.
	Type(t, admin, `input[form=step-form-3]`, "Chủ tịch UBND tỉnh phát biểu phát động")
	Do(t, admin, chromedp.SetValue(chromedp.CSS(`input[form=step-form-3][name=planned_at]`), time.Now().Add(72*time.Hour+30*time.Minute).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02T15:04")))
	if status := Follow(t, admin, `#step-form-3 button[value=update]`); status != 200 {
		t.Fatalf("update step: %d", status)
	}
	if got := stepTitles(t, admin); got[2] != "Chủ tịch UBND tỉnh phát biểu phát động" {
		t.Fatalf("after edit: %q", got)
	}
	if v := Eval[string](t, admin, `document.querySelector("input[form=step-form-3][name=planned_at]").value`); v == "" {
		t.Fatal("planned time not kept")
	}
	// Add a step; a blank title is refused by the server with a message.
	Type(t, admin, "#s-title", "   ")
	if status := Follow(t, admin, "#step-add"); status != 422 {
		t.Fatalf("blank step: %d", status)
	}
	if msg := Text(t, admin, "main .error"); !strings.Contains(msg, "phải có tên") {
		t.Fatalf("blank step message %q", msg)
	}
	Type(t, admin, "#s-title", "Văn nghệ chào mừng")
	if status := Follow(t, admin, "#step-add"); status != 200 {
		t.Fatalf("add step: %d", status)
	}
	if got := stepTitles(t, admin); len(got) != 6 || got[5] != "Văn nghệ chào mừng" {
		t.Fatalf("after add: %q", got)
	}
	Screenshot(t, admin, "programme-edit")
	Follow(t, admin, `#step-form-6 button[value=delete]`)
	if got := stepTitles(t, admin); len(got) != 5 {
		t.Fatalf("after delete: %q", got)
	}
	// Designate a leader; an unknown username is refused.
	Type(t, admin, "#l-username", "khong.ton.tai")
	if status := Follow(t, admin, "#leader-add"); status != 422 {
		t.Fatalf("unknown leader: %d", status)
	}
	Type(t, admin, "#l-username", "pct.ubndtinh")
	if status := Follow(t, admin, "#leader-add"); status != 200 {
		t.Fatalf("add leader: %d", status)
	}
	if got := Text(t, admin, "#leader-list"); !strings.Contains(got, "pct.ubndtinh") {
		t.Fatalf("leaders %q", got)
	}
	// The ceremony page shows the edited programme.
	Open(t, admin, base+path)
	if got := Text(t, admin, "#steps"); !strings.Contains(got, "Chủ tịch UBND tỉnh phát biểu phát động") || strings.Contains(got, "Văn nghệ") {
		t.Fatalf("ceremony page programme %q", got)
	}
	if got := Text(t, admin, "#livestream-link"); got != "https://www.youtube.com/live/lantoa-qn" {
		t.Fatalf("livestream on the ceremony page %q", got)
	}
	scripts(t, admin, true)

	// A ceremony starting in ten minutes is launched; its programme stays editable (the day's
	// rule: only the steps already run are fixed, and none has run yet).
	soon := createCeremonyInBrowser(t, admin, base, "Lễ phát động (đã phát động)", 10*time.Minute)
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-arm"), chromedp.NodeVisible))
	Do(t, admin, chromedp.Click(chromedp.CSS("#launch-go"), chromedp.NodeVisible))
	WaitFor(t, admin, "the launch answer", `document.querySelector("#launch-result").dataset.launchAt`)
	if status := Open(t, admin, base+soon+"/edit"); status != 200 {
		t.Fatalf("edit page after launch: %d", status)
	}
	if n := Eval[int](t, admin, `document.querySelectorAll("#edit-locked").length`); n != 0 {
		t.Fatalf("programme locked after the launch: %s", Text(t, admin, "#edit-locked"))
	}
	if msg := Text(t, admin, "#on-day"); !strings.Contains(msg, "ngày tổ chức") {
		t.Fatalf("on-day notice %q", msg)
	}
	if status := Follow(t, admin, `#step-form-5 button[value=delete]`); status != 200 {
		t.Fatalf("delete after launch: %d", status)
	}
	if got := stepTitles(t, admin); len(got) != 4 {
		t.Fatalf("programme after the on-day delete: %q", got)
	}
}
