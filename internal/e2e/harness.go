// Package e2e holds Lan Tỏa's browser tests and the harness they share. The harness runs the
// real server (app.Serve) on a free port with a fresh SQLite database, creates users through the
// real command line (app.Main), and drives a headless Chromium with chromedp.
//
// The browser tests need Chromium: the harness looks for $LANTOA_TEST_CHROMIUM, then chromium,
// chromium-browser and google-chrome on PATH. Without a browser the tests are skipped, except
// when CI=true, where they fail. Set LANTOA_TEST_SCREENSHOTS to a folder to keep screenshots.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/units"
)

// BrowserTimeout bounds each browser test: the browser of NewBrowser stops after it.
const BrowserTimeout = 60 * time.Second

// ActionTimeout bounds each call of the helpers Do, Open, Follow, Text, Eval and WaitFor, so that
// a missing element fails the test quickly and not at BrowserTimeout.
const ActionTimeout = 10 * time.Second

// bounded limits one call on a started tab; the tab and the browser outlive its end.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ActionTimeout)
}

// syncBuffer is a bytes.Buffer that goroutines can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// noEnv keeps the developer's LANTOA_* variables out of the server and the CLI under test.
func noEnv(string) string { return "" }

// Server is a running Lan Tỏa server.
type Server struct {
	// URL is the base address, such as http://127.0.0.1:41234, with no trailing slash.
	URL string
	// DB is the path of the SQLite database.
	DB string

	stdout, stderr *syncBuffer
}

// ServerOption changes the configuration StartServer passes to app.Serve.
type ServerOption func(*app.Config)

// WithDemo loads the demo organisations and users (password demo.Password).
func WithDemo() ServerOption { return func(c *app.Config) { c.Demo = true } }

// WithConfig changes the configuration freely, e.g. to set LogLevel to "debug".
func WithConfig(f func(*app.Config)) ServerOption { return func(c *app.Config) { f(c) } }

// StartServer runs app.Serve on 127.0.0.1 on a free port, with a new SQLite database in a
// temporary folder, and stops it when the test ends. The server's log is printed when the test
// fails.
func StartServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := app.Config{Addr: "127.0.0.1:0", DB: filepath.Join(dir, "lantoa.db"), LogLevel: "warn", LogFormat: "text", SQLiteSync: "OFF"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{DB: cfg.DB, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := app.Env{Stdin: strings.NewReader(""), Stdout: s.stdout, Stderr: s.stderr, Getenv: noEnv}
	go func() { done <- app.Serve(ctx, env, cfg, ready) }()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, s.stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start within 30 s\n%s", s.stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("server did not stop within 20 s")
		}
		if out := s.stderr.String(); t.Failed() && out != "" {
			t.Logf("server log (level %s):\n%s", cfg.LogLevel, out)
		}
	})
	return s
}

// Stdout is what the server printed to standard output so far (the first administrator's
// one-time password, the address).
func (s *Server) Stdout() string { return s.stdout.String() }

// Stderr is the server's log so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// CLI runs `lantoa args...` against the server's database, with stdin as standard input, and
// returns the exit code and the outputs. Commands without --db use the server's database
// (through LANTOA_DATABASE_URL); no other environment variable reaches them.
func (s *Server) CLI(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = app.Main(ctx, args, app.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		if k == "LANTOA_DATABASE_URL" {
			return s.DB
		}
		return ""
	}})
	return code, out.String(), errOut.String()
}

// CreateUser creates a user with one role through `lantoa user create`; unit is a GSO code and
// may be empty for roles without a unit. It fails the test when the command fails.
func (s *Server) CreateUser(t testing.TB, username, password, role, unit string) {
	t.Helper()
	args := []string{"user", "create", "--db", s.DB, "--username", username, "--role", role, "--password-stdin"}
	if unit != "" {
		args = append(args, "--unit", unit)
	}
	if code, out, errOut := s.CLI(t, password+"\n", args...); code != 0 {
		t.Fatalf("lantoa user create %s: exit %d\n%s%s", username, code, out, errOut)
	}
}

// Token creates an API token for username through `lantoa token create` and returns it.
func (s *Server) Token(t testing.TB, username string) string {
	t.Helper()
	code, out, errOut := s.CLI(t, "", "token", "create", "--username", username)
	if code != 0 {
		t.Fatalf("token create --username %s: exit %d %s %s", username, code, out, errOut)
	}
	token := strings.TrimSpace(out)
	if i := strings.LastIndex(token, "\n"); i >= 0 {
		token = strings.TrimSpace(token[i+1:])
	}
	return token
}

// API sends a JSON request with a token to base and decodes a successful answer into out (when
// not nil); a refusal's body is logged.
func API(t *testing.T, base, token, method, path string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// ProvinceFile writes one province of the embedded 2023 national reference file (with only the
// districts named, when given) as a CSV for `lantoa import units`, and returns its path.
func ProvinceFile(t testing.TB, code string, districts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "province-"+code+".csv")
	if err := os.WriteFile(path, units.ProvinceCSV(units.Vietnam2023CSV(), code, districts...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ImportProvince adds a province to the running server's database through `lantoa import units`,
// as an operator adds a province to a national deployment.
func (s *Server) ImportProvince(t testing.TB, code string, districts ...string) {
	t.Helper()
	if exit, out, errOut := s.CLI(t, "", "import", "units", "--db", s.DB, ProvinceFile(t, code, districts...)); exit != 0 {
		t.Fatalf("import province %s: exit %d\n%s%s", code, exit, out, errOut)
	}
}

// BrowserPath finds the browser: $LANTOA_TEST_CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH. It returns "" when there is none.
func BrowserPath() string {
	if p := os.Getenv("LANTOA_TEST_CHROMIUM"); p != "" {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(name); err == nil {
			return found
		}
	}
	return ""
}

// RequireBrowser returns the browser's path, or skips the test when there is none (fails it on CI).
func RequireBrowser(t testing.TB) string {
	t.Helper()
	p := BrowserPath()
	if p != "" {
		return p
	}
	msg := "browser tests skipped: install chromium or set LANTOA_TEST_CHROMIUM"
	if v := os.Getenv("LANTOA_TEST_CHROMIUM"); v != "" {
		msg += fmt.Sprintf(" (LANTOA_TEST_CHROMIUM=%q is not an executable)", v)
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(strings.Replace(msg, "skipped", "cannot run on CI", 1))
	}
	t.Skip(msg)
	return ""
}

// pageErrors watches a browser tab and fails the test on an uncaught JavaScript exception or a
// Content-Security-Policy violation; other console errors (such as the browser's note about a
// 404 response) are only logged.
type pageErrors struct {
	t    testing.TB
	name string
	// fail reports a fatal page error; it is t.Errorf except in the harness's own tests.
	fail func(format string, args ...any)

	mu   sync.Mutex
	done bool
}

func newPageErrors(t testing.TB, name string) *pageErrors {
	return &pageErrors{t: t, name: name, fail: t.Errorf}
}

// close stops the reports: the closing of the tabs at the end of a test is not the test's business.
func (pe *pageErrors) close() {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	pe.done = true
}

func (pe *pageErrors) report(fatal bool, format string, args ...any) {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if pe.done {
		return
	}
	msg := fmt.Sprintf("%s: %s", pe.name, fmt.Sprintf(format, args...))
	if fatal {
		pe.fail("%s", msg)
	} else {
		pe.t.Log(msg)
	}
}

// cspViolation matches the browser's console message for a blocked resource or script.
var cspViolation = regexp.MustCompile(`(?i)content security policy`)

// exceptionText is an uncaught exception's message with its description (the stack).
func exceptionText(d *runtime.ExceptionDetails) string {
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text += " " + d.Exception.Description
	}
	return text
}

// consoleText is what a console call printed.
func consoleText(ev *runtime.EventConsoleAPICalled) string {
	var parts []string
	for _, a := range ev.Args {
		if a.Description != "" {
			parts = append(parts, a.Description)
		} else {
			parts = append(parts, string(a.Value))
		}
	}
	return strings.Join(parts, " ")
}

// listen runs in the tab's read loop: it must return fast and run no command.
func (pe *pageErrors) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		pe.report(true, "JavaScript exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, exceptionText(d))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			pe.report(false, "console.%s: %s", ev.Type, consoleText(ev))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError && e.Level != log.EntryLevelWarning {
			return
		}
		if e.Source == log.EntrySourceNetwork && strings.HasSuffix(e.URL, "/favicon.ico") {
			return // the browser asks for it on its own
		}
		csp := e.Source == log.EntrySourceSecurity || cspViolation.MatchString(e.Text)
		pe.report(csp && e.Level == log.EntryLevelError, "browser %s (%s) %s: %s", e.Level, e.Source, e.URL, e.Text)
	}
}

// NewBrowser starts a headless Chromium for the test and returns the context of its first tab.
// The browser stops when the test ends, and every action fails after BrowserTimeout. A JavaScript
// exception or a CSP violation in any page fails the test. Without a browser the test is skipped
// (on CI it fails).
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	return newBrowser(t, nil, BrowserTimeout)
}

// newBrowser is NewBrowser with the page-error reporter and the time bound chosen by the caller:
// the page sweep visits hundreds of pages and needs more than BrowserTimeout.
func newBrowser(t testing.TB, fail func(string, ...any), timeout time.Duration) context.Context {
	t.Helper()
	path := RequireBrowser(t)
	output := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(output),
	)
	timeoutCtx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeoutCtx, opts...)
	pe := newPageErrors(t, "tab 1")
	if fail != nil {
		pe.fail = fail
	}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithListener(pe.listen))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		if t.Failed() {
			if out := browserNoise.ReplaceAllString(output.String(), ""); strings.TrimSpace(out) != "" {
				t.Logf("browser output:\n%s", out)
			}
		}
	})
	t.Cleanup(pe.close) // cleanups run last-first: the reports stop before the browser closes
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start browser %s: %v\n%s", path, err, output.String())
	}
	t.Logf("browser %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return ctx
}

// browserNoise matches the lines a headless Chromium in a container always prints: no D-Bus, and
// Debian's wrapper script's complaint about its memory check.
var browserNoise = regexp.MustCompile(`(?m)^.*(dbus/|unexpected operator).*\n`)

var tabs struct {
	mu sync.Mutex
	n  int
}

// NewContext opens a tab in a new browser context of browserCtx's browser: it shares no cookies
// or storage with the other tabs, like a second person at another computer. It closes when the
// test ends.
func NewContext(t testing.TB, browserCtx context.Context) context.Context {
	t.Helper()
	tabs.mu.Lock()
	tabs.n++
	name := fmt.Sprintf("context %d", tabs.n)
	tabs.mu.Unlock()
	pe := newPageErrors(t, name)
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(pe.listen))
	t.Cleanup(cancel)
	t.Cleanup(pe.close)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a new browser context: %v", err)
	}
	return ctx
}

// Screenshot saves a full-page PNG of the tab as $LANTOA_TEST_SCREENSHOTS/<Test>-<name>.png; it
// does nothing when the variable is unset. A failure to capture is logged, not fatal.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("LANTOA_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G703 -- the folder is the developer's own LANTOA_TEST_SCREENSHOTS
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, fileName(t.Name()+"-"+name)+".png")
	if err := os.WriteFile(file, buf, 0o644); err != nil { // #nosec G703 -- under the developer's own LANTOA_TEST_SCREENSHOTS; the name is sanitised
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	t.Logf("screenshot %s", file)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileName(s string) string { return strings.Trim(unsafeFileChars.ReplaceAllString(s, "_"), "_") }

// Do runs the actions on the tab and fails the test on an error.
func Do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	if err := chromedp.Do(bctx, actions...); err != nil {
		t.Fatalf("%v (at %s)", err, location(ctx))
	}
}

// Type replaces the text of the field that the CSS selector matches by typing, as a person would:
// it empties the field, then sends each key with its events (keydown, input, keyup). Do not use
// chromedp.Clear for this: it clears the value attribute, not what the user typed.
func Type(t testing.TB, ctx context.Context, css, text string) {
	t.Helper()
	sel, _ := json.Marshal(css)
	Do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ""`, sel)),
		chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible),
	)
}

// Open navigates the tab to url (absolute, or a path under base) and returns the HTTP status of
// the page.
func Open(t testing.TB, ctx context.Context, url string) int64 {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	resp, err := chromedp.Run(bctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp == nil {
		t.Fatalf("open %s: no response", url)
	}
	return resp.Status
}

// Follow clicks the first visible element that the CSS selector matches, waits for the page it
// leads to (a link or a form submission, redirects followed) and returns the page's HTTP status.
func Follow(t testing.TB, ctx context.Context, css string) int64 {
	t.Helper()
	from := location(ctx)
	bctx, cancel := bounded(ctx)
	defer cancel()
	resp, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("click %s on %s: %v", css, from, err)
	}
	if resp == nil {
		t.Fatalf("click %s on %s: no response", css, from)
	}
	return resp.Status
}

// Text returns the rendered text (innerText) of the first element that the CSS selector
// matches, waiting for the element to appear.
func Text(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeReady))
	if err != nil {
		t.Fatalf("text of %s: %v (at %s)", css, err, location(ctx))
	}
	return strings.TrimSpace(s)
}

// Eval evaluates a JavaScript expression in the page and decodes its JSON value into T.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	v, err := chromedp.Run(bctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v (at %s)", expr, err, location(ctx))
	}
	return v
}

// WaitFor waits (up to ActionTimeout) until the JavaScript expression is truthy in the page.
func WaitFor(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	bctx, cancel := bounded(ctx)
	defer cancel()
	for {
		_, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(ActionTimeout)))
		// The page's execution context can be replaced under a poll that started as the page was
		// still settling (seen on a loaded machine): poll again in the new one, within the bound.
		if err != nil && bctx.Err() == nil && lostContext(err) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("waiting for %s: %v (at %s)", what, err, location(ctx))
		}
		return
	}
}

// lostContext tells whether a CDP call failed because the page's JavaScript context it ran in was
// replaced, rather than because the condition failed.
func lostContext(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") || strings.Contains(msg, "Execution context was destroyed")
}

// Login signs in on base's /login form and fails the test unless the browser lands on a signed-in
// page (the header names the user).
func Login(t testing.TB, ctx context.Context, base, username, password string) {
	t.Helper()
	if status := Open(t, ctx, base+"/login"); status != 200 {
		t.Fatalf("GET /login: status %d", status)
	}
	Type(t, ctx, "#username", username)
	Type(t, ctx, "#password", password)
	if status := Follow(t, ctx, "#login-submit"); status != 200 {
		t.Fatalf("log in as %s: status %d, page says %q", username, status, Eval[string](t, ctx, `document.body.innerText`))
	}
	secondFactor(t, ctx, base, username)
	if n := Eval[int](t, ctx, `document.querySelectorAll("[data-testid=who]").length`); n != 1 {
		t.Fatalf("log in as %s: not signed in at %s; page says %q", username, location(ctx), Eval[string](t, ctx, `document.body.innerText`))
	}
}

// The second factor (accounts/secondfactor.go): where a server requires it of administrators
// (app.Config.RequireStaff2FA), Login answers it as a person with an authenticator app would:
// it sets the factor up when the page asks (and remembers the secret for the next sign-in), and
// types the code when asked; the demo's administrators have demo.TOTPSecret.
var (
	totpMu      sync.Mutex
	totpSecrets = map[string]string{} // base|username → secret
	totpSteps   = map[string]int64{}  // base|username → last 30-s step whose code was typed
)

// RememberTOTP records a user's secret for Login's code step.
func RememberTOTP(base, username, secret string) {
	totpMu.Lock()
	defer totpMu.Unlock()
	totpSecrets[base+"|"+username] = secret
}

// NextTOTP is the code of username's app for the next sign-in on base: the current 30-s step's,
// or, when that was typed already (the server refuses a code twice), the next step's, which the
// server accepts a step early; when that one is spent too it waits for the clock.
func NextTOTP(t testing.TB, base, username, secret string) string {
	t.Helper()
	totpMu.Lock()
	defer totpMu.Unlock()
	key := base + "|" + username
	step := max(time.Now().Unix()/30, totpSteps[key]+1)
	if wait := time.Until(time.Unix((step-1)*30, 0)); wait > 0 {
		time.Sleep(wait + 100*time.Millisecond)
	}
	totpSteps[key] = step
	code, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// secondFactor answers the code or set-up page that may follow the password.
func secondFactor(t testing.TB, ctx context.Context, base, username string) {
	t.Helper()
	switch Eval[string](t, ctx, `location.pathname`) {
	case "/login/2fa/enrol":
		secret := Eval[string](t, ctx, `document.querySelector("[data-testid=totp-secret]").dataset.secret`)
		RememberTOTP(base, username, secret)
		Type(t, ctx, "#code", NextTOTP(t, base, username, secret))
		if status := Follow(t, ctx, "#enrol-submit"); status != 200 {
			t.Fatalf("set up the second factor of %s: status %d, page says %q", username, status, Eval[string](t, ctx, `document.body.innerText`))
		}
		if status := Follow(t, ctx, "#recovery-continue"); status != 200 {
			t.Fatalf("after the recovery codes of %s: status %d", username, status)
		}
	case "/login/2fa":
		totpMu.Lock()
		secret, ok := totpSecrets[base+"|"+username]
		totpMu.Unlock()
		if !ok {
			secret = demo.TOTPSecret
		}
		Type(t, ctx, "#code", NextTOTP(t, base, username, secret))
		if status := Follow(t, ctx, "#code-submit"); status != 200 {
			t.Fatalf("second factor of %s: status %d, page says %q", username, status, Eval[string](t, ctx, `document.body.innerText`))
		}
	}
}

// location is the tab's address, for error messages.
func location(ctx context.Context) string {
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(lctx, chromedp.Location())
	if err != nil {
		return "unknown page"
	}
	return u
}

// NoSidewaysScroll fails the test when the page is wider than the window, as a page must never be
// on a 360-px phone.
func NoSidewaysScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if w := Eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("%s scrolls sideways by %d px", what, w)
	}
}

// OpenMenu opens the header's menu where it is folded behind its button (a phone), as a person
// does before following one of its links; on a wide screen the menu is open and this does nothing.
func OpenMenu(t testing.TB, ctx context.Context) {
	t.Helper()
	if Eval[bool](t, ctx, `(b => b !== null && b.offsetParent !== null && b.getAttribute("aria-expanded") !== "true")(document.getElementById("menu-toggle"))`) {
		Do(t, ctx, chromedp.Click(chromedp.CSS("#menu-toggle"), chromedp.NodeVisible))
	}
}
