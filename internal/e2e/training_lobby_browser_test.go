package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// registerCitizen signs a new learner up through /register, in the last commune of the list.
func registerCitizen(t *testing.T, ctx context.Context, base, username, name string) {
	t.Helper()
	if status := Open(t, ctx, base+"/register"); status != 200 {
		t.Fatalf("/register: %d", status)
	}
	Type(t, ctx, "#username", username)
	Type(t, ctx, "#display_name", name)
	Type(t, ctx, "#password", "mat-khau-nguoi-dan-2023")
	place := Eval[string](t, ctx, `document.querySelector("#place optgroup:last-of-type option").value`)
	Do(t, ctx, chromedp.SetValue(chromedp.CSS("#place"), place, chromedp.NodeVisible))
	if status := Follow(t, ctx, "#register-submit"); status != 200 {
		t.Fatalf("register: %d; page says %q", status, Eval[string](t, ctx, `document.body.innerText`))
	}
}

// TestTrainingLobbyBrowser: the demo course's exam is scheduled a few seconds ahead. The exam
// page is the lobby, with a countdown and a disabled start button; a start sent early anyway is
// refused with a Vietnamese message; at the start time the button is enabled and starts the exam.
func TestTrainingLobbyBrowser(t *testing.T) {
	ctx := NewBrowser(t)
	srv := StartServer(t, WithDemo())
	base := srv.URL
	d, err := db.Open(context.Background(), srv.DB, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var courseID int64
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT id FROM training_courses WHERE title = ?", demo.DemoCourseTitle).Scan(&courseID); err != nil {
		t.Fatal(err)
	}
	registerCitizen(t, ctx, base, "nguoidan.phongcho", "Phạm Văn Chờ")
	examAt := time.Now().Add(12 * time.Second)
	err = d.WriteTx(context.Background(), func(tx *db.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE training_courses SET exam_at = ?, lobby_minutes = 30, start_window_seconds = 0, bank_version = bank_version + 1 WHERE id = ?",
			db.Millis(examAt), courseID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if status := Open(t, ctx, base+"/courses/"+strconv.FormatInt(courseID, 10)+"/exam"); status != 200 {
		t.Fatalf("exam page: %d", status)
	}
	if !Eval[bool](t, ctx, `document.getElementById("exam-start").disabled && !document.getElementById("lobby").hidden && document.getElementById("exam-form") === null`) {
		t.Fatal("the lobby's start button is enabled before the start time")
	}
	WaitFor(t, ctx, "the countdown", `/^0:0?[0-9]+$/.test(document.getElementById("lobby-wait").textContent)`)
	Screenshot(t, ctx, "01-lobby")
	// A start sent before the time (a script, a wrong clock) is refused by the server.
	Eval[bool](t, ctx, `window.__early = null; fetch("/api/v1/courses/`+strconv.FormatInt(courseID, 10)+`/attempts", {method: "POST", headers: {"Accept": "application/json"}, credentials: "same-origin"})
		.then(function(r){ return r.json().then(function(j){ window.__early = r.status + " " + j.error.message; }); }); true`)
	WaitFor(t, ctx, "the early start's answer", `window.__early !== null`)
	if got := Eval[string](t, ctx, `window.__early`); !strings.HasPrefix(got, "409 Chưa đến giờ làm bài") {
		t.Fatalf("early start: %q", got)
	}
	if time.Now().After(examAt) {
		t.Skip("the machine was too slow to see the lobby before the start time")
	}
	time.Sleep(time.Until(examAt) - 3*time.Second)
	if !Eval[bool](t, ctx, `document.getElementById("exam-start").disabled`) {
		t.Fatalf("the start button is enabled %s before the start time", time.Until(examAt))
	}
	WaitFor(t, ctx, "the start button enabled", `!document.getElementById("exam-start").disabled`)
	if time.Now().Before(examAt.Add(-time.Second)) {
		t.Fatalf("the start button was enabled %s before the start time", time.Until(examAt))
	}
	Screenshot(t, ctx, "02-lobby-open")
	if status := Follow(t, ctx, "#exam-start"); status != 200 {
		t.Fatalf("start: %d", status)
	}
	WaitFor(t, ctx, "the questions", `document.querySelectorAll("#questions li.question").length === 10 && !document.getElementById("exam-form").hidden && document.getElementById("lobby") === null`)
	Screenshot(t, ctx, "03-exam")
}
