// Package pdftest reads back the text layer of a PDF in tests, through poppler's pdftotext, so a
// test can check that Vietnamese text survives with its diacritics (the glyphs drawn are not
// enough: a copy, a search or a screen reader uses the text layer).
package pdftest

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Text returns the PDF's text with runs of white space folded to one space, and false when
// pdftotext is missing (logged, so the caller goes on with its other checks) — except under
// CI=true, where .ci/run installs it and a missing tool fails the test instead of hiding a defect.
func Text(t testing.TB, pdf []byte) (string, bool) {
	t.Helper()
	out, ok := pdftotext(t, pdf)
	if !ok {
		return "", false
	}
	return strings.Join(strings.Fields(out), " "), true
}

// pdftotext runs poppler's pdftotext on pdf with args before the file (the text goes to stdout),
// false when the tool is missing outside CI.
func pdftotext(t testing.TB, pdf []byte, args ...string) (string, bool) {
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
	out, err := exec.Command(tool, append(append(args, "-enc", "UTF-8", path), "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext %v: %v", args, err)
	}
	return string(out), true
}

// Word is one word of a PDF's text layer and its box, in points from the page's top left.
type Word struct {
	Page                   int // from 1
	Text                   string
	XMin, YMin, XMax, YMax float64
}

var (
	pageRe = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

// Words returns every word of the PDF with where it was drawn (pdftotext -bbox), so a test can
// check what a reader sees — that no text runs over the next column — rather than what the
// layout meant to draw; false when pdftotext is missing, as for Text.
func Words(t testing.TB, pdf []byte) ([]Word, bool) {
	t.Helper()
	out, ok := pdftotext(t, pdf, "-bbox")
	if !ok {
		return nil, false
	}
	var words []Word
	page := 0
	for _, line := range strings.Split(out, "\n") {
		if pageRe.MatchString(line) {
			page++
			continue
		}
		m := wordRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		w := Word{Page: page, Text: html.UnescapeString(m[5])}
		for i, f := range []*float64{&w.XMin, &w.YMin, &w.XMax, &w.YMax} {
			var err error
			if *f, err = strconv.ParseFloat(m[i+1], 64); err != nil {
				t.Fatalf("pdftotext -bbox: %q: %v", line, err)
			}
		}
		words = append(words, w)
	}
	return words, true
}
