package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestHarnessCatchesPageErrors checks that the harness reports what it promises to: an uncaught
// exception and a script that the Content-Security-Policy blocks, and that NewContext gives a tab
// with cookies of its own.
func TestHarnessCatchesPageErrors(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	ctx := newBrowser(t, func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, fmt.Sprintf(format, args...))
	}, BrowserTimeout)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Set-Cookie", "probe=1; Path=/")
		fmt.Fprint(w, `<!doctype html><title>t</title><p id="p">ok</p><script src="/throw.js"></script><script>document.title = "inline ran"</script>`)
	})
	mux.HandleFunc("/throw.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `throw new Error("boom from throw.js");`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	Open(t, ctx, ts.URL+"/")
	WaitFor(t, ctx, "the page", `document.readyState === "complete"`)
	if got := Text(t, ctx, "#p"); got != "ok" {
		t.Errorf("text = %q", got)
	}
	if title := Eval[string](t, ctx, `document.title`); title == "inline ran" {
		t.Errorf("the CSP did not block the inline script")
	}
	if c := Eval[string](t, ctx, `document.cookie`); c != "probe=1" {
		t.Errorf("cookie in the first tab = %q", c)
	}
	// A new browser context has its own cookie jar. Chromium occasionally hands the first page
	// of a fresh context the default jar (seen once in CI under load), so a context gets three
	// chances; broken isolation fails all three.
	isolated := false
	var shared string
	for range 3 {
		other := NewContext(t, ctx)
		Open(t, other, ts.URL+"/throw.js")
		if shared = Eval[string](t, other, `document.cookie`); shared == "" {
			isolated = true
			break
		}
	}
	if !isolated {
		t.Errorf("a new browser context shares cookies: %q", shared)
	}

	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(reported, "\n")
	if !strings.Contains(all, "boom from throw.js") {
		t.Errorf("exception not reported; reports:\n%s", all)
	}
	if !strings.Contains(strings.ToLower(all), "content security policy") {
		t.Errorf("CSP violation not reported; reports:\n%s", all)
	}
}
