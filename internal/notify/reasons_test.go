package notify_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/i18n"
)

// TestEveryReasonHasItsText: the outbox shows a failure's reason in Vietnamese (and English); a
// reason a sender gives without a text would show its code instead. Every WithReason("…") in the
// package's code must be listed in notify.Reasons, and every listed reason must have its text.
func TestEveryReasonHasItsText(t *testing.T) {
	b := i18n.MustLoad()
	for _, r := range notify.Reasons {
		for _, lang := range []string{"vi", "en"} {
			if !b.Has(lang, "notify.reason."+r) {
				t.Errorf("%s: no text for notify.reason.%s", lang, r)
			}
		}
	}
	literal := regexp.MustCompile(`(?:WithReason\(|reason:\s*|\{)"([a-z_]+\.[a-z_.]+)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) != f || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		for _, m := range literal.FindAllSubmatch(src, -1) {
			if code := string(m[1]); !slices.Contains(notify.Reasons, code) {
				t.Errorf("%s: reason %q is not in notify.Reasons", f, code)
			}
		}
	}
}
