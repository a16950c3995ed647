// Package pdftest reads back the text layer of a PDF in tests, through poppler's pdftotext, so a
// test can check that Vietnamese text survives with its diacritics (the glyphs drawn are not
// enough: a copy, a search or a screen reader uses the text layer).
package pdftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Text returns the PDF's text with runs of white space folded to one space, and false when
// pdftotext is missing (logged, so the caller goes on with its other checks) — except under
// CI=true, where .ci/run installs it and a missing tool fails the test instead of hiding a defect.
func Text(t testing.TB, pdf []byte) (string, bool) {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (poppler-utils) is required under CI=true to check PDF text")
		}
		t.Log("pdftotext (poppler-utils) not installed: PDF text not checked")
		return "", false
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " "), true
}
