package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestXLSXRoundTripIsInjectionSafe(t *testing.T) {
	var buf bytes.Buffer
	err := WriteXLSX(&buf, Table{Name: "Thành viên/Tổ", Header: []string{"Họ tên", "Ghi chú", "Số"}, Rows: [][]any{
		{"Nguyễn Thị Hoà", "=HYPERLINK(\"http://x\")", 7},
		{"Đinh Văn Tới", "+1", 3.5},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	name := f.GetSheetList()[0]
	if name != "Thành viên-Tổ" {
		t.Errorf("sheet name %q", name)
	}
	v, _ := f.GetCellValue(name, "B2")
	if v != "'=HYPERLINK(\"http://x\")" {
		t.Errorf("formula cell written as %q", v)
	}
	if formula, _ := f.GetCellFormula(name, "B2"); formula != "" {
		t.Errorf("a formula was stored: %q", formula)
	}
	header, rows, err := ReadTable(bytes.NewReader(buf.Bytes()), DefaultLimits)
	if err != nil || len(header) != 3 || len(rows) != 2 || rows[0].Fields[0] != "Nguyễn Thị Hoà" || rows[1].Line != 3 {
		t.Errorf("read back: %v %+v %v", header, rows, err)
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	WriteCSV(&buf, Table{Header: []string{"a", "b"}, Rows: [][]any{{"@SUM(A1)", 1}}})
	if !strings.HasPrefix(buf.String(), "\ufeffa,b\n'@SUM(A1),1") {
		t.Errorf("csv = %q", buf.String())
	}
	_, rows, err := ReadTable(strings.NewReader("\ufeffx,y\n\n1,2\n"), DefaultLimits)
	if err != nil || len(rows) != 1 || rows[0].Line != 3 {
		t.Errorf("rows %+v %v", rows, err)
	}
	if _, _, err := ReadTable(strings.NewReader("a\n\xff\n"), DefaultLimits); !errors.Is(err, ErrNotUTF8) {
		t.Errorf("latin-1: %v", err)
	}
	if _, _, err := ReadTable(strings.NewReader("a,b\n\"x,2\n"), DefaultLimits); !errors.Is(err, ErrFormat) {
		t.Errorf("bad quote: %v", err)
	}
	lim := DefaultLimits
	lim.MaxBytes = 10
	if _, _, err := ReadTable(strings.NewReader("0123456789abc"), lim); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size: %v", err)
	}
	lim = DefaultLimits
	lim.MaxRows = 1
	if _, _, err := ReadTable(strings.NewReader("h\n1\n2\n"), lim); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("rows: %v", err)
	}
}

func TestZipBombRefusedBeforeOpening(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 20 { // 20 MB of zeros compress to about 20 kB
		w.Write(zeros)
	}
	zw.Close()
	lim := DefaultLimits
	lim.MaxUncompressed = 10 << 20
	if _, _, err := ReadTable(bytes.NewReader(buf.Bytes()), lim); !errors.Is(err, ErrZipBomb) {
		t.Errorf("zip bomb: %v", err)
	}
	buf.Reset()
	zw = zip.NewWriter(&buf)
	for i := range 2000 {
		zw.Create("f" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('0'+i%10)) + "/" + string(rune(i)))
	}
	zw.Close()
	if _, _, err := ReadTable(bytes.NewReader(buf.Bytes()), DefaultLimits); !errors.Is(err, ErrZipBomb) {
		t.Errorf("many entries: %v", err)
	}
	if _, _, err := ReadTable(bytes.NewReader([]byte("PK\x03\x04garbage")), DefaultLimits); !errors.Is(err, ErrFormat) {
		t.Errorf("broken zip: %v", err)
	}
}

// What an export protected against formulas imports back unchanged.
func TestExportImportRoundTripKeepsFormulaLikeText(t *testing.T) {
	texts := []string{"=1+1", "+84 912 345 678", "-5", "@admin", "'chữ có dấu nháy", "Bình thường"}
	for _, format := range []string{"csv", "xlsx"} {
		tb := Table{Name: "T", Header: []string{"text"}}
		for _, x := range texts {
			tb.Rows = append(tb.Rows, []any{x})
		}
		var buf bytes.Buffer
		var err error
		if format == "xlsx" {
			err = WriteXLSX(&buf, tb)
		} else {
			err = WriteCSV(&buf, tb)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := ReadTable(&buf, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if r.Fields[0] != texts[i] {
				t.Errorf("%s: %q came back as %q", format, texts[i], r.Fields[0])
			}
		}
	}
}
