package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// TestEvery429HasRetryAfter walks the requests that answer 429 — a sign-in to a locked account,
// a sign-in from a locked address, as a form and as JSON — and checks that each says when to come
// back: Retry-After in whole seconds, no later than the lock's end, agreeing with the minutes the
// message gives.
func TestEvery429HasRetryAfter(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		for range 10 {
			b.post("/login", url.Values{"username": {"learner"}, "password": {"sai mật khẩu rồi"}})
		}
		other := e.browser()
		for i := range 60 {
			if resp, _ := other.post("/login", url.Values{"username": {fmt.Sprintf("doan.%d", i)}, "password": {"sai mật khẩu"}}); resp.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		check := func(name string, resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("%s: %d, want 429", name, resp.StatusCode)
				return
			}
			secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > 15*60 {
				t.Errorf("%s: Retry-After %q", name, resp.Header.Get("Retry-After"))
				return
			}
			// The lock started moments ago: it ends in a little under 15 minutes, as the message says.
			if secs < 14*60 || !strings.Contains(body, "15 phút") {
				t.Errorf("%s: Retry-After %d s and the message %q disagree", name, secs, body)
			}
		}
		resp, body := b.post("/login", url.Values{"username": {"learner"}, "password": {testPassword}})
		check("locked account, form", resp, body)
		// Every address hides behind one in this test, so the second browser's lock is the
		// address's: any username from there is refused, with the header.
		resp, body = other.post("/login", url.Values{"username": {"province.admin"}, "password": {testPassword}})
		check("locked address, form", resp, body)
		req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(url.Values{"username": {"learner"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, body = b.send(req)
		check("locked account, JSON", resp, body)
	})
}

// TestNo429OutsideTheErrorPath: a 429 is only ever written by writeError or renderForm, which set
// Retry-After; a handler writing the status itself would escape the header.
func TestNo429OutsideTheErrorPath(t *testing.T) {
	direct := regexp.MustCompile(`StatusTooManyRequests|WriteHeader\(429\)|, 429[,)]`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "errors.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := direct.FindIndex(src); loc != nil {
			t.Errorf("%s writes 429 itself (%q): answer with apperr.Throttled through writeError", f, src[loc[0]:loc[1]])
		}
	}
}

// TestExamRetryDelayIs429: starting an exam again before the course's retry delay is over is a
// throttle — 429 with Retry-After the seconds left, through the API and the exam page's button.
func TestExamRetryDelayIs429(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c, err := e.training.CreateCourse(e.sys, training.Course{Province: "51", Title: "Khóa có thời gian chờ",
			Exam: training.Exam{QuestionCount: 10, PassPercent: 100, TimeLimitMinutes: 20, MaxAttempts: 3, RetryDelayMinutes: 30}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.training.ImportQuestions(e.sys, c.ID, strings.NewReader(trainingBank(12))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.training.Publish(e.sys, c.ID); err != nil {
			t.Fatal(err)
		}
		a, err := e.training.StartAttempt(e.learnerCtx(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.training.Submit(e.learnerCtx(), a.ID); err != nil {
			t.Fatal(err)
		}
		check := func(name string, resp *http.Response, body string) {
			t.Helper()
			secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if resp.StatusCode != http.StatusTooManyRequests || err != nil || secs < 29*60 || secs > 30*60 || !strings.Contains(body, "30 phút") {
				t.Errorf("%s: %d Retry-After %q %.300s", name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
		}
		resp, b := e.do("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", c.ID), e.tokens["learner"], "application/json", "")
		check("API", resp, string(b))
		br := e.browser()
		if resp := br.login("learner", testPassword); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		resp, body := br.post(fmt.Sprintf("/courses/%d/exam/start", c.ID), url.Values{})
		check("exam page", resp, body)
	})
}
