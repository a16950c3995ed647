package sheet

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryXLSXReaderGoesThroughReadTable: only this package may open spreadsheets (excelize) or
// read zip archives, so that every import of an xlsx file (question banks, rosters, pupils, units)
// passes through ReadTable, which checks the file size, the archive's entry count and its
// uncompressed size before anything is decompressed. Writing zips (certificate bundles) is fine:
// archive/zip is allowed where only zip.NewWriter is used.
func TestEveryXLSXReaderGoesThroughReadTable(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	self, _ := filepath.Abs(".")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", ".git", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if abs, _ := filepath.Abs(filepath.Dir(path)); abs == self {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return nil // another helper's file mid-edit: the compiler reports it
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/xuri/excelize") {
				t.Errorf("%s imports %s: read spreadsheets with sheet.ReadTable, which enforces the size and zip-bomb limits", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// archive/zip readers elsewhere: zip.NewReader or zip.OpenReader outside this package.
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", ".git", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if abs, _ := filepath.Abs(filepath.Dir(path)); abs == self {
			return nil
		}
		src, err := readFile(path)
		if err != nil {
			return err
		}
		if zipNamesOnly[filepath.ToSlash(path)] {
			return nil
		}
		if strings.Contains(src, "zip.NewReader(") || strings.Contains(src, "zip.OpenReader(") {
			t.Errorf("%s reads a zip archive: spreadsheets go through sheet.ReadTable (size and entry-count limits)", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// zipNamesOnly are readers of zip archives that are not spreadsheets and decompress nothing but a
// bounded few bytes: the speech's kind is told from its entries' names and a 100-byte mimetype.
var zipNamesOnly = map[string]bool{
	"../../../internal/ceremony/speech.go": true,
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
