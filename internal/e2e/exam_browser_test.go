package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// attemptsOf counts the exam attempts of a user in the server's database: what the start step
// must leave alone.
func attemptsOf(t *testing.T, path, username string) int {
	t.Helper()
	d, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM training_attempts a JOIN users u ON u.id = a.user_id WHERE u.username = ?`,
		username).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// startExam is the start step as a learner meets it on the exam page: the terms are shown and
// nothing has started; the «Bắt đầu làm bài» button starts the attempt and its questions appear.
func startExam(t *testing.T, ctx context.Context, questions int) {
	t.Helper()
	if n := Eval[int](t, ctx, `document.querySelectorAll("#exam, #questions, #timer").length`); n != 0 {
		t.Fatalf("the exam page shows a running exam before the start button is pressed")
	}
	if got := Text(t, ctx, "#exam-questions"); got != fmt.Sprintf("%d câu", questions) {
		t.Errorf("the start step says %q questions", got)
	}
	if got := Text(t, ctx, "#exam-minutes"); !strings.HasSuffix(got, " phút") {
		t.Errorf("the start step's time limit reads %q", got)
	}
	if got := Text(t, ctx, "#exam-start"); got != "Bắt đầu làm bài" {
		t.Errorf("the start button reads %q", got)
	}
	if status := Follow(t, ctx, "#exam-start"); status != 200 {
		t.Fatalf("start: %d; page says %q", status, Eval[string](t, ctx, `document.body.innerText`))
	}
	WaitFor(t, ctx, "the questions", fmt.Sprintf(`document.querySelectorAll("#questions li.question").length === %d && !document.getElementById("exam-form").hidden`, questions))
}

// answersSaved is true once every answer chosen has reached the server.
const answersSaved = `!document.querySelector("#questions [aria-busy]") && document.getElementById("exam-status").textContent === document.getElementById("exam").dataset.msgSaved`

// submitExam submits through the page's own confirmation and waits for the result page.
func submitExam(t *testing.T, ctx context.Context) {
	t.Helper()
	WaitFor(t, ctx, "the answers saved", answersSaved)
	Do(t, ctx, chromedp.Click("#exam-submit", chromedp.NodeVisible))
	WaitFor(t, ctx, "the confirmation", `!document.getElementById("exam-confirm").hidden`)
	// The submission reloads the page, which shows the server's result.
	if status := Follow(t, ctx, "#exam-confirm-yes"); status != 200 {
		t.Fatalf("submit: %d", status)
	}
	WaitFor(t, ctx, "the result", `document.getElementById("exam-result") !== null`)
}

// pressLeading presses a key that leads to another page (or a reload) and waits for it.
func pressLeading(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	resp, err := chromedp.RunResponse(bctx, chromedp.KeyEvent(key))
	if err != nil || resp == nil || resp.Status != 200 {
		t.Fatalf("key %q: %v %v", key, resp, err)
	}
}

// optionsBesideText fails the test unless every option's box or circle sits on the line of its
// own text: the control's vertical centre lies within the text's box and the control is left of
// the text, not wrapped onto a line of its own (what a full-width radio did).
func optionsBesideText(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	bad := Eval[[]string](t, ctx, `(function(){ var bad = [];
		document.querySelectorAll("#questions label.option").forEach(function(label){
			var input = label.querySelector("input"), text = label.querySelector("span");
			var r = document.createRange(); r.selectNodeContents(text);
			var i = input.getBoundingClientRect(), s = r.getBoundingClientRect();
			var mid = (i.top + i.bottom) / 2;
			if (!(mid >= s.top && mid <= s.bottom && i.right <= s.left + 1 && i.width > 0 && i.width < 40)) {
				bad.push(text.textContent + " (control " + Math.round(i.left) + "," + Math.round(i.top) + " " + Math.round(i.width) + "×" + Math.round(i.height) +
					", text " + Math.round(s.left) + "," + Math.round(s.top) + "–" + Math.round(s.bottom) + ")");
			}
		}); return bad; })()`)
	if len(bad) > 0 {
		t.Errorf("%s: %d options have their control apart from their text: %s", what, len(bad), strings.Join(bad, "; "))
	}
	if n := Eval[int](t, ctx, `document.querySelectorAll("#questions label.option").length`); n < 20 {
		t.Errorf("%s: only %d options to check", what, n)
	}
}

// atBothSizes runs check at a 360×780 phone's size, then at a 1280×900 desktop's, named "phone"
// and "desktop", and leaves the tab at the desktop's size.
func atBothSizes(t *testing.T, ctx context.Context, check func(size string)) {
	t.Helper()
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 360, 780}, {"desktop", 1280, 900}} {
		Do(t, ctx, chromedp.EmulateViewport(size.w, size.h))
		check(size.name)
	}
}

// seriousViolations keeps axe's violations of impact serious or critical.
func seriousViolations(vs []axeViolation) []axeViolation {
	var out []axeViolation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// TestExamPassedLearnerBrowser: a learner who has passed (the demo's hocvien.bato) opens the
// exam page and sees the result and the certificate, not a timer nor a start button, at both
// sizes; the certificates page shows the score the Vietnamese way.
func TestExamPassedLearnerBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	Login(t, ctx, base, "hocvien.bato", demo.Password)
	if status := Open(t, ctx, base+"/courses"); status != 200 {
		t.Fatalf("/courses: %d", status)
	}
	if status := Follow(t, ctx, `#courses a[data-course]`); status != 200 {
		t.Fatalf("course: %d", status)
	}
	exam := strings.TrimSuffix(Eval[string](t, ctx, `location.href`), "/") + "/exam"
	before := attemptsOf(t, srv.DB, "hocvien.bato")
	atBothSizes(t, ctx, func(size string) {
		if status := Open(t, ctx, exam); status != 200 {
			t.Fatalf("%s: exam page of a passed learner: %d", size, status)
		}
		if got := Text(t, ctx, "#result-text"); !strings.Contains(got, "đã đạt") || !strings.Contains(got, "100 điểm") {
			t.Errorf("%s: the passed learner's result reads %q", size, got)
		}
		if n := Eval[int](t, ctx, `document.querySelectorAll("#exam-start, #timer, #exam").length`); n != 0 {
			t.Errorf("%s: the passed learner's page offers a start or a timer", size)
		}
		if !strings.Contains(Eval[string](t, ctx, `document.getElementById("cert-verify").href`), "/verify/") {
			t.Errorf("%s: no link to the certificate", size)
		}
		NoSidewaysScroll(t, ctx, size+" passed learner's exam page")
		reportViolations(t, size+" exam result", seriousViolations(auditPage(t, ctx)))
		Screenshot(t, ctx, size+"-exam-passed")
		if status := Open(t, ctx, base+"/certificates"); status != 200 {
			t.Fatalf("/certificates: %d", status)
		}
		if got := Text(t, ctx, "td.cert-score"); got != "100 điểm" {
			t.Errorf("%s: the certificates page shows the score as %q", size, got)
		}
		NoSidewaysScroll(t, ctx, size+" certificates page")
		reportViolations(t, size+" certificates", seriousViolations(auditPage(t, ctx)))
		Screenshot(t, ctx, size+"-certificates")
	})
	if after := attemptsOf(t, srv.DB, "hocvien.bato"); after != before {
		t.Errorf("looking at the exam page made %d attempts", after-before)
	}
}

// TestExamKeyboardBrowser: a learner does the exam with the keyboard alone. Tab reaches the start
// button and Enter starts; in each question Tab reaches the options, the arrow keys move within a
// single choice and Space ticks; every focused control shows the focus ring; Enter on "Nộp bài"
// asks in the page, with the focus on the confirmation, and Enter there submits.
func TestExamKeyboardBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	registerCitizen(t, ctx, base, "nguoidan.banphim", "Lê Thị Bàn Phím")
	if status := Follow(t, ctx, `#courses a[data-course]`); status != 200 {
		t.Fatalf("course: %d", status)
	}
	if status := Follow(t, ctx, "#take-exam"); status != 200 {
		t.Fatalf("exam page: %d", status)
	}
	focusRing := `(function(){ var s = getComputedStyle(document.activeElement); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; })()`
	tabTo := func(what, cond string, most int) {
		t.Helper()
		for i := 0; i < most; i++ {
			Do(t, ctx, chromedp.KeyEvent(kb.Tab))
			if Eval[bool](t, ctx, cond) {
				return
			}
		}
		t.Fatalf("%d Tabs do not reach %s; focus is on %s", most, what, Eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	tabTo("the start button", `document.activeElement.id === "exam-start"`, 40)
	if !Eval[bool](t, ctx, focusRing) {
		t.Error("the focused start button shows no focus ring")
	}
	if n := attemptsOf(t, srv.DB, "nguoidan.banphim"); n != 0 {
		t.Fatalf("the exam page started %d attempts before the button", n)
	}
	pressLeading(t, ctx, kb.Enter)
	WaitFor(t, ctx, "the questions", `document.querySelectorAll("#questions li.question").length === 10 && !document.getElementById("exam-form").hidden`)
	Screenshot(t, ctx, "exam-running")

	answered := map[string]bool{}
	arrowTried := false
	for steps := 0; steps < 80; steps++ {
		Do(t, ctx, chromedp.KeyEvent(kb.Tab))
		if Eval[string](t, ctx, `document.activeElement.id`) == "exam-submit" {
			break
		}
		kind := Eval[string](t, ctx, `document.activeElement.closest("#questions") ? document.activeElement.type : ""`)
		if kind == "" {
			continue
		}
		if !Eval[bool](t, ctx, focusRing) {
			t.Errorf("the focused option shows no focus ring")
		}
		q := Eval[string](t, ctx, `document.activeElement.closest("li.question").dataset.question`)
		if kind == "radio" && !arrowTried {
			// Down moves to the next option of the group and chooses it; Up comes back.
			first := Eval[string](t, ctx, `document.activeElement.value`)
			Do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
			if got := Eval[string](t, ctx, `document.activeElement.checked && document.activeElement.value`); got == first || got == "false" {
				t.Errorf("ArrowDown did not choose the next option (%s)", got)
			}
			Do(t, ctx, chromedp.KeyEvent(kb.ArrowUp))
			if got := Eval[string](t, ctx, `document.activeElement.checked ? document.activeElement.value : ""`); got != first {
				t.Errorf("ArrowUp chose %q, want %q", got, first)
			}
			arrowTried = true
		} else if !answered[q] {
			Do(t, ctx, chromedp.KeyEvent(" "))
			if !Eval[bool](t, ctx, `document.activeElement.checked`) {
				t.Errorf("Space did not choose the focused %s", kind)
			}
		}
		if Eval[bool](t, ctx, `document.activeElement.checked`) {
			answered[q] = true
		}
	}
	if !arrowTried || len(answered) != 10 {
		t.Fatalf("the keyboard answered %d questions (arrow keys tried: %v)", len(answered), arrowTried)
	}
	if Eval[string](t, ctx, `document.activeElement.id`) != "exam-submit" {
		t.Fatal("Tab never reached the submit button")
	}
	WaitFor(t, ctx, "the answers saved", answersSaved)
	Do(t, ctx, chromedp.KeyEvent(kb.Enter))
	WaitFor(t, ctx, "the confirmation, focused", `!document.getElementById("exam-confirm").hidden && document.activeElement.id === "exam-confirm-yes"`)
	if !Eval[bool](t, ctx, focusRing) {
		t.Error("the focused confirmation shows no focus ring")
	}
	Screenshot(t, ctx, "exam-confirm")
	pressLeading(t, ctx, kb.Enter)
	WaitFor(t, ctx, "the result", `document.getElementById("exam-result") !== null`)
	if got := Text(t, ctx, "#result-text"); !strings.Contains(got, "/10 câu đúng") {
		t.Errorf("the result reads %q", got)
	}
	if n := attemptsOf(t, srv.DB, "nguoidan.banphim"); n != 1 {
		t.Errorf("%d attempts, want the one started", n)
	}
}

// TestSecondaryButtonReadable: "Lưu nháp" beside "Đăng bài" on the post editor reads clearly — its
// text has at least 4.5:1 contrast on its own background, it has a visible edge, and axe finds
// nothing serious on the form — at both sizes.
func TestSecondaryButtonReadable(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t)
	srv.CreateUser(t, editorUser, editorPass, "province_admin", "51")
	Login(t, ctx, srv.URL, editorUser, editorPass)
	// contrast is WCAG's ratio of the button's text colour to its background colour.
	contrast := `(function(){ var s = getComputedStyle(document.getElementById("save-draft"));
		function lum(c){ var v = c.match(/[\d.]+/g).slice(0, 3).map(function(x){ x = x / 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
			return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
		if (/rgba\(.*, 0\)$/.test(s.backgroundColor)) { return 0; }
		var a = lum(s.color), b = lum(s.backgroundColor);
		return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })()`
	atBothSizes(t, ctx, func(size string) {
		if status := Open(t, ctx, srv.URL+"/editor/posts/new"); status != 200 {
			t.Fatalf("editor: %d", status)
		}
		if got := Text(t, ctx, "#save-draft"); got != "Lưu nháp" {
			t.Fatalf("the secondary button reads %q", got)
		}
		if c := Eval[float64](t, ctx, contrast); c < 4.5 {
			t.Errorf("%s: «Lưu nháp» has contrast %.2f:1, want at least 4.5:1", size, c)
		}
		if w := Eval[float64](t, ctx, `parseFloat(getComputedStyle(document.getElementById("save-draft")).borderTopWidth)`); w < 1 {
			t.Errorf("%s: «Lưu nháp» has no visible edge", size)
		}
		NoSidewaysScroll(t, ctx, size+" post editor")
		reportViolations(t, size+" post editor", seriousViolations(auditPage(t, ctx)))
		Do(t, ctx, chromedp.ScrollIntoView("#save-draft"))
		Screenshot(t, ctx, size+"-editor")
	})
}
