package units

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// A map switch brings in a reorganised map (the two-tier administration of 1 July 2025) in one
// all-or-nothing step: the units of the file become the units in force from the effective date,
// the units they replace are retired the day before, and the lineage file says which earlier
// units each new one was formed from, so that every earlier figure rolls up into today's unit.

// SwitchResult counts what a map switch changed.
type SwitchResult struct {
	Effective string `json:"effective"`
	// Provinces are the provinces reorganised: those of the file and those merged into them.
	Provinces []string `json:"provinces"`
	Created   int      `json:"created"`
	Updated   int      `json:"updated"`
	Retired   int      `json:"retired"`
	Lineage   int      `json:"lineage"`
	// LineageOnly counts lineage rows about a province this database never held, kept as lineage only.
	LineageOnly int `json:"lineage_only"`
	// Splits are the earlier units divided between several new ones; their records stay with them
	// until assigned (see AssignSplit).
	Splits   []string `json:"splits,omitempty"`
	RolledUp int      `json:"rolled_up"`
}

// LineageRow is one (new unit, old unit) pair of a lineage file.
type LineageRow struct {
	line            int
	NewCode         string `json:"new_code"`
	NewName         string `json:"new_name"`
	OldCode         string `json:"old_code"`
	OldName         string `json:"old_name"`
	OldProvinceCode string `json:"old_province_code"`
	NewPath         string `json:"-"`
	OldPath         string `json:"-"`
	Effective       string `json:"effective"`
}

var lineageColumns = []string{"new_code", "new_name", "old_code", "old_name", "old_province_code"}

// SwitchHook runs inside the switch's transaction, after the units and unit_rollup are written:
// a module moves what lives on (teams, their members' grants) from retired units to the unit they
// roll up to. Records stay where they were made.
type SwitchHook func(ctx context.Context, tx *db.Tx) error

// OnSwitch registers a hook; app wires the modules' hooks at start.
func (s *Service) OnSwitch(h SwitchHook) { s.switchHooks = append(s.switchHooks, h) }

// DayBefore returns the ISO date before date.
func DayBefore(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, -1).Format(time.DateOnly)
}

// SwitchMap imports a reorganised map. unitsCSV is a reference CSV (code,name,level,parent_code);
// lineageCSV (nil when there is none) has the header new_code,new_name,old_code,old_name,
// old_province_code. Only the command line (or a national administrator) switches a map.
//
// Rules, each refused line by line with nothing changed:
//   - a province of the file that holds units in force needs a lineage row for every commune-level
//     unit it retires (and without a lineage file at all the switch is refused);
//   - every new_code is a unit of the file;
//   - an old_code of a province the database holds is a unit of that province the database knows;
//     rows about a province the database never held are kept as lineage only;
//   - an old unit that stays in force cannot be another unit's predecessor (a cycle).
func (s *Service) SwitchMap(ctx context.Context, unitsCSV, lineageCSV io.Reader, effective string) (SwitchResult, error) {
	actor := authz.ActorFrom(ctx)
	if !actor.AdministersUnit("/") && !actor.IsNational() {
		return SwitchResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if !isDate(effective) || DayBefore(effective) == "" {
		return SwitchResult{}, apperr.InvalidField("effective", "units.error.date")
	}
	data, err := readLimited(unitsCSV)
	if err != nil {
		return SwitchResult{}, err
	}
	rows, errs := parseCSV(data)
	if len(errs) > 0 {
		return SwitchResult{}, importError(errs)
	}
	var lineage []LineageRow
	if lineageCSV != nil {
		ldata, err := readLimited(lineageCSV)
		if err != nil {
			return SwitchResult{}, err
		}
		var lerrs []apperr.Detail
		if lineage, lerrs = parseLineage(ldata); len(lerrs) > 0 {
			return SwitchResult{}, lineageError(lerrs)
		}
	}
	all, err := s.loadVersions(ctx)
	if err != nil {
		return SwitchResult{}, err
	}
	plan, errs := planSwitch(rows, lineage, all, effective, lineageCSV != nil)
	if len(errs) > 0 {
		if plan.needsLineage {
			return SwitchResult{}, apperr.New(apperr.Invalid, "units.error.switch_needs_lineage", strings.Join(plan.provincesNeedingLineage, ", "))
		}
		return SwitchResult{}, importError(errs)
	}
	res := SwitchResult{Effective: effective, Provinces: plan.provinces}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		before := DayBefore(effective)
		for _, u := range plan.retire {
			if _, err := tx.ExecContext(ctx, "UPDATE units SET valid_to = ?, successor_code = ?, updated_at = ? WHERE path = ?",
				before, db.NullString(plan.successor[u.Path]), now, u.Path); err != nil {
				return apperr.Wrap(err, "retire unit")
			}
			res.Retired++
		}
		for _, u := range plan.update {
			if _, err := tx.ExecContext(ctx, "UPDATE units SET name = ?, type = ?, search_key = ?, updated_at = ? WHERE path = ?",
				u.Name, u.Type, textfold.Fold(u.Name), now, u.Path); err != nil {
				return apperr.Wrap(err, "update unit")
			}
			res.Updated++
		}
		for _, u := range plan.create {
			if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, level, type, parent_code, parent_path, path, search_key, valid_from, valid_to, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
				u.Code, u.Name, string(u.Level), u.Type, db.NullString(u.ParentCode), parentPath(u.Path), u.Path, textfold.Fold(u.Name), effective, now, now); err != nil {
				if db.IsUniqueViolation(err) {
					return apperr.New(apperr.Conflict, "units.error.code_taken", u.Code)
				}
				return apperr.Wrap(err, "insert unit "+u.Code)
			}
			res.Created++
		}
		for _, l := range lineage {
			if _, err := tx.ExecContext(ctx, `INSERT INTO unit_lineage (new_path, old_path, new_code, old_code, old_name, old_province_code, effective)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, l.NewPath, l.OldPath, l.NewCode, l.OldCode, l.OldName, l.OldProvinceCode, effective); err != nil {
				return apperr.Wrap(err, "insert lineage")
			}
			res.Lineage++
			if l.OldPath == "" {
				res.LineageOnly++
			}
		}
		// Broad before specific: a merged province rolls up as a whole first, then each of its
		// communes into its own successor.
		for _, m := range plan.rollups {
			if err := rollUp(ctx, tx, m.from, m.to); err != nil {
				return err
			}
			res.RolledUp++
		}
		res.Splits = plan.splits
		for _, h := range s.switchHooks {
			if err := h(ctx, tx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "unit.switch", ObjectType: "unit", UnitPath: switchAuditPath(plan.provinces),
			Detail: fmt.Sprintf("effective=%s provinces=%s created=%d updated=%d retired=%d lineage=%d", effective,
				strings.Join(plan.provinces, ","), res.Created, res.Updated, res.Retired, res.Lineage)})
	})
	if err != nil {
		return SwitchResult{}, err
	}
	return res, nil
}

func switchAuditPath(provinces []string) string {
	if len(provinces) == 1 {
		return authz.ProvincePath(provinces[0])
	}
	return "/"
}

func readLimited(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, apperr.InvalidField("file", "import.error.no_file")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, apperr.Wrap(err, "read import")
	}
	if len(data) > MaxImportBytes {
		return nil, apperr.New(apperr.Invalid, "import.error.too_large", MaxImportBytes>>20)
	}
	return data, nil
}

func lineageError(details []apperr.Detail) error {
	e := importError(details).(*apperr.Error)
	e.Key = "units.error.lineage_rows"
	return e
}

func parentPath(path string) string {
	trimmed := strings.TrimSuffix(path, "/")
	i := strings.LastIndex(trimmed, "/")
	if i <= 0 {
		return ""
	}
	return trimmed[:i+1]
}

// parseLineage reads a lineage file; every line is checked on its own here, against the map in
// planSwitch.
func parseLineage(data []byte) ([]LineageRow, []apperr.Detail) {
	var out []LineageRow
	seen := map[string]int{}
	_, errs := readTable(data, lineageColumns, func(line int, get func(string) string) *apperr.Detail {
		l := LineageRow{line: line, NewCode: get("new_code"), NewName: get("new_name"), OldCode: get("old_code"),
			OldName: get("old_name"), OldProvinceCode: get("old_province_code")}
		switch {
		case !gsoCode[Commune].MatchString(l.NewCode) && !gsoCode[District].MatchString(l.NewCode):
			return &apperr.Detail{Line: line, Field: "new_code", Key: "units.error.code_gso", Args: []any{l.NewCode}}
		case !gsoCode[Commune].MatchString(l.OldCode) && !gsoCode[District].MatchString(l.OldCode):
			return &apperr.Detail{Line: line, Field: "old_code", Key: "units.error.code_gso", Args: []any{l.OldCode}}
		case !gsoCode[Province].MatchString(l.OldProvinceCode):
			return &apperr.Detail{Line: line, Field: "old_province_code", Key: "units.error.code_gso", Args: []any{l.OldProvinceCode}}
		case utf8.RuneCountInString(l.OldName) > MaxNameLen || utf8.RuneCountInString(l.NewName) > MaxNameLen:
			return &apperr.Detail{Line: line, Field: "old_name", Key: "units.error.name_long"}
		}
		key := l.NewCode + "|" + l.OldProvinceCode + "|" + l.OldCode
		if prev, dup := seen[key]; dup {
			return &apperr.Detail{Line: line, Field: "old_code", Key: "import.error.duplicate", Args: []any{l.OldCode, prev}}
		}
		seen[key] = line
		out = append(out, l)
		return nil
	})
	return out, errs
}

// loadVersions returns every unit version, in force or retired.
func (s *Service) loadVersions(ctx context.Context) ([]Unit, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT code, name, level, COALESCE(parent_code, ''), path, valid_from, valid_to FROM units ORDER BY path`)
	if err != nil {
		return nil, apperr.Wrap(err, "load units")
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.Code, &u.Name, &u.Level, &u.ParentCode, &u.Path, &u.ValidFrom, &u.ValidTo); err != nil {
			return nil, apperr.Wrap(err, "scan unit")
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

type switchPlan struct {
	provinces               []string
	retire, update, create  []Unit
	successor               map[string]string // retired path → successor code, when one
	rollups                 []move
	splits                  []string
	needsLineage            bool
	provincesNeedingLineage []string
}

type move struct{ from, to string }

// planSwitch decides, without writing, what the switch changes, and every reason to refuse it.
func planSwitch(rows []importRow, lineage []LineageRow, all []Unit, effective string, haveLineage bool) (switchPlan, []apperr.Detail) {
	plan := switchPlan{successor: map[string]string{}}
	var errs []apperr.Detail
	current := map[string]Unit{}    // code → version in force
	versions := map[string][]Unit{} // code → every version
	for _, u := range all {
		versions[u.Code] = append(versions[u.Code], u)
		if u.ValidTo == "" {
			current[u.Code] = u
		}
	}
	heldProvince := map[string]bool{}
	for _, u := range all {
		if u.Level == Province {
			heldProvince[u.Code] = true
		}
	}

	// The file's tree, parents first: each row's path under the new map.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Level.rank() < rows[j].Level.rank() })
	inFile := map[string]importRow{}
	for _, r := range rows {
		inFile[r.Code] = r
	}
	newPath := map[string]string{}
	fileProvince := map[string]string{}
	for _, r := range rows {
		if r.Level == Village {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "level", Key: "units.error.switch_no_villages"})
			continue
		}
		if r.ParentCode == "" {
			if r.Level != Province {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.parent_required"})
				continue
			}
			newPath[r.Code] = "/" + r.Code + "/"
			fileProvince[r.Code] = r.Code
			continue
		}
		p, ok := inFile[r.ParentCode]
		if !ok {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.parent_missing", Args: []any{r.ParentCode}})
			continue
		}
		if !r.Level.HangsUnder(p.Level) {
			errs = append(errs, apperr.Detail{Line: r.line, Field: "parent_code", Key: "units.error.parent_level"})
			continue
		}
		if _, ok := newPath[r.ParentCode]; !ok {
			continue // the parent's own line is wrong and already named
		}
		newPath[r.Code] = newPath[r.ParentCode] + r.Code + "/"
		fileProvince[r.Code] = fileProvince[r.ParentCode]
	}
	if len(errs) > 0 {
		return plan, errs
	}

	// Provinces reorganised: those of the file, and those whose units the lineage names (merged).
	scope := map[string]bool{}
	for _, r := range rows {
		if r.Level == Province {
			scope[r.Code] = true
		}
	}
	for _, l := range lineage {
		if heldProvince[l.OldProvinceCode] {
			scope[l.OldProvinceCode] = true
		}
	}
	for p := range scope {
		plan.provinces = append(plan.provinces, p)
	}
	sort.Strings(plan.provinces)
	inScope := func(path string) bool { return scope[authz.ProvinceOfPath(path)] }

	// Same code at the same place (same parent, same level) is the same unit: updated in place.
	// Anything else in the file is a new version; the version in force it replaces is retired.
	kept := map[string]bool{} // paths that stay in force
	for _, r := range rows {
		path := newPath[r.Code]
		if old, ok := current[r.Code]; ok {
			if old.Path == path && old.Level == r.Level {
				kept[path] = true
				u := r.Unit
				u.Path = path
				plan.update = append(plan.update, u)
				continue
			}
			if !inScope(old.Path) {
				errs = append(errs, apperr.Detail{Line: r.line, Field: "code", Key: "units.error.switch_code_elsewhere",
					Args: []any{r.Code, authz.ProvinceOfPath(old.Path)}})
				continue
			}
		}
		u := r.Unit
		u.Path = path
		plan.create = append(plan.create, u)
	}
	var retired []Unit
	for _, u := range all {
		if u.ValidTo != "" || !inScope(u.Path) || kept[u.Path] {
			continue
		}
		retired = append(retired, u)
	}
	retiredAt := map[string]bool{}
	for _, u := range retired {
		retiredAt[u.Path] = true
	}

	// Lineage: resolve each row to the new version and the old one.
	successors := map[string][]string{} // old path → new paths
	for i := range lineage {
		l := &lineage[i]
		l.Effective = effective
		np, ok := newPath[l.NewCode]
		if !ok {
			errs = append(errs, apperr.Detail{Line: l.line, Field: "new_code", Key: "units.error.lineage_new_missing", Args: []any{l.NewCode}})
			continue
		}
		l.NewPath = np
		if !heldProvince[l.OldProvinceCode] {
			continue // a province this database never held: lineage only
		}
		var old Unit
		found := false
		for _, v := range versions[l.OldCode] {
			if authz.ProvinceOfPath(v.Path) == l.OldProvinceCode && (v.ValidTo == "" || v.ValidTo < effective) {
				// The latest version before the switch.
				if !found || v.ValidFrom > old.ValidFrom || (v.ValidTo == "" && old.ValidTo != "") {
					old, found = v, true
				}
			}
		}
		if !found {
			errs = append(errs, apperr.Detail{Line: l.line, Field: "old_code", Key: "units.error.lineage_old_missing", Args: []any{l.OldCode, l.OldProvinceCode}})
			continue
		}
		if old.Path == np {
			l.OldPath = old.Path // a unit kept as it was
			continue
		}
		if old.ValidTo == "" && !retiredAt[old.Path] {
			errs = append(errs, apperr.Detail{Line: l.line, Field: "old_code", Key: "units.error.lineage_cycle", Args: []any{l.OldCode, l.NewCode}})
			continue
		}
		l.OldPath = old.Path
		successors[old.Path] = append(successors[old.Path], np)
	}

	// A province of the file that held units in force needs the lineage of every commune it retires.
	needing := map[string]bool{}
	for _, u := range retired {
		if u.Level != Commune {
			continue
		}
		if _, ok := successors[u.Path]; ok {
			continue
		}
		p := authz.ProvinceOfPath(u.Path)
		needing[p] = true
		if haveLineage {
			errs = append(errs, apperr.Detail{Field: "old_code", Key: "units.error.lineage_missing_for", Args: []any{u.Code, u.Name}})
		}
	}
	if !haveLineage && len(needing) > 0 {
		plan.needsLineage = true
		for p := range needing {
			plan.provincesNeedingLineage = append(plan.provincesNeedingLineage, p)
		}
		sort.Strings(plan.provincesNeedingLineage)
		return plan, append(errs, apperr.Detail{Key: "units.error.switch_needs_lineage"})
	}
	if len(errs) > 0 {
		return plan, errs
	}

	// Roll-ups: a merged province as a whole into the province its units went to, then every
	// earlier unit with one successor into it. A unit with several successors is a split.
	codeOf := map[string]string{}
	for code, p := range newPath {
		codeOf[p] = code
	}
	for _, u := range retired {
		if u.Level != Province {
			continue
		}
		targets := map[string]bool{}
		for _, l := range lineage {
			if l.OldProvinceCode == u.Code && l.OldPath != "" {
				targets[authz.ProvincePath(authz.ProvinceOfPath(l.NewPath))] = true
			}
		}
		if len(targets) == 1 {
			for t := range targets {
				plan.rollups = append(plan.rollups, move{u.Path, t})
				plan.successor[u.Path] = codeOf[t]
			}
		}
	}
	oldPaths := make([]string, 0, len(successors))
	for p := range successors {
		oldPaths = append(oldPaths, p)
	}
	sort.Strings(oldPaths)
	for _, p := range oldPaths {
		to := uniq(successors[p])
		if len(to) == 1 {
			plan.rollups = append(plan.rollups, move{p, to[0]})
			plan.successor[p] = codeOf[to[0]]
			continue
		}
		plan.splits = append(plan.splits, p)
	}
	plan.retire = retired
	return plan, nil
}

func uniq(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// Roll-up in SQL. A row of another module lies at the path of the unit version it was made under;
// these conditions and expressions let a module count it where it belongs today ("as it is now")
// without rewriting it. "As it was" is the plain path, unchanged. The subqueries name their table
// with an alias no caller uses, so that a caller's own aliases (r, u…) are never captured.

// PathNow is the SQL expression of where the row at pathCol counts today: the unit in force its
// unit rolls up to, or its own path.
func PathNow(pathCol string) string {
	return "COALESCE((SELECT unit_rollup_now.current_path FROM unit_rollup unit_rollup_now WHERE unit_rollup_now.path = " + pathCol + "), " + pathCol + ")"
}

// UnderNow is the condition "the row at pathCol counts today under the unit at path": it lies below
// path, or in an earlier unit that rolls up below it. It takes two arguments, returned with it.
//
// It is one IN over the unit versions below path and the earlier units rolling up into them, not
// "pathCol LIKE ? OR pathCol IN (…)": PostgreSQL cannot use the path index for such an OR and read
// every role grant of a national database for each child unit of a dashboard (0.3–0.45 s each),
// while the IN is answered by index lookups. Every path a row holds is a unit version's, so the
// two are the same set.
func UnderNow(pathCol, path string) (string, []any) {
	return pathCol + " IN (SELECT unit_under_now.path FROM units unit_under_now WHERE unit_under_now.path LIKE ?" +
			" UNION ALL SELECT unit_rollup_under.path FROM unit_rollup unit_rollup_under WHERE unit_rollup_under.current_path LIKE ?)",
		[]any{path + "%", path + "%"}
}

// UnderNowParts is UnderNow as two disjoint conditions whose rows together are UnderNow's, for a
// statement that reads each with UNION ALL: the paths below path (a range an index answers), and
// the earlier units outside that range that roll up below it. PostgreSQL estimates UnderNow's IN
// at 200 paths whatever it holds, and answered a count of one province's official accounts
// with a scan of every role grant in the country (0.4 s); each part here has an estimate it can
// trust.
func UnderNowParts(pathCol, path string) (below string, belowArgs []any, rolledIn string, rolledArgs []any) {
	lo, hi := PathRange(path)
	return pathCol + " >= ? AND " + pathCol + " < ?", []any{lo, hi},
		pathCol + ` IN (SELECT unit_rollup_in.path FROM unit_rollup unit_rollup_in WHERE unit_rollup_in.current_path >= ? AND unit_rollup_in.current_path < ?
			AND NOT (unit_rollup_in.path >= ? AND unit_rollup_in.path < ?))`, []any{lo, hi, lo, hi}
}

// ChildPath returns the path of the child of parent that path lies in ("/51/21034/" for
// "/51/21034/2103401/" under "/51/"), or "" for parent itself or a path outside it.
func ChildPath(parent, path string) string {
	rest, ok := strings.CutPrefix(path, parent)
	if !ok || rest == "" {
		return ""
	}
	seg, _, _ := strings.Cut(rest, "/")
	return parent + seg + "/"
}

// PathRange returns the bounds of the paths under path ("/51/535/"): every such path p has
// lo <= p < hi under bytewise comparison, which both engines use for paths.
func PathRange(path string) (lo, hi string) {
	if path == "" {
		path = "/"
	}
	return path, path[:len(path)-1] + string(path[len(path)-1]+1)
}

// SplitInto returns the paths of the earlier units split between the unit at path and others
// (Xã Trà Bùi, divided between Cà Đam and Tây Trà Bồng): their records stay with them and show in
// each successor's "from split units" line until a province administrator assigns them.
func (s *Service) SplitInto(ctx context.Context, path string) ([]string, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT DISTINCT l.old_path FROM unit_lineage l
		WHERE l.new_path LIKE ? AND l.old_path <> '' AND l.old_path <> l.new_path
		AND NOT EXISTS (SELECT 1 FROM unit_rollup r WHERE r.path = l.old_path) ORDER BY l.old_path`, path+"%")
	if err != nil {
		return nil, apperr.Wrap(err, "split units")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, apperr.Wrap(err, "scan split unit")
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Lineage returns the lineage rows of the unit version at path: the earlier units it was formed
// from, and the later units it went into.
func (s *Service) Lineage(ctx context.Context, path string) (from, into []LineageRow, err error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT new_path, old_path, new_code, old_code, old_name, old_province_code, effective,
		COALESCE((SELECT u.name FROM units u WHERE u.path = l.new_path), '') FROM unit_lineage l
		WHERE new_path = ? OR old_path = ? ORDER BY old_province_code, old_code, new_code`, path, path)
	if err != nil {
		return nil, nil, apperr.Wrap(err, "lineage")
	}
	defer rows.Close()
	for rows.Next() {
		var l LineageRow
		if err := rows.Scan(&l.NewPath, &l.OldPath, &l.NewCode, &l.OldCode, &l.OldName, &l.OldProvinceCode, &l.Effective, &l.NewName); err != nil {
			return nil, nil, apperr.Wrap(err, "scan lineage")
		}
		if l.NewPath == path && l.OldPath != path {
			from = append(from, l)
		} else if l.OldPath == path && l.NewPath != path {
			into = append(into, l)
		}
	}
	return from, into, rows.Err()
}

// AssignSplit moves the records of a split unit's subtree to one of its successors for the
// "as it is now" view: from then on the split unit rolls up into that successor. Only the province's
// administrators (or the command line) decide it; it is audited.
func (s *Service) AssignSplit(ctx context.Context, oldPath, newCode string) error {
	actor := authz.ActorFrom(ctx)
	if !actor.AdministersProvince(authz.ProvinceOfPath(oldPath)) {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var newPath string
		err := tx.QueryRowContext(ctx, `SELECT l.new_path FROM unit_lineage l JOIN units u ON u.path = l.new_path
			WHERE l.old_path = ? AND u.code = ? AND u.valid_to = ''`, oldPath, newCode).Scan(&newPath)
		if err != nil {
			return apperr.InvalidField("unit", "units.error.not_split_successor", newCode, oldPath)
		}
		if err := rollUp(ctx, tx, oldPath, newPath); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "unit.assign_split", ObjectType: "unit", ObjectID: newCode, UnitPath: oldPath,
			Detail: "into=" + newPath})
	})
}

// RollsUpTo returns the path of the unit in force that the version at path counts in today, or ""
// when it counts nowhere else (in force, or a split not yet assigned).
func (s *Service) RollsUpTo(ctx context.Context, path string) (string, error) {
	var to string
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT current_path FROM unit_rollup WHERE path = ?", path).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return to, apperr.Wrap(err, "roll-up")
}
