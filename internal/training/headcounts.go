package training

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// Targets as shares. The plan expects every official, teacher, pupil and student to finish the
// course; the counters (counters.go) say how many did, the headcounts say how many there are.
//
//   - A headcount is the number of people of one group (HeadcountGroups: the learner audiences
//     but citizens, whose number no one keeps) in one unit or organisation in force, of one province
//     (table training_headcounts, migration 0008). A province administrator imports them from a
//     file (code, group, count) or edits one on the page; both are checked as a whole and audited.
//   - A figure row counts its whole subtree, so its headcount is the sum of the entries in its
//     subtree (a district's own staff entered at the district, its communes' at the communes), of
//     the groups the course is for (its audience; every group for a course without one; none for
//     a course for citizens only, whose number no one keeps). A row with no entry has no
//     headcount (null) and no share.
//   - A learner completes a course by passing its exam (finish, attempt.go: passing issues the
//     certificate), so "% completed" (CompletedShare) is passed against the headcount, and "%
//     passed" (PassedShare) is passed against those who sat the exam (started): how well those who
//     tried did.
//   - A headcount below the learners of that group who already completed a course, in its
//     subtree, is refused: a share above 100 % would mean the count is wrong.
//   - The province sets the share it expects (training_targets: every course, or one course);
//     the workspace lists the units and organisations below it (BelowTarget).

// HeadcountGroups are the groups a headcount is kept for.
var HeadcountGroups = []string{"officials", "teachers", "pupils", "students", "youth"}

// The kinds of a headcount's place.
const (
	HeadcountUnit = "unit"
	HeadcountOrg  = "org"
)

// OrgCodePrefix writes an organisation's code in a headcount file ("TC12" for organisation 12),
// apart from a unit's GSO code.
const OrgCodePrefix = "TC"

// maxHeadcount bounds one count (a province has a few million people).
const maxHeadcount = 10_000_000

// HeadcountHeader is the header of the headcount file.
var HeadcountHeader = []string{"Mã đơn vị hoặc Mã tổ chức", "Nhóm", "Số người"}

// Headcount is the number of people of one group in a unit or an organisation.
type Headcount struct {
	Kind  string `json:"kind"`
	Code  string `json:"code"` // a unit's GSO code, or OrgCodePrefix and an organisation's id
	Name  string `json:"name"`
	Group string `json:"group"`
	Count int    `json:"count"`
	path  string
}

// HeadcountLine is one line to set: a code, a group (its code or its Vietnamese name) and a count,
// as a file or the page's form gives them.
type HeadcountLine struct {
	Line               int
	Code, Group, Count string
}

// groupOf reads a group written as its code ("teachers") or as the plan writes it ("giáo viên").
func groupOf(s string) (string, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, g := range HeadcountGroups {
		if s == g || s == AudienceNames[g] {
			return g, true
		}
	}
	switch s {
	case "cán bộ công chức viên chức", "cán bộ, công chức, viên chức", "cán bộ công chức":
		return "officials", true
	case "đoàn viên":
		return "youth", true
	}
	return "", false
}

// courseGroups are the headcount groups a course is for: its audience's, every group for a
// course without an audience.
func courseGroups(audience string) []string {
	var out []string
	for _, a := range strings.Split(audience, ",") {
		if slices.Contains(HeadcountGroups, strings.TrimSpace(a)) {
			out = append(out, strings.TrimSpace(a))
		}
	}
	if strings.TrimSpace(audience) == "" {
		return HeadcountGroups
	}
	return out
}

// requireProvinceAdmin refuses anyone but the province's administrator.
func requireProvinceAdmin(a *authz.Actor, province string) error {
	if a == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if province == "" || !a.AdministersProvince(province) {
		return apperr.New(apperr.Forbidden, "training.error.headcount_forbidden")
	}
	return nil
}

// Headcounts lists the headcounts of a province, for its administrator (and national ones).
func (s *Service) Headcounts(ctx context.Context, province string) ([]Headcount, error) {
	a := authz.ActorFrom(ctx)
	if a == nil || !a.IsNational() {
		if err := requireProvinceAdmin(a, province); err != nil {
			return nil, err
		}
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT h.kind, h.path, h.audience, h.headcount, COALESCE(u.code, CAST(o.id AS TEXT), ''), COALESCE(u.name, o.name, '')
		FROM training_headcounts h
		LEFT JOIN units u ON h.kind = 'unit' AND u.path = h.path
		LEFT JOIN orgs o ON h.kind = 'org' AND o.path = h.path
		WHERE h.province_code = ? ORDER BY h.kind DESC, h.path, h.audience`, province)
	if err != nil {
		return nil, apperr.Wrap(err, "headcounts")
	}
	defer rows.Close()
	out := []Headcount{}
	for rows.Next() {
		var h Headcount
		if err := rows.Scan(&h.Kind, &h.path, &h.Group, &h.Count, &h.Code, &h.Name); err != nil {
			return nil, apperr.Wrap(err, "headcounts")
		}
		if h.Kind == HeadcountOrg {
			h.Code = OrgCodePrefix + h.Code
		}
		out = append(out, h)
	}
	return out, apperr.Wrap(rows.Err(), "headcounts")
}

// HeadcountTemplate is the headcount file to fill in, with examples.
func HeadcountTemplate() ([]byte, error) {
	t := sheet.Table{Name: "Số người", Header: HeadcountHeader, Rows: [][]any{
		{"21034", AudienceNames["officials"], 25},
		{OrgCodePrefix + "12", AudienceNames["teachers"], 48},
		{OrgCodePrefix + "12", AudienceNames["pupils"], 1020},
	}}
	var buf bytes.Buffer
	err := sheet.WriteXLSX(&buf, t)
	return buf.Bytes(), err
}

// ImportHeadcounts reads a headcount file (xlsx or CSV: code, group, count) into the province's
// headcounts: each line sets one unit's or organisation's count of one group, the others stay.
// The whole file is checked first; any bad line (an unknown unit or organisation or one of
// another province, a negative count, a count below those already completed) refuses it whole,
// every bad line named, nothing written.
func (s *Service) ImportHeadcounts(ctx context.Context, province string, r io.Reader) (int, error) {
	if err := requireProvinceAdmin(authz.ActorFrom(ctx), province); err != nil {
		return 0, err
	}
	if r == nil {
		return 0, apperr.InvalidField("file", "import.error.no_file")
	}
	header, rows, err := readImportFile(r)
	if err != nil {
		return 0, err
	}
	if !headcountHeaderOK(header) || len(rows) == 0 {
		return 0, apperr.New(apperr.Invalid, "training.error.headcount_header", strings.Join(HeadcountHeader, ", "))
	}
	lines := make([]HeadcountLine, 0, len(rows))
	for _, row := range rows {
		lines = append(lines, HeadcountLine{Line: row.Line, Code: cell(row.Fields, 0), Group: cell(row.Fields, 1), Count: cell(row.Fields, 2)})
	}
	return s.setHeadcounts(ctx, province, lines, false)
}

// headcountHeaderOK tells whether a file's header is the template's (its Vietnamese names, or
// code, group, count).
func headcountHeaderOK(h []string) bool {
	if len(h) < 3 {
		return false
	}
	for i, alt := range []string{"code", "group", "count"} {
		x := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h[i], "\ufeff")))
		if x != strings.ToLower(HeadcountHeader[i]) && x != alt {
			return false
		}
	}
	return true
}

// SetHeadcount sets one count from the page's form, under the file's rules.
func (s *Service) SetHeadcount(ctx context.Context, province string, l HeadcountLine) error {
	if err := requireProvinceAdmin(authz.ActorFrom(ctx), province); err != nil {
		return err
	}
	l.Line = 1
	_, err := s.setHeadcounts(ctx, province, []HeadcountLine{l}, true)
	return err
}

// headcountKey names one entry.
type headcountKey struct{ kind, path, group string }

// setHeadcounts checks the lines as a whole and writes them, audited as an import or, single, as
// the page's edit of one count.
func (s *Service) setHeadcounts(ctx context.Context, province string, lines []HeadcountLine, single bool) (int, error) {
	rd := s.DB.Reader()
	var details []apperr.Detail
	bad := func(line int, key string, args ...any) {
		if len(details) < maxImportErrors {
			details = append(details, apperr.Detail{Line: line, Key: key, Args: args})
		}
	}
	type entry struct {
		key   headcountKey
		count int
		line  int
	}
	var entries []entry
	seen := map[headcountKey]int{}
	prefix := authz.ProvincePath(province)
	for _, l := range lines {
		code := strings.ToUpper(strings.TrimSpace(l.Code))
		var k headcountKey
		switch {
		case code == "":
			bad(l.Line, "training.headcount.code_required")
			continue
		case len(code) > 20:
			bad(l.Line, "training.headcount.unit_unknown", code[:20]+"…")
			continue
		case strings.HasPrefix(code, OrgCodePrefix):
			id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimPrefix(code, OrgCodePrefix), "-"), 10, 64)
			var path string
			if err == nil {
				err = rd.QueryRowContext(ctx, `SELECT path FROM orgs WHERE id = ? AND valid_to = '' AND unit_path LIKE ?`, id, prefix+"%").Scan(&path)
			}
			if err != nil {
				bad(l.Line, "training.headcount.org_unknown", l.Code)
				continue
			}
			k = headcountKey{HeadcountOrg, path, ""}
		default:
			var path string
			err := rd.QueryRowContext(ctx, `SELECT path FROM units WHERE code = ? AND valid_to = '' AND path LIKE ?`, code, prefix+"%").Scan(&path)
			if err != nil || strings.Trim(code, "0123456789") != "" {
				bad(l.Line, "training.headcount.unit_unknown", l.Code)
				continue
			}
			k = headcountKey{HeadcountUnit, path, ""}
		}
		g, ok := groupOf(l.Group)
		if !ok {
			bad(l.Line, "training.headcount.group", l.Group, strings.Join(HeadcountGroups, ", "))
			continue
		}
		k.group = g
		n, err := strconv.Atoi(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(l.Count), ".", ""), " ", ""))
		switch {
		case err != nil:
			bad(l.Line, "training.headcount.count", l.Count)
			continue
		case n < 0:
			bad(l.Line, "training.headcount.negative", n)
			continue
		case n > maxHeadcount:
			bad(l.Line, "training.headcount.too_large", n)
			continue
		}
		if first, dup := seen[k]; dup {
			bad(l.Line, "training.import.duplicate_in_file", first)
			continue
		}
		seen[k] = l.Line
		entries = append(entries, entry{k, n, l.Line})
	}
	if len(details) == 0 {
		// The counts as they will be: the province's entries with the lines over them.
		after, err := s.headcountEntries(ctx, province)
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			after[e.key] = e.count
		}
		done, err := s.completedIn(ctx, province)
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			if below, n, c := done.below(after, e.key); below {
				bad(e.line, "training.headcount.below_completed", n, c)
			}
		}
	}
	if len(details) > 0 {
		e := apperr.New(apperr.Invalid, "training.error.headcount_rejected", len(details))
		e.Details = details
		return 0, e
	}
	a := authz.ActorFrom(ctx)
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		for _, e := range entries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO training_headcounts (province_code, kind, path, audience, headcount, updated_by, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, path, audience) DO UPDATE SET headcount = excluded.headcount,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				province, e.key.kind, e.key.path, e.key.group, e.count, db.NullInt(a.UserID), now); err != nil {
				return apperr.Wrap(err, "headcount")
			}
		}
		detail := fmt.Sprintf("lines=%d", len(entries))
		if len(entries) == 1 {
			detail = fmt.Sprintf("%s %s %s=%d", entries[0].key.kind, entries[0].key.path, entries[0].key.group, entries[0].count)
		}
		if single {
			return audit.Record(ctx, tx, audit.Entry{Action: "headcount.set", ObjectType: "province", ObjectID: province, UnitPath: authz.ProvincePath(province), Detail: detail})
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "headcount.import", ObjectType: "province", ObjectID: province, UnitPath: authz.ProvincePath(province), Detail: detail})
	})
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

// headcountEntries reads a province's entries.
func (s *Service) headcountEntries(ctx context.Context, province string) (map[headcountKey]int, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT kind, path, audience, headcount FROM training_headcounts WHERE province_code = ?`, province)
	if err != nil {
		return nil, apperr.Wrap(err, "headcount entries")
	}
	defer rows.Close()
	out := map[headcountKey]int{}
	for rows.Next() {
		var k headcountKey
		var n int
		if err := rows.Scan(&k.kind, &k.path, &k.group, &n); err != nil {
			return nil, apperr.Wrap(err, "headcount entries")
		}
		out[k] = n
	}
	return out, apperr.Wrap(rows.Err(), "headcount entries")
}

// completedCounter is one counter row with passes: where it counts today, its audience, its
// course.
type completedCounter struct {
	course            int64
	unitPath, orgPath string
	audience          string
	passed            int
}

// completed is what the learners of a province have completed, for the check of the counts.
type completed struct {
	counters []completedCounter
	// groups is each course's headcount groups; citizens maps the courses open to citizens.
	groups   map[int64][]string
	citizens map[int64]bool
}

// completedIn reads the counters with passes of the province's learners (its courses' and the
// national ones'), where each counts today.
func (s *Service) completedIn(ctx context.Context, province string) (completed, error) {
	c := completed{groups: map[int64][]string{}, citizens: map[int64]bool{}}
	rd := s.DB.Reader()
	rows, err := rd.QueryContext(ctx, `SELECT id, audience FROM training_courses WHERE province_code IN (?, '')`, province)
	if err != nil {
		return c, apperr.Wrap(err, "completed courses")
	}
	for rows.Next() {
		var id int64
		var aud string
		if err := rows.Scan(&id, &aud); err != nil {
			rows.Close()
			return c, apperr.Wrap(err, "completed courses")
		}
		c.groups[id] = courseGroups(aud)
		c.citizens[id] = strings.Contains(aud, "citizens")
	}
	rows.Close()
	rows, err = rd.QueryContext(ctx, `SELECT f.course_id, COALESCE(ru.current_path, f.unit_path), COALESCE(ro.current_path, f.org_path), f.audience, f.passed
		FROM training_figures f LEFT JOIN unit_rollup ru ON ru.path = f.unit_path LEFT JOIN org_rollup ro ON ro.path = f.org_path
		WHERE f.passed > 0 AND COALESCE(ru.current_path, f.unit_path) LIKE ?`, authz.ProvincePath(province)+"%")
	if err != nil {
		return c, apperr.Wrap(err, "completed")
	}
	defer rows.Close()
	for rows.Next() {
		var x completedCounter
		if err := rows.Scan(&x.course, &x.unitPath, &x.orgPath, &x.audience, &x.passed); err != nil {
			return c, apperr.Wrap(err, "completed")
		}
		if _, ok := c.groups[x.course]; ok {
			c.counters = append(c.counters, x)
		}
	}
	return c, apperr.Wrap(rows.Err(), "completed")
}

// below tells whether the headcount of k's subtree (the entries after the change) falls below the
// learners who completed a course there: those of k's group, where the learners' group is known;
// and, in a course not open to citizens, all its learners against the subtree's count of the
// course's groups, when k's group is one of them. It returns the count and the completed.
func (c completed) below(after map[headcountKey]int, k headcountKey) (bool, int, int) {
	sum := func(groups []string) int {
		n := 0
		for e, v := range after {
			if e.kind == k.kind && strings.HasPrefix(e.path, k.path) && slices.Contains(groups, e.group) {
				n += v
			}
		}
		return n
	}
	byGroup := map[int64]int{}
	all := map[int64]int{}
	for _, x := range c.counters {
		p := x.unitPath
		if k.kind == HeadcountOrg {
			p = x.orgPath
		}
		if !strings.HasPrefix(p, k.path) {
			continue
		}
		if x.audience == k.group {
			byGroup[x.course] += x.passed
		}
		all[x.course] += x.passed
	}
	own := sum([]string{k.group})
	for _, n := range byGroup {
		if n > own {
			return true, own, n
		}
	}
	for course, n := range all {
		g := c.groups[course]
		if c.citizens[course] || !slices.Contains(g, k.group) {
			continue
		}
		if h := sum(g); n > h {
			return true, h, n
		}
	}
	return false, 0, 0
}

// headcountEntry is one entry of training_headcounts.
type headcountEntry struct {
	path string
	n    int
}

// headcountsUnder reads the entries of a kind and of the groups under any of the paths.
func (s *Service) headcountsUnder(ctx context.Context, kind string, paths []string, groups []string) ([]headcountEntry, error) {
	if len(paths) == 0 || len(groups) == 0 {
		return nil, nil
	}
	args := []any{kind}
	for _, g := range groups {
		args = append(args, g)
	}
	query := `SELECT path, headcount FROM training_headcounts WHERE kind = ? AND audience IN (?` +
		strings.Repeat(", ?", len(groups)-1) + `)`
	// A national figures page has a row per province or per commune: thousands of LIKE terms
	// overflow SQLite's expression depth (1000), so past a few dozen the rows are read for the
	// kind and groups and kept in Go when they lie under one of the paths.
	under := map[string]bool{}
	for _, p := range paths {
		under[p] = true
	}
	if len(under) <= maxPathTerms {
		var ors []string
		for p := range under {
			ors = append(ors, "path LIKE ?")
			args = append(args, p+"%")
		}
		query += ` AND (` + strings.Join(ors, " OR ") + `)`
	}
	rows, err := s.DB.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "headcounts of rows")
	}
	defer rows.Close()
	var list []headcountEntry
	for rows.Next() {
		var x headcountEntry
		if err := rows.Scan(&x.path, &x.n); err != nil {
			return nil, apperr.Wrap(err, "headcounts of rows")
		}
		if len(under) > maxPathTerms && !underAny(under, x.path) {
			continue
		}
		list = append(list, x)
	}
	return list, apperr.Wrap(rows.Err(), "headcounts of rows")
}

// maxPathTerms is the most paths headcountsUnder puts in its SQL.
const maxPathTerms = 64

// underAny tells whether path is one of the set or lies below one: paths are "/a/b/", so its
// ancestors are its prefixes that end in a slash.
func underAny(set map[string]bool, path string) bool {
	for i := 1; i <= len(path); i++ {
		if path[i-1] == '/' && set[path[:i]] {
			return true
		}
	}
	return false
}

// sumUnder is the headcount of path's subtree (exact: of path itself), and whether any entry
// is there.
func sumUnder(list []headcountEntry, path string, exact bool) (int, bool) {
	n, found := 0, false
	for _, x := range list {
		if x.path == path || (!exact && strings.HasPrefix(x.path, path)) {
			n += x.n
			found = true
		}
	}
	return n, found
}
