package internal_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every audit action the code writes is in docs/architecture.md's list ("Audit"): an auditor
// reading the log, or writing a retention rule, learns there what each entry means. Actions
// written as a literal (Action: "unit.switch") are found in the sources; the few built at run
// time (Action: "report." + action, Action: action, an action passed as a parameter) are listed
// here with where they come from, and a prefix the sources build from must match one of them.
var builtActions = []string{
	"user.enable", "user.disable", // accounts/users.go: enabling or disabling an account
	"ceremony.leader_add", "ceremony.leader_remove", // ceremony/programme.go
	"outreach.citizen.export", "outreach.citizen.erase", // outreach/privacy.go: a citizen's request
	"report.return", "report.accept", "report.reopen", // reports/service.go: the review
	// ceremony/points.go: changePoint's action, one per kind of change to a bridge point
	"bridge_point.update", "bridge_point.checklist", "bridge_point.on_air", "bridge_point.attendance",
}

var (
	literalAction = regexp.MustCompile(`Action:\s*"([a-z_.]+)"\s*([+,}])`)
	listedAction  = regexp.MustCompile("`([a-z_]+(?:\\.[a-z_]+)+)`")
)

func TestEveryAuditActionIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "\n## Audit\n")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal(`docs/architecture.md has no "## Audit" section`)
	}
	listed := map[string]bool{}
	for _, m := range listedAction.FindAllStringSubmatch(text[start:start+1+end], -1) {
		listed[m[1]] = true
	}

	written := map[string]string{} // action → file
	prefixes := map[string]string{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literalAction.FindAllStringSubmatch(string(src), -1) {
			if m[2] == "+" {
				prefixes[m[1]] = path
			} else {
				written[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(written) < 50 {
		t.Fatalf("found only %d audit actions in the sources: the pattern no longer matches how entries are written", len(written))
	}
	for _, a := range builtActions {
		written[a] = "(built at run time)"
	}
	for prefix, path := range prefixes {
		found := false
		for _, a := range builtActions {
			found = found || strings.HasPrefix(a, prefix)
		}
		if !found {
			t.Errorf("%s builds actions from %q: list them in builtActions", path, prefix)
		}
	}
	for a, path := range written {
		if !listed[a] {
			t.Errorf("%s writes the audit action %q, which docs/architecture.md (\"Audit\") does not list", path, a)
		}
	}
	for a := range listed {
		if _, ok := written[a]; !ok && strings.Contains(a, ".") && !strings.HasPrefix(a, "audit.") {
			t.Errorf("docs/architecture.md lists the audit action %q, which nothing writes", a)
		}
	}
}
