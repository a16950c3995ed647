package internal_test

// Layering rules (see docs/architecture.md), enforced here so they hold even
// where golangci-lint (whose depguard rule in .golangci.yml says the same) is
// not installed:
//
//  1. Domain and platform packages stay free of HTTP and templates: no
//     non-test file under the directories in domainDirs may import net/http
//     (or its subpackages), html/template, or internal/web (or its
//     subpackages).
//  2. Only internal/app, internal/e2e (the test harness), cmd and the bench drivers may import
//     internal/app: app.Build is the one construction of the services and the server, and the
//     drivers measure what serve runs. Test files are not checked, so that the handler tests
//     (package web_test, outside web's import graph) build their server with app.Build too.
//
// The check parses import blocks with go/parser, so it works even while some
// other package does not compile.

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/lantoa/lantoa"

// domainDirs are the directories (relative to the module root, recursive)
// whose non-test files must not touch HTTP or templates.
var domainDirs = []string{
	"internal/units",
	"internal/orgs",
	"internal/accounts",
	"internal/ceremony",
	"internal/training",
	"internal/outreach",
	"internal/reports",
	"internal/portal",
	"internal/events",
	"internal/platform",
}

const domainRuleMsg = "domain packages stay free of HTTP and templates: move this to internal/web (see docs/architecture.md)"

// forbiddenInDomain reports whether a domain package may not import path.
func forbiddenInDomain(path string) bool {
	return underPkg(path, "net/http") ||
		underPkg(path, "html/template") ||
		underPkg(path, modulePath+"/internal/web")
}

// appImportAllowed are the directories (relative to the module root,
// recursive) whose packages may import internal/app: the wiring itself, the
// binary, the end-to-end harness that runs the whole program in tests, and the
// bench drivers, which build the server with app.Build as serve does.
var appImportAllowed = []string{"internal/app", "internal/e2e", "cmd", "bench"}

// underPkg reports whether path is pkg or one of its subpackages.
func underPkg(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

// underDir reports whether the slash-separated relative path rel is dir or
// lies below it.
func underDir(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

type goFile struct {
	rel     string // slash-separated, relative to the module root
	imports []string
}

func TestLayering(t *testing.T) {
	root := moduleRoot(t)
	var files []goFile
	for _, dir := range []string{"internal", "cmd", "bench"} {
		files = append(files, nonTestGoFiles(t, root, dir)...)
	}

	var domainFiles int
	for _, f := range files {
		inDomain := false
		for _, d := range domainDirs {
			if underDir(f.rel, d) {
				inDomain = true
				break
			}
		}
		appOK := false
		for _, d := range appImportAllowed {
			if underDir(f.rel, d) {
				appOK = true
				break
			}
		}
		if inDomain {
			domainFiles++
		}
		for _, imp := range f.imports {
			if inDomain && forbiddenInDomain(imp) {
				t.Errorf("%s imports %q: %s", f.rel, imp, domainRuleMsg)
			}
			if !appOK && underPkg(imp, modulePath+"/internal/app") {
				t.Errorf("%s imports %q: only internal/app, internal/e2e, cmd and bench may import internal/app (see docs/architecture.md)", f.rel, imp)
			}
		}
	}
	if domainFiles == 0 {
		t.Fatalf("found no non-test Go files under %v: the layering check is looking in the wrong place", domainDirs)
	}
}

// moduleRoot walks up from the working directory to the directory holding
// this module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module "+modulePath) {
			return dir
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod for %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// nonTestGoFiles parses the imports of every non-test .go file below
// root/sub, skipping what the go tool skips (testdata, and directories whose
// names begin with "." or "_").
func nonTestGoFiles(t *testing.T, root, sub string) []goFile {
	t.Helper()
	var out []goFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(filepath.Join(root, sub), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != filepath.Join(root, sub) &&
				(name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parsing imports of %s: %w", rel, err)
		}
		gf := goFile{rel: rel}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: bad import %s: %w", rel, spec.Path.Value, err)
			}
			gf.imports = append(gf.imports, p)
		}
		out = append(out, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out
}
