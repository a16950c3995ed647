package units

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// ImportResult counts what an import changed.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// Import limits: the whole country is about 11,400 rows above village level, villages add tens of
// thousands more.
const (
	MaxImportRows  = 200000
	MaxImportBytes = 32 << 20
	maxErrorsShown = 500
)

// requiredColumns is the header of the reference CSV (docs/data.md); valid_from, valid_to and
// successor_code may follow.
var requiredColumns = []string{"code", "name", "level", "parent_code"}
var optionalColumns = []string{"valid_from", "valid_to", "successor_code"}

type importRow struct {
	line int
	// dated tells whether the file has date columns; without them an import keeps a unit's dates.
	dated bool
	Unit
}

// Import reads a CSV of units and applies it in one transaction. The whole file is validated
// first: on any bad row nothing changes and the error lists every bad line with its reason.
// Existing codes are updated in place; a unit cannot move to another parent (a reorganisation is
// recorded with Retire and a successor instead, so earlier data keeps its place).
//
// The province is the tenant boundary: only the command line adds a province, nobody renames one,
// and a province administrator imports any level inside their own province only. A unit
// administrator imports villages and residential groups only, under communes in their subtree:
// that is how a commune loads its thôn and tổ dân phố from a spreadsheet.
func (s *Service) Import(ctx context.Context, r io.Reader) (ImportResult, error) {
	actor := authz.ActorFrom(ctx)
	if len(actor.AdminUnitPaths()) == 0 {
		return ImportResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if r == nil { // no file sent: said after the access check, which comes first
		return ImportResult{}, apperr.InvalidField("file", "import.error.no_file")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return ImportResult{}, apperr.Wrap(err, "read import")
	}
	if len(data) > MaxImportBytes {
		return ImportResult{}, apperr.New(apperr.Invalid, "import.error.too_large", MaxImportBytes>>20)
	}
	rows, errs := parseCSV(data)
	if len(errs) > 0 {
		return ImportResult{}, importError(errs)
	}
	existing, err := s.loadAll(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	errs = checkTree(rows, existing)
	switch {
	case actor.AdministersUnit("/"): // the command line: every province
	case len(actor.AdminProvinces()) > 0:
		errs = append(errs, checkProvinceScope(actor, rows, existing)...)
	default:
		errs = append(errs, checkVillageScope(actor, rows, existing)...)
	}
	if len(errs) > 0 {
		if p := reorganised(rows, errs, existing); len(p) > 0 {
			return ImportResult{}, apperr.New(apperr.Invalid, "units.error.switch_needs_lineage", strings.Join(p, ", "))
		}
		return ImportResult{}, importError(errs)
	}
	// Parents before children, whatever the file's order.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Level.rank() < rows[j].Level.rank() })
	var res ImportResult
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		paths := map[string]string{}
		for code, u := range existing {
			paths[code] = u.Path
		}
		for _, row := range rows {
			u := row.Unit
			if old, ok := existing[u.Code]; ok {
				if !row.dated { // a file without date columns leaves a unit's dates as they are
					u.ValidFrom, u.ValidTo = old.ValidFrom, old.ValidTo
				}
				if _, err := tx.ExecContext(ctx, `UPDATE units SET name = ?, type = ?, search_key = ?, valid_from = ?, valid_to = ?, updated_at = ? WHERE path = ?`,
					u.Name, u.Type, textfold.Fold(u.Name), u.ValidFrom, u.ValidTo, now, old.Path); err != nil {
					return apperr.Wrap(err, "update unit")
				}
				paths[u.Code] = old.Path
				res.Updated++
				continue
			}
			path := "/" + u.Code + "/"
			if u.ParentCode != "" {
				path = paths[u.ParentCode] + u.Code + "/"
			}
			paths[u.Code] = path
			if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, level, type, parent_code, parent_path, path, search_key, valid_from, valid_to, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				u.Code, u.Name, string(u.Level), u.Type, db.NullString(u.ParentCode), paths[u.ParentCode], path, textfold.Fold(u.Name), u.ValidFrom, u.ValidTo, now, now); err != nil {
				return apperr.Wrap(err, "insert unit "+u.Code)
			}
			res.Created++
		}
		for _, row := range rows {
			if row.SuccessorCode == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, "UPDATE units SET successor_code = ? WHERE path = ?", row.SuccessorCode, paths[row.Code]); err != nil {
				return apperr.Wrap(err, "set successor")
			}
			if row.ValidTo != "" {
				if err := rollUp(ctx, tx, paths[row.Code], paths[row.SuccessorCode]); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "unit.import", ObjectType: "unit", UnitPath: importPath(rows, paths),
			Detail: fmt.Sprintf("created=%d updated=%d", res.Created, res.Updated)})
	})
	return res, err
}

func importError(details []apperr.Detail) error {
	e := apperr.New(apperr.Invalid, "import.error.rows", len(details))
	if len(details) > maxErrorsShown {
		details = details[:maxErrorsShown]
	}
	e.Details = details
	return e
}

func parseCSV(data []byte) ([]importRow, []apperr.Detail) {
	var rows []importRow
	seen := map[string]int{}
	header, errs := readTable(data, requiredColumns, func(line int, get func(string) string) *apperr.Detail {
		u := Unit{
			Code:          get("code"),
			Name:          get("name"),
			Level:         Level(strings.ToLower(get("level"))),
			ParentCode:    get("parent_code"),
			ValidFrom:     get("valid_from"),
			ValidTo:       get("valid_to"),
			SuccessorCode: get("successor_code"),
		}
		u.Type = TypeFromName(u.Name)
		if field, key := u.Validate(); key != "" {
			return &apperr.Detail{Line: line, Field: field, Key: key, Args: []any{u.Code}}
		}
		if prev, dup := seen[u.Code]; dup {
			return &apperr.Detail{Line: line, Field: "code", Key: "import.error.duplicate", Args: []any{u.Code, prev}}
		}
		seen[u.Code] = line
		rows = append(rows, importRow{line: line, Unit: u})
		return nil
	})
	for i := range rows {
		rows[i].dated = header["valid_to"]
	}
	return rows, errs
}

// readTable reads a CSV import whose header names at least columns (in any order and case): it
// drops the BOM Excel writes, checks UTF-8 and the header, skips blank lines, stops at a quoting
// error (the reader cannot resynchronise) or past MaxImportRows, checks each line's column count,
// and hands every other line to row with a getter of its fields (spaces collapsed, NFC). row
// returns the line's error, if any. A table without an accepted line is an error too. It returns
// the header's columns.
func readTable(data []byte, columns []string, row func(line int, get func(string) string) *apperr.Detail) (map[string]bool, []apperr.Detail) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, []apperr.Detail{{Line: firstInvalidLine(data), Key: "import.error.utf8"}}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	wantHeader := []apperr.Detail{{Line: 1, Key: "import.error.header", Args: []any{strings.Join(columns, ",")}}}
	header, err := cr.Read()
	if err != nil {
		return nil, wantHeader
	}
	col := map[string]int{}
	has := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		col[name], has[name] = i, true
	}
	for _, c := range columns {
		if !has[c] {
			return nil, wantHeader
		}
	}
	width := len(header)
	var rec []string
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.Join(strings.Fields(norm.NFC.String(rec[i])), " ")
	}
	var errs []apperr.Detail
	accepted := 0
	for {
		rec, err = cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, apperr.Detail{Line: line, Key: "import.error.csv_syntax"})
			break
		}
		line, _ := cr.FieldPos(0)
		if accepted >= MaxImportRows {
			errs = append(errs, apperr.Detail{Line: line, Key: "import.error.too_many_rows", Args: []any{MaxImportRows}})
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < len(columns) {
			errs = append(errs, apperr.Detail{Line: line, Key: "import.error.columns", Args: []any{len(rec), width}})
			continue
		}
		if d := row(line, get); d != nil {
			errs = append(errs, *d)
			continue
		}
		accepted++
	}
	if accepted == 0 && len(errs) == 0 {
		errs = append(errs, apperr.Detail{Line: 1, Key: "import.error.empty"})
	}
	return has, errs
}

func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// checkTree checks what needs the rest of the file and the database: parents exist at the level
// above, existing units keep their parent, successors exist.
func checkTree(rows []importRow, existing map[string]Unit) []apperr.Detail {
	inFile := map[string]Unit{}
	for _, r := range rows {
		inFile[r.Code] = r.Unit
	}
	lookup := func(code string) (Unit, bool) {
		if u, ok := inFile[code]; ok {
			return u, true
		}
		u, ok := existing[code]
		return u, ok
	}
	var errs []apperr.Detail
	for _, r := range rows {
		if old, ok := existing[r.Code]; ok {
			if old.ParentCode != r.ParentCode || old.Level != r.Level {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.reparent", Args: []any{r.Code}})
				continue
			}
			// A province is never renamed: a new province is a new code (and a merger, a successor).
			if r.Level == Province && old.Name != r.Name {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "name", Key: "units.error.province_rename", Args: []any{r.Code}})
				continue
			}
		}
		if r.ParentCode != "" {
			p, ok := lookup(r.ParentCode)
			if !ok {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.parent_missing", Args: []any{r.ParentCode}})
				continue
			}
			if !r.Level.HangsUnder(p.Level) {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.parent_level"})
				continue
			}
		}
		if r.SuccessorCode != "" {
			if _, ok := lookup(r.SuccessorCode); !ok || r.SuccessorCode == r.Code {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "successor_code", Key: "units.error.successor_missing", Args: []any{r.SuccessorCode}})
			}
		}
	}
	return errs
}

// reorganised tells which provinces a refused file would reorganise to the two-tier map (communes
// directly under a province where the database keeps them under districts): that is a map switch,
// and the error names the command that brings the lineage with it.
func reorganised(rows []importRow, errs []apperr.Detail, existing map[string]Unit) []string {
	moved := false
	for _, e := range errs {
		moved = moved || e.Key == "units.error.reparent"
	}
	if !moved {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if r.Level != Commune {
			continue
		}
		old, ok := existing[r.Code]
		if p, isProvince := existing[r.ParentCode]; ok && isProvince && p.Level == Province && old.ParentCode != r.ParentCode && !seen[r.ParentCode] {
			seen[r.ParentCode] = true
			out = append(out, r.ParentCode)
		}
	}
	sort.Strings(out)
	return out
}

// provinceOf returns the code of the province a row of the file lies in, following parents through
// the file and the database.
func provinceOf(u Unit, inFile, existing map[string]Unit) string {
	for range len(Levels) + 1 {
		if u.Level == Province || u.ParentCode == "" {
			return u.Code
		}
		if old, ok := existing[u.Code]; ok {
			return authz.ProvinceOfPath(old.Path)
		}
		next, ok := inFile[u.ParentCode]
		if !ok {
			next, ok = existing[u.ParentCode]
		}
		if !ok {
			return ""
		}
		u = next
	}
	return ""
}

// checkProvinceScope refuses, line by line, what a province administrator may not import: a unit
// of another province, or a province row that would add or rename a province.
func checkProvinceScope(actor *authz.Actor, rows []importRow, existing map[string]Unit) []apperr.Detail {
	inFile := map[string]Unit{}
	for _, r := range rows {
		inFile[r.Code] = r.Unit
	}
	var errs []apperr.Detail
	for _, r := range rows {
		if r.Level == Province {
			if _, ok := existing[r.Code]; !ok {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "code", Key: "units.error.province_cli", Args: []any{r.Code}})
				continue
			}
		}
		if p := provinceOf(r.Unit, inFile, existing); !actor.AdministersProvince(p) {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.out_of_scope", Args: []any{r.ParentCode}})
		}
	}
	return errs
}

// importPath is where the audit entry of an import belongs: the one province every row lies in,
// else the root.
func importPath(rows []importRow, paths map[string]string) string {
	province := ""
	for _, r := range rows {
		p := authz.ProvinceOfPath(paths[r.Code])
		if province != "" && p != province {
			return "/"
		}
		province = p
	}
	return authz.ProvincePath(province)
}

// checkVillageScope refuses, line by line, what a unit administrator may not import: anything
// but a village, or a village under a commune outside their subtree.
func checkVillageScope(actor *authz.Actor, rows []importRow, existing map[string]Unit) []apperr.Detail {
	var errs []apperr.Detail
	for _, r := range rows {
		if r.Level != Village {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "level", Key: "units.error.import_villages_only"})
			continue
		}
		parent, ok := existing[r.ParentCode]
		if !ok || !actor.AdministersUnit(parent.Path) {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.out_of_scope", Args: []any{r.ParentCode}})
		}
	}
	return errs
}

// loadAll returns, for every code, its version in force, or the latest retired one when no unit in
// force holds the code.
func (s *Service) loadAll(ctx context.Context) (map[string]Unit, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT code, name, level, COALESCE(parent_code, ''), path, valid_from, valid_to FROM units
		ORDER BY CASE WHEN valid_to = '' THEN 1 ELSE 0 END, valid_from`)
	if err != nil {
		return nil, apperr.Wrap(err, "load units")
	}
	defer rows.Close()
	out := map[string]Unit{}
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.Code, &u.Name, &u.Level, &u.ParentCode, &u.Path, &u.ValidFrom, &u.ValidTo); err != nil {
			return nil, apperr.Wrap(err, "scan unit")
		}
		out[u.Code] = u
	}
	return out, rows.Err()
}

// SeedQuangNgai loads the embedded July 2023 tree into an empty database; it does nothing when
// units exist already.
func (s *Service) SeedQuangNgai(ctx context.Context) (bool, error) {
	if ok, err := s.Seeded(ctx); err != nil || ok {
		return false, err
	}
	_, err := s.Import(authz.WithActor(ctx, authz.System), bytes.NewReader(quangNgai2023))
	return err == nil, err
}
