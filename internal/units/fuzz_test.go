package units

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseCSV feeds arbitrary bytes to the unit importer's parser: it must never panic, and every
// row it accepts must pass Validate and carry a line number inside the file.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("code,name,level,parent_code\n51,Tỉnh Quảng Ngãi,province,\n535,Huyện Ba Tơ,district,51\n"))
	f.Add([]byte("\xef\xbb\xbfcode,name,level,parent_code\r\n21484,Thị trấn Ba Tơ,commune,535\r\n"))
	f.Add([]byte("code,name,level,parent_code\n\"unterminated,x,commune,535\n"))
	f.Add([]byte("code,name\n1,2\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := parseCSV(data)
		lines := 1
		for _, b := range data {
			if b == '\n' {
				lines++
			}
		}
		for _, r := range rows {
			if _, key := r.Validate(); key != "" {
				t.Fatalf("accepted an invalid row %+v: %s", r.Unit, key)
			}
			if r.line < 2 || r.line > lines {
				t.Fatalf("row line %d outside 2..%d", r.line, lines)
			}
			if !utf8.ValidString(r.Name) {
				t.Fatalf("accepted invalid UTF-8")
			}
		}
		if len(rows) == 0 && len(errs) == 0 {
			t.Fatalf("neither rows nor errors")
		}
	})
}
