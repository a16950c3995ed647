// Package apperrtest holds what tests of the rules share about refusals.
package apperrtest

import (
	"sync"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/i18n"
)

var catalogs = sync.OnceValue(i18n.MustLoad)

// WantRefusal checks that err is the refusal of the given kind whose message, in Vietnamese, is
// msg: the key and its arguments together, as the user reads them ("" for no refusal).
func WantRefusal(t testing.TB, err error, kind apperr.Kind, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("allowed, want %s %q", kind, msg)
	}
	ae := apperr.As(err)
	if got := catalogs().T("vi", ae.Key, ae.Args...); ae.Kind != kind || got != msg {
		t.Fatalf("refused %s %q (%s), want %s %q", ae.Kind, got, ae.Key, kind, msg)
	}
}
