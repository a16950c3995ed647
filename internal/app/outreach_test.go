package app_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestOutreachPurgeCommand runs `lantoa outreach purge` on a fresh database: a dry run and a run
// report their counts, a date in the future and a missing date are refused.
func TestOutreachPurgeCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "lantoa.db")
	if code, _, errOut := run(t, "", "migrate", "--db", dbPath); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	code, out, errOut := run(t, "", "outreach", "purge", "--before", "2023-01-01", "--dry-run", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "0 hồ sơ") {
		t.Fatalf("dry run: %d %q %q", code, out, errOut)
	}
	if code, out, _ = run(t, "", "outreach", "purge", "--before", "2023-01-01", "--db", dbPath); code != 0 || !strings.Contains(out, "anonymised") {
		t.Fatalf("purge: %d %q", code, out)
	}
	if code, _, errOut = run(t, "", "outreach", "purge", "--before", "2999-01-01", "--db", dbPath); code == 0 || !strings.Contains(errOut, "past") {
		t.Fatalf("future date: %d %q", code, errOut)
	}
	if code, _, _ = run(t, "", "outreach", "purge", "--db", dbPath); code == 0 {
		t.Fatal("missing date accepted")
	}
}
