package pubservices

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/platform/textfold"
	"github.com/lantoa/lantoa/internal/units"
)

// TemplateHeader is the header of Lan Tỏa's own template. The exports of the provinces' systems
// are read too: columns are recognised by their words, not their position (see column).
var TemplateHeader = []string{"Mã đơn vị", "Tên đơn vị", "Tháng", "Tổng số hồ sơ tiếp nhận", "Hồ sơ trực tuyến", "Hồ sơ trực tuyến toàn trình", "Hồ sơ thanh toán trực tuyến"}

// MaxImportBytes bounds an imported statistics file.
const MaxImportBytes = 5 << 20

const maxImportErrors = 500

// Column indexes of the parsed layout.
const (
	colCode = iota
	colMonth
	colReceived
	colOnline
	colFully
	colPaid
	nCols
)

var colNames = [nCols]string{"unit_code", "month", "received", "online", "fully_online", "paid_online"}

// column names the figure a header cell holds, by its folded words, or -1. The systems word their
// exports differently ("Tổng số hồ sơ tiếp nhận", "Số hồ sơ tiếp nhận trực tuyến", "Hồ sơ DVC
// trực tuyến toàn trình", "Số hồ sơ thanh toán trực tuyến"); the most specific words decide first
// (every "toàn trình" column also says "trực tuyến"). Columns named nowhere here (the unit's name,
// the province, a rate the file computed itself) are ignored.
func column(h string) int {
	f := textfold.Fold(strings.TrimPrefix(h, "\ufeff"))
	f = strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(f)
	f = strings.Join(strings.Fields(f), " ")
	switch {
	case f == "":
		return -1
	case strings.Contains(f, "ty le") || strings.Contains(f, "%") || strings.Contains(f, "rate") || strings.Contains(f, "share"):
		return -1 // a share the export computed: Lan Tỏa computes its own from the counts
	case strings.HasPrefix(f, "ma ") || f == "unit code" || f == "code":
		return colCode
	case f == "thang" || f == "month" || f == "ky bao cao" || f == "thang bao cao" || f == "ky":
		return colMonth
	case strings.Contains(f, "toan trinh") || f == "fully online":
		return colFully
	case strings.Contains(f, "thanh toan") || f == "paid online" || f == "online payments":
		return colPaid
	case strings.Contains(f, "truc tuyen") || f == "online":
		return colOnline
	case strings.Contains(f, "tiep nhan") || strings.Contains(f, "tong so ho so") || f == "received":
		return colReceived
	}
	return -1
}

func parseHeader(h []string) ([nCols]int, error) {
	var at [nCols]int
	for i := range at {
		at[i] = -1
	}
	for i, x := range h {
		c := column(x)
		if c < 0 {
			continue
		}
		if at[c] >= 0 {
			return at, apperr.New(apperr.Invalid, "pubservices.error.header_twice", strings.TrimSpace(h[at[c]]), strings.TrimSpace(x))
		}
		at[c] = i
	}
	var missing []string
	for c, i := range at {
		if i < 0 {
			missing = append(missing, colNames[c])
		}
	}
	if len(missing) > 0 {
		return at, apperr.New(apperr.Invalid, "pubservices.error.header", strings.Join(missing, ", "), strings.Join(TemplateHeader, ", "))
	}
	return at, nil
}

// Template returns the import template as xlsx (or CSV), with two example lines.
func Template(format string) ([]byte, error) {
	t := sheet.Table{Name: "Dịch vụ công", Header: TemplateHeader, Rows: [][]any{
		{"51", "Tỉnh Quảng Ngãi", "2025-03", 12000, 7200, 3100, 2500},
		{"51", "Tỉnh Quảng Ngãi", "2025-04", 12500, 8300, 3900, 3100},
	}}
	var buf bytes.Buffer
	if format == "csv" {
		err := sheet.WriteCSV(&buf, t)
		return buf.Bytes(), err
	}
	err := sheet.WriteXLSX(&buf, t)
	return buf.Bytes(), err
}

// parseMonth reads a month as the exports write it: 2025-03, 2025/3, 03/2025, 3-2025, or
// "Tháng 3/2025".
func parseMonth(s string) (string, bool) {
	f := textfold.Fold(s)
	f = strings.TrimSpace(strings.TrimPrefix(f, "thang"))
	parts := strings.FieldsFunc(f, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == ' ' })
	if len(parts) != 2 {
		return "", false
	}
	a, errA := strconv.Atoi(parts[0])
	b, errB := strconv.Atoi(parts[1])
	if errA != nil || errB != nil {
		return "", false
	}
	year, month := a, b
	if len(parts[0]) <= 2 {
		year, month = b, a
	}
	if year < 2000 || year > 2100 || month < 1 || month > 12 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", year, month), true
}

// parseCount reads a count; exports write thousands with dots or commas ("12.000").
func parseCount(s string) (int64, string) {
	t := strings.NewReplacer(".", "", ",", "", " ", "", "\u00a0", "").Replace(s)
	if t == "" {
		return 0, "pubservices.import.count_required"
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64); ferr == nil && f < 0 {
			return 0, "pubservices.import.count_negative"
		}
		return 0, "pubservices.import.count_number"
	}
	if v < 0 {
		return 0, "pubservices.import.count_negative"
	}
	if v > 1e12 {
		return 0, "pubservices.import.count_number"
	}
	return v, ""
}

type line struct {
	no    int
	code  string
	month string
	Figures
}

func cell(f []string, i int) string {
	if i < 0 || i >= len(f) {
		return ""
	}
	return strings.TrimSpace(f[i])
}

// parseLine checks one line on its own.
func parseLine(at [nCols]int, row sheet.Row, thisMonth string) (line, string, []any) {
	l := line{no: row.Line, code: cell(row.Fields, at[colCode])}
	if l.code == "" {
		return l, "pubservices.import.code_required", nil
	}
	raw := cell(row.Fields, at[colMonth])
	m, ok := parseMonth(raw)
	if !ok {
		return l, "pubservices.import.month", []any{raw}
	}
	if m > thisMonth {
		return l, "pubservices.import.month_future", []any{m}
	}
	l.month = m
	counts := []*int64{&l.Received, &l.Online, &l.FullyOnline, &l.PaidOnline}
	for i, c := range []int{colReceived, colOnline, colFully, colPaid} {
		v, key := parseCount(cell(row.Fields, at[c]))
		if key != "" {
			return l, key, []any{colNames[c], cell(row.Fields, at[c])}
		}
		*counts[i] = v
	}
	switch {
	case l.Online > l.Received:
		return l, "pubservices.import.online_above_received", []any{l.Online, l.Received}
	case l.FullyOnline > l.Online:
		return l, "pubservices.import.fully_above_online", []any{l.FullyOnline, l.Online}
	case l.PaidOnline > l.Received:
		return l, "pubservices.import.paid_above_received", []any{l.PaidOnline, l.Received}
	}
	return l, "", nil
}

// ImportResult tells what an import wrote.
type ImportResult struct {
	Rows     int `json:"rows"`
	Replaced int `json:"replaced"`
}

// Import reads a statistics file (xlsx or CSV) for units in the actor's scope. The whole file is
// checked first: unknown units (and units outside the actor's scope, which read the same),
// malformed months, negative or inconsistent counts, a unit and month twice in the file, and a
// unit and month already imported without replace are each named by line, and nothing is written.
// With replace, the months already imported are overwritten, and the import is audited as a
// replacement naming how many.
func (s *Service) Import(ctx context.Context, r io.Reader, replace bool) (ImportResult, error) {
	a := authz.ActorFrom(ctx)
	if len(a.AdminUnitPaths()) == 0 {
		return ImportResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if r == nil {
		return ImportResult{}, apperr.InvalidField("file", "import.error.no_file")
	}
	lim := sheet.DefaultLimits
	lim.MaxBytes = MaxImportBytes
	header, rows, err := sheet.ReadTable(r, lim)
	switch {
	case errors.Is(err, sheet.ErrTooLarge):
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_large", MaxImportBytes>>20)
	case errors.Is(err, sheet.ErrNotUTF8):
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_utf8")
	case errors.Is(err, sheet.ErrTooManyRows):
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_rows", lim.MaxRows)
	case err != nil:
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_format")
	}
	if header == nil {
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_empty")
	}
	at, err := parseHeader(header)
	if err != nil {
		return ImportResult{}, err
	}
	if len(rows) == 0 {
		return ImportResult{}, apperr.New(apperr.Invalid, "pubservices.error.import_empty")
	}
	thisMonth := s.Now().In(vietnam).Format("2006-01")

	var lines []line
	var bad []apperr.Detail
	fail := func(no int, key string, args ...any) {
		if len(bad) < maxImportErrors {
			bad = append(bad, apperr.Detail{Line: no, Key: key, Args: args})
		}
	}
	var codes []string
	for _, row := range rows {
		l, key, args := parseLine(at, row, thisMonth)
		if key != "" {
			fail(row.Line, key, args...)
			continue
		}
		lines = append(lines, l)
		codes = append(codes, l.code)
	}
	found, err := s.Units.FindMany(ctx, codes)
	if err != nil {
		return ImportResult{}, err
	}
	type key struct{ path, month string }
	first := map[key]int{}
	paths := map[string]units.Unit{}
	good := lines[:0]
	for _, l := range lines {
		u, ok := found[l.code]
		if !ok || u.Level == units.Village || !a.AdministersUnit(u.Path) {
			fail(l.no, "pubservices.import.unit_unknown", l.code)
			continue
		}
		k := key{u.Path, l.month}
		if n, dup := first[k]; dup {
			fail(l.no, "pubservices.import.duplicate_in_file", l.code, l.month, n)
			continue
		}
		first[k] = l.no
		paths[u.Path] = u
		good = append(good, l)
	}
	existing, err := s.existing(ctx, s.DB.Reader(), paths)
	if err != nil {
		return ImportResult{}, err
	}
	replaced := 0
	for _, l := range good {
		if existing[found[l.code].Path+"|"+l.month] {
			if !replace {
				fail(l.no, "pubservices.import.already_imported", l.code, l.month)
				continue
			}
			replaced++
		}
	}
	if len(bad) > 0 {
		e := apperr.New(apperr.Invalid, "pubservices.error.import_rejected", len(bad))
		e.Details = bad
		return ImportResult{}, e
	}
	now := db.Millis(s.Now())
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		// Checked again inside the transaction: another import may have written one of the months
		// since the check above, and without replace it must not be overwritten.
		if !replace {
			again, err := s.existing(ctx, tx, paths)
			if err != nil {
				return err
			}
			for _, l := range good {
				if again[found[l.code].Path+"|"+l.month] {
					return apperr.New(apperr.Conflict, "pubservices.error.import_raced")
				}
			}
		}
		for _, l := range good {
			u := found[l.code]
			if _, err := tx.ExecContext(ctx, `DELETE FROM public_service_stats WHERE unit_path = ? AND month = ?`, u.Path, l.month); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO public_service_stats (unit_code, unit_path, province_code, month, received, online, fully_online, paid_online, imported_by, imported_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Code, u.Path, authz.ProvinceOfPath(u.Path), l.month, l.Received, l.Online, l.FullyOnline, l.PaidOnline, a.Username, now); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("rows=%d replaced=%d units=%d", len(good), replaced, len(paths))
		if replaced > 0 {
			return audit.Record(ctx, tx, audit.Entry{Action: "pubservices.stats.replace", ObjectType: "public_service_stats", UnitPath: commonPath(paths), Detail: detail})
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "pubservices.stats.import", ObjectType: "public_service_stats", UnitPath: commonPath(paths), Detail: detail})
	})
	if err != nil {
		return ImportResult{}, apperr.Wrap(err, "import public service stats")
	}
	return ImportResult{Rows: len(good), Replaced: replaced}, nil
}

// existing returns "path|month" of the rows already imported for the units.
func (s *Service) existing(ctx context.Context, q db.Querier, paths map[string]units.Unit) (map[string]bool, error) {
	out := map[string]bool{}
	if len(paths) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(paths))
	for p := range paths {
		args = append(args, p)
	}
	rows, err := q.QueryContext(ctx, `SELECT unit_path, month FROM public_service_stats WHERE unit_path IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, m string
		if err := rows.Scan(&p, &m); err != nil {
			return nil, err
		}
		out[p+"|"+m] = true
	}
	return out, rows.Err()
}

// commonPath is the deepest path every imported unit lies under, so that the audit entry shows in
// the log of each administrator whose subtree holds the import.
func commonPath(paths map[string]units.Unit) string {
	out := ""
	for p := range paths {
		if out == "" {
			out = p
			continue
		}
		for !strings.HasPrefix(p, out) {
			i := strings.LastIndex(strings.TrimSuffix(out, "/"), "/")
			out = out[:i+1]
		}
	}
	if out == "" {
		return "/"
	}
	return out
}
