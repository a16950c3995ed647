package web_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

// TestStylesheetsBalanced: every stylesheet closes each block it opens. A merge once dropped the
// closing brace of a media query, and every rule after it (the workspace, the exam, the secondary
// button) silently applied to phones only.
func TestStylesheetsBalanced(t *testing.T) {
	files, err := filepath.Glob("static/*.css")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stylesheet found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		depth := 0
		for i, line := range strings.Split(cssComment.ReplaceAllStringFunc(string(b), func(c string) string {
			return strings.Repeat("\n", strings.Count(c, "\n")) // keep line numbers
		}), "\n") {
			for _, r := range line {
				switch r {
				case '{':
					depth++
					// A rule set inside a rule set is nesting this project does not use: a block
					// left open is the likelier reason.
					if depth > 2 {
						t.Errorf("%s:%d: a third level of blocks: is a brace missing above?", f, i+1)
					}
				case '}':
					depth--
					if depth < 0 {
						t.Errorf("%s:%d: a closing brace too many", f, i+1)
						depth = 0
					}
				}
			}
		}
		if depth != 0 {
			t.Errorf("%s: %d block(s) left open at the end", f, depth)
		}
	}
}
