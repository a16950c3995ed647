// Package sheet reads and writes the tables people exchange with Lan Tỏa: xlsx (Excel is what
// Vietnamese offices live in) and CSV. Exports are safe against formula injection; imports check an
// xlsx archive's entry count and uncompressed size before opening it, so a zip bomb is refused
// instead of exhausting memory.
package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is one sheet of an export.
type Table struct {
	Name   string
	Header []string
	Rows   [][]any
}

// SafeText neutralises a cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) by
// prefixing an apostrophe, as OWASP advises for CSV injection. Numbers are left alone.
func SafeText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func safeValue(v any) any {
	if s, ok := v.(string); ok {
		return SafeText(s)
	}
	return v
}

// WriteXLSX writes the tables as sheets of one workbook, with a bold, frozen header row.
func WriteXLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE3EA"}, Pattern: 1}})
	if err != nil {
		return err
	}
	for i, t := range tables {
		name := sheetName(t.Name, i)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		header := make([]any, len(t.Header))
		for j, h := range t.Header {
			header[j] = excelize.Cell{StyleID: bold, Value: h}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		for r, row := range t.Rows {
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = safeValue(v)
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, vals); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// sheetName makes a valid sheet name: at most 31 characters, none of []:*?/\.
func sheetName(name string, i int) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" {
		name = fmt.Sprintf("Sheet%d", i+1)
	}
	for utf8.RuneCountInString(name) > 31 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// WriteCSV writes one table as UTF-8 CSV with a byte-order mark, which Excel needs to read
// Vietnamese correctly.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	rec := make([]string, 0, len(t.Header))
	for _, row := range t.Rows {
		rec = rec[:0]
		for _, v := range row {
			rec = append(rec, SafeText(fmt.Sprint(v)))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Limits bound what an import may make the server read.
type Limits struct {
	MaxBytes        int64 // the file as uploaded
	MaxUncompressed int64 // an xlsx archive's entries, added up
	MaxEntries      int   // an xlsx archive's entries
	MaxRows         int
}

// DefaultLimits suit a roster or a question bank: a few megabytes, at most 100,000 rows.
var DefaultLimits = Limits{MaxBytes: 16 << 20, MaxUncompressed: 200 << 20, MaxEntries: 1000, MaxRows: 100000}

// ErrTooLarge and friends tell the caller which limit an import broke.
var (
	ErrTooLarge    = errors.New("sheet: file too large")
	ErrZipBomb     = errors.New("sheet: xlsx archive expands beyond the limit")
	ErrTooManyRows = errors.New("sheet: too many rows")
	ErrNotUTF8     = errors.New("sheet: CSV is not UTF-8")
	ErrFormat      = errors.New("sheet: neither xlsx nor CSV")
)

// Row is one line of an imported table with its line number in the file (1 is the header), so
// errors can name the line a person sees in Excel.
type Row struct {
	Line   int
	Fields []string
}

// ReadTable reads the first sheet of an xlsx file, or a CSV file, into a header and rows. The
// format is recognised by content, not by name. Cells are trimmed; blank rows are skipped.
func ReadTable(r io.Reader, lim Limits) (header []string, rows []Row, err error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, nil, ErrTooLarge
	}
	var all []Row
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		all, err = readXLSX(data, lim)
	} else {
		all, err = readCSV(data, lim)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		return nil, nil, nil
	}
	header = trimAll(all[0].Fields)
	for _, rec := range all[1:] {
		rec.Fields = trimAll(rec.Fields)
		if blank(rec.Fields) {
			continue
		}
		if len(rows) >= lim.MaxRows {
			return nil, nil, ErrTooManyRows
		}
		rows = append(rows, rec)
	}
	return header, rows, nil
}

func readXLSX(data []byte, lim Limits) ([]Row, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, ErrFormat
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, ErrZipBomb
	}
	var total int64
	for _, f := range zr.File {
		if f.UncompressedSize64 > math.MaxInt64/2 {
			return nil, ErrZipBomb
		}
		total += int64(f.UncompressedSize64)
		if total > lim.MaxUncompressed {
			return nil, ErrZipBomb
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: lim.MaxUncompressed, UnzipXMLSizeLimit: lim.MaxUncompressed})
	if err != nil {
		return nil, ErrFormat
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, ErrFormat
	}
	defer rows.Close()
	var out []Row
	for line := 1; rows.Next(); line++ {
		cols, err := rows.Columns()
		if err != nil {
			return nil, ErrFormat
		}
		out = append(out, Row{Line: line, Fields: cols})
		if len(out) > lim.MaxRows+1 {
			return nil, ErrTooManyRows
		}
	}
	return out, rows.Error()
}

func readCSV(data []byte, lim Limits) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var out []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, pe.StartLine, pe.Err)
			}
			return nil, ErrFormat
		}
		line, _ := cr.FieldPos(0)
		out = append(out, Row{Line: line, Fields: rec})
		if len(out) > lim.MaxRows+1 {
			return nil, ErrTooManyRows
		}
	}
}

// trimAll trims the cells and takes off the apostrophe SafeText put before a formula-like text,
// so that a file exported here imports back as the same text, not with an apostrophe in front.
func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, s := range rec {
		out[i] = UnsafeText(strings.TrimSpace(s))
	}
	return out
}

// UnsafeText undoes SafeText: "'=1+1" is "=1+1" again. Importers store it as text, never run it.
func UnsafeText(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

func blank(rec []string) bool {
	for _, s := range rec {
		if s != "" {
			return false
		}
	}
	return true
}
