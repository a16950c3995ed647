package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lantoa/lantoa/internal/demo"
)

// tabbableJS lists the controls of a form a keyboard reaches, in document order: what Tab must walk
// through, one after the other, when no tabindex reorders them.
const tabbableJS = `(sel) => [...document.querySelector(sel).querySelectorAll("input, select, textarea, button, a[href]")]
  .filter(e => e.type !== "hidden" && !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")`

// describeFocus names the focused element for messages and comparisons.
const describeFocus = `(e => e ? e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.name ? "[name=" + e.name + "]" : "") + (e.type && e.tagName === "INPUT" ? "(" + e.type + ")" : "") : "none")`

// pressTab presses Tab (Shift+Tab when back) and returns the focused element's description.
func pressTab(t *testing.T, ctx context.Context, back bool) string {
	t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(2)) // Shift
	}
	Do(t, ctx, chromedp.KeyEvent(kb.Tab, opts...))
	return Eval[string](t, ctx, describeFocus+`(document.activeElement)`)
}

// tabInto presses Tab from the top of the page until the focus is on the first control of the form,
// as a keyboard user reaches it, and fails when that takes more than max presses.
func tabInto(t *testing.T, ctx context.Context, form string, max int) {
	t.Helper()
	Eval[bool](t, ctx, `document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true`)
	want := Eval[string](t, ctx, describeFocus+`((`+tabbableJS+`)(`+jsString(form)+`)[0])`)
	for i := 0; i < max; i++ {
		if got := pressTab(t, ctx, false); got == want {
			return
		}
	}
	t.Fatalf("%s: %d presses of Tab did not reach the form's first control %s", form, max, want)
}

// checkFormByKeyboard checks a form as a keyboard user meets it: every control has a name a screen
// reader reads (its label, or aria-label/aria-labelledby), the focus is visible, and Tab walks the
// controls in the order they are shown, none skipped, none trapped.
func checkFormByKeyboard(t *testing.T, ctx context.Context, form string) {
	t.Helper()
	unlabelled := Eval[[]string](t, ctx, `(`+tabbableJS+`)(`+jsString(form)+`).filter(e => !["BUTTON", "A"].includes(e.tagName) && !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby")).map(`+describeFocus+`)`)
	if len(unlabelled) > 0 {
		t.Errorf("%s: controls without a label: %v", form, unlabelled)
	}
	order := Eval[[]string](t, ctx, `(`+tabbableJS+`)(`+jsString(form)+`).map(`+describeFocus+`)`)
	if len(order) == 0 {
		t.Fatalf("%s: no control to reach", form)
	}
	tabInto(t, ctx, form, 80)
	if !Eval[bool](t, ctx, `(e => { const s = getComputedStyle(e); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 })(document.activeElement)`) {
		t.Errorf("%s: the focused control %s shows no focus outline", form, order[0])
	}
	for i := 1; i < len(order); i++ {
		// Radios of one group are one stop for Tab (the arrows move inside it).
		if strings.Contains(order[i], "(radio)") && strings.Contains(order[i-1], "(radio)") && nameOf(order[i]) == nameOf(order[i-1]) {
			continue
		}
		got := pressTab(t, ctx, false)
		if strings.Contains(got, "(radio)") && nameOf(got) == nameOf(order[i]) {
			continue
		}
		if got != order[i] {
			t.Errorf("%s: Tab number %d went to %s, want %s (order %v)", form, i, got, order[i], order)
			return
		}
	}
}

func nameOf(desc string) string {
	_, rest, _ := strings.Cut(desc, "[name=")
	name, _, _ := strings.Cut(rest, "]")
	return name
}

// enter presses Enter as a keyboard does, the key and its character in one event (as Puppeteer
// sends it): chromedp's KeyEvent sends the character separately, after the key's default action has
// already moved the focus, so the character lands in the field the focus moved to, and submits its
// form, which no keyboard does.
func enter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := down
		up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}

// submitByKeyboard presses Enter in the focused control and waits for the page that answers.
func submitByKeyboard(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	resp, err := chromedp.RunResponse(bctx, enter())
	if err != nil || resp == nil {
		t.Fatalf("submit with Enter at %s: %v", location(ctx), err)
	}
	return resp.Status
}

// typeHere types text into the focused control, as keys.
func typeHere(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	Do(t, ctx, chromedp.KeyEvent(text))
}

// checkErrorSummary checks a refused form's answer: the error summary is on top, has the focus (so a
// screen reader reads it), and its link takes the keyboard to the field it names.
func checkErrorSummary(t *testing.T, ctx context.Context, wantText, wantField string) {
	t.Helper()
	if got := Eval[string](t, ctx, `document.activeElement.id`); got != "error-summary" {
		t.Errorf("after a refused form the focus is on %q, not the error summary", got)
	}
	if got := Text(t, ctx, "#error-summary"); !strings.Contains(got, wantText) {
		t.Errorf("the error summary says %q, want %q in it", got, wantText)
	}
	if wantField == "" {
		return
	}
	if got := pressTab(t, ctx, false); !strings.HasPrefix(got, "a") {
		t.Fatalf("Tab from the error summary went to %s, not its link", got)
	}
	Do(t, ctx, enter())
	if got := Eval[string](t, ctx, `document.activeElement.name + "|" + document.activeElement.getAttribute("aria-invalid")`); got != wantField+"|true" {
		t.Errorf("the summary's link (%q) led to %q, want the field %s marked invalid", Text(t, ctx, "#error-summary"), got, wantField)
	}
}

// keyboardTab starts the demo and a phone-sized tab, and returns a function that signs a demo user
// into that tab (cookies cleared first: a new browser context per role costs seconds on a loaded
// machine, and each browser test has BrowserTimeout in all).
func keyboardTab(t *testing.T) (string, func(t *testing.T, user string) context.Context) {
	browser := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	shared := NewContext(t, browser)
	Do(t, shared, chromedp.EmulateViewport(360, 780))
	return base, func(t *testing.T, user string) context.Context {
		Do(t, shared, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}))
		if user != "" {
			Login(t, shared, base, user, demo.Password)
		}
		return shared
	}
}

// TestKeyboardServerForms: the main forms the server checks, with the keyboard alone, at phone size
// (the anonymous visitor's sign-in, the province's new account, a learner's password): labels, focus
// order, the focus outline, and a refused submission's error summary, which has the focus and leads
// to the field.
func TestKeyboardServerForms(t *testing.T) {
	base, tab := keyboardTab(t)
	t.Run("anyone signs in", func(t *testing.T) {
		ctx := tab(t, "")
		Open(t, ctx, base+"/login")
		checkFormByKeyboard(t, ctx, "main form")
		tabInto(t, ctx, "main form", 80)
		typeHere(t, ctx, "so.tttt")
		pressTab(t, ctx, false)
		typeHere(t, ctx, "not-the-password")
		if status := submitByKeyboard(t, ctx); status != 401 {
			t.Errorf("a wrong password answers %d, want 401", status)
		}
		checkErrorSummary(t, ctx, "không đúng", "")
		Screenshot(t, ctx, "keyboard-login-refused")
	})

	t.Run("the province creates an account", func(t *testing.T) {
		ctx := tab(t, "so.tttt")
		Open(t, ctx, base+"/users/new")
		checkFormByKeyboard(t, ctx, "#user-form")
		tabInto(t, ctx, "#user-form", 80)
		typeHere(t, ctx, "a b") // a space is not allowed in a username
		for Eval[string](t, ctx, `document.activeElement.id`) != "password" {
			pressTab(t, ctx, false)
		}
		typeHere(t, ctx, "Mot-mat-khau-dai-2026")
		submitByKeyboard(t, ctx)
		checkErrorSummary(t, ctx, "", "username")
		Screenshot(t, ctx, "keyboard-new-user-refused")
	})

	t.Run("a learner changes the password", func(t *testing.T) {
		ctx := tab(t, "hocvien.bato")
		Open(t, ctx, base+"/account/password")
		checkFormByKeyboard(t, ctx, "main form.form")
		tabInto(t, ctx, "main form.form", 80)
		typeHere(t, ctx, "not-my-old-password")
		pressTab(t, ctx, false)
		typeHere(t, ctx, "Mot-mat-khau-moi-2026")
		pressTab(t, ctx, false)
		typeHere(t, ctx, "Mot-mat-khau-moi-2026")
		submitByKeyboard(t, ctx)
		checkErrorSummary(t, ctx, "", "old_password")
		Screenshot(t, ctx, "keyboard-password-refused")
	})
}

// TestKeyboardWorkForms: the main forms of the roles that work in the field, checked in the browser
// (the team member's record form, the bridge operator's checklist): labels, focus order and the
// focus outline, with the keyboard alone at phone size.
func TestKeyboardWorkForms(t *testing.T) {
	base, tab := keyboardTab(t)
	t.Run("a team member's record form", func(t *testing.T) {
		ctx := tab(t, "tocnscd.bato.1")
		Open(t, ctx, base+"/outreach/form")
		WaitFor(t, ctx, "the form ready", `document.querySelector("#record-form") !== null`)
		checkFormByKeyboard(t, ctx, "#record-form")
	})

	t.Run("a bridge operator's checklist", func(t *testing.T) {
		ctx := tab(t, "diemcau.bato")
		Open(t, ctx, base+"/ceremonies")
		if status := Follow(t, ctx, `main td a[href^="/ceremonies/"]`); status != 200 {
			t.Fatalf("the ceremony: %d", status)
		}
		if status := Follow(t, ctx, `main a[href*="/points/"]`); status != 200 {
			t.Fatalf("the operator's point: %d", status)
		}
		checkFormByKeyboard(t, ctx, "#point-form")
	})
}

// TestKeyboardOfficeForms: the main forms of the offices, with the keyboard alone at phone size
// (a district's report, written by Sơn Tây on the campaign's period; a school's pupil lists, reached
// from its coordinator's workspace): labels, focus order and the focus outline.
func TestKeyboardOfficeForms(t *testing.T) {
	base, tab := keyboardTab(t)

	t.Run("a district writes its report", func(t *testing.T) {
		ctx := tab(t, "ubnd.sontay")
		Open(t, ctx, base+"/reports")
		if status := Follow(t, ctx, `main a[href^="/reports/periods/"]`); status != 200 {
			t.Fatalf("the period: %d", status)
		}
		if status := Follow(t, ctx, "#open-530"); status != 200 {
			t.Fatalf("Sơn Tây's report: %d", status)
		}
		checkFormByKeyboard(t, ctx, "#report-form")
		Screenshot(t, ctx, "keyboard-report-form")
	})

	t.Run("a school uploads its pupils", func(t *testing.T) {
		ctx := tab(t, "thpt.bato")
		if status := Follow(t, ctx, `[data-task="pupils"] a`); status != 200 {
			t.Fatalf("the pupils' page from the workspace: %d", status)
		}
		checkFormByKeyboard(t, ctx, "#pupils-form")
	})
}
