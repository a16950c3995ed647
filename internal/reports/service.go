package reports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/memo"
	"github.com/lantoa/lantoa/internal/units"
)

// CacheTTL bounds how old a provider's cached figures may be on a dashboard.
const CacheTTL = 60 * time.Second

// Service defines report periods, runs the review workflow and computes dashboards.
type Service struct {
	DB    *db.DB
	Units *units.Service
	Now   func() time.Time
	// notify, when set, receives the reminders before a due date; baseURL, when set, makes their
	// links absolute ("https://lantoa.quangngai.gov.vn"). Both are given at construction
	// (WithNotify), so that no caller can forget to attach them.
	notify  *notify.Service
	baseURL string
	// publicServices, when set (WithPublicServices), gives the summaries the province's online
	// public services before and after its launch.
	publicServices PublicServicesSource

	mu        sync.RWMutex
	providers []Provider
	cacheOnce sync.Once
	cache     *memo.Cache[any]
}

// ServiceOption configures a Service at construction.
type ServiceOption func(*Service)

// WithNotify sends the reminders before a due date through n, with links under baseURL (the
// site's public address; "" leaves the reminders without a link).
func WithNotify(n *notify.Service, baseURL string) ServiceOption {
	return func(s *Service) { s.notify, s.baseURL = n, baseURL }
}

// WithClock sets the service's clock (nil keeps time.Now): the reports bench moves it past the
// caches' lifetime.
func WithClock(now func() time.Time) ServiceOption {
	return func(s *Service) {
		if now != nil {
			s.Now = now
		}
	}
}

// NewService returns a Service on d with the built-in foundation provider registered.
func NewService(d *db.DB, u *units.Service, opts ...ServiceOption) *Service {
	s := &Service{DB: d, Units: u, Now: time.Now}
	for _, o := range opts {
		o(s)
	}
	s.Register(NewFoundationProvider(d))
	return s
}

// Register adds providers; a provider whose section is already registered replaces it.
func (s *Service) Register(ps ...Provider) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		replaced := false
		for i, q := range s.providers {
			if q.Section() == p.Section() {
				s.providers[i], replaced = p, true
			}
		}
		if !replaced {
			s.providers = append(s.providers, p)
		}
	}
}

// Providers returns the registered providers in registration order.
func (s *Service) Providers() []Provider {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Provider(nil), s.providers...)
}

// Sections names the registered providers' sections.
func (s *Service) Sections() []string {
	var out []string
	for _, p := range s.Providers() {
		out = append(out, p.Section())
	}
	return out
}

func (s *Service) provider(section string) Provider {
	for _, p := range s.Providers() {
		if p.Section() == section {
			return p
		}
	}
	return nil
}

// viewScope is the part of the unit tree whose periods and reports the actor reads: the units
// it administers as province or unit administrator, every province for a national
// administrator. Anybody else is refused.
func viewScope(actor *authz.Actor) (authz.Scope, error) {
	if actor == nil {
		return authz.Scope{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	scope := actor.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin)
	if scope.Empty() {
		return scope, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return scope, nil
}

// MayReview tells whether the actor reviews the reports of a period of province ("" for a
// national period): returns, accepts, reopens them, reminds the units and reads the summary. A
// province's periods are its province administrator's; national periods a national
// administrator's. A national administrator reviews no province's reports.
func MayReview(actor *authz.Actor, province string) bool {
	return actor.MayChange(authz.ProvinceObject(province))
}

// MayWrite tells whether the actor writes the report of the unit at path: the administrator of
// the unit (its People's Committee, UBND), not whoever reviews it. A province answers national
// periods through its province administrator.
func MayWrite(actor *authz.Actor, path string) bool {
	if isProvincePath(path) {
		return actor.AdministersProvince(authz.ProvinceOfPath(path))
	}
	return authz.Under(path, actor.UnitPaths(authz.UnitAdmin))
}

// isProvincePath tells a province's own path ("/51/") from one below it.
func isProvincePath(path string) bool { return strings.Count(path, "/") == 2 }

// reviewError is the refusal of a change to a period or its reports by someone who may read
// them but does not review them, saying who does.
func reviewError(actor *authz.Actor, province string) error {
	switch {
	case actor == nil:
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	case province == "":
		return apperr.New(apperr.Forbidden, "reports.error.national_only")
	case actor.IsNational():
		return apperr.New(apperr.Forbidden, "reports.error.national_reads")
	}
	return apperr.New(apperr.Forbidden, "reports.error.province_only")
}

// mayDefine tells whether the actor may define any period at all: a province administrator, a
// national administrator or the command line.
func mayDefine(actor *authz.Actor) error {
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if len(actor.AdminProvinces()) == 0 && !actor.IsNational() && !actor.AdministersUnit("/") {
		return apperr.New(apperr.Forbidden, "reports.error.province_only")
	}
	return nil
}

// actorName is how the workflow names a person: display name, else username.
func actorName(ctx context.Context) string {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return "system"
	}
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

// ---- Periods ----

// PlanTitle is the title of the plan's report (section IV.6 of the plan).
const PlanTitle = "Báo cáo kết quả triển khai Phong trào chuyển đổi số"

// PlanPeriod is the plan's report of a province: every district-level unit, due 15/8/2023,
// with every registered section and every narrative.
func (s *Service) PlanPeriod(province string) PeriodInput {
	return PeriodInput{ProvinceCode: province, Title: PlanTitle, PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15", DueDate: "2023-08-15",
		ReportingLevel: "district", Sections: s.Sections(), Narratives: Narratives, NumberPrefix: "BC-UBND"}
}

// CreatePlanPeriod creates the plan's report of a province ("" : the province the actor
// administers, or the deployment's only one) unless the province has a period with its title
// and due date, in which case it returns that one.
func (s *Service) CreatePlanPeriod(ctx context.Context, province string) (Period, bool, error) {
	actor := authz.ActorFrom(ctx)
	if err := mayDefine(actor); err != nil {
		return Period{}, false, err
	}
	in := s.PlanPeriod(province)
	code, national, err := s.periodProvince(ctx, actor, in)
	if err != nil {
		return Period{}, false, err
	}
	if national {
		return Period{}, false, apperr.InvalidField("unit_level", "reports.error.units_mixed")
	}
	var id int64
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT id FROM report_periods WHERE province_code = ? AND title = ? AND due_at = ? ORDER BY id LIMIT 1",
		code, in.Title, db.Millis(s.dueAt(in.DueDate))).Scan(&id)
	if err == nil {
		p, err := s.FindPeriod(ctx, id)
		return p, false, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Period{}, false, apperr.Wrap(err, "find plan period")
	}
	in.ProvinceCode = code
	p, err := s.CreatePeriod(ctx, in)
	return p, err == nil, err
}

func (s *Service) dueAt(date string) time.Time {
	d, _ := ParseDate(date)
	return EndOfDay(d)
}

// findProvince returns the province with code, or an invalid-field error when there is none.
func (s *Service) findProvince(ctx context.Context, code string) (units.Unit, error) {
	u, err := s.Units.Find(ctx, code)
	if apperr.Is(err, apperr.NotFound) || (err == nil && u.Level != units.Province) {
		return units.Unit{}, apperr.InvalidField("province_code", "reports.error.province_unknown", code)
	}
	return u, err
}

// periodProvince decides whose a new period is, and whether the actor may define it: national
// when its units are provinces (only a national administrator's), else the province named, or
// the one the actor administers, or that of the units listed, or the deployment's only
// province (only that province's administrator's).
func (s *Service) periodProvince(ctx context.Context, actor *authz.Actor, in PeriodInput) (code string, national bool, err error) {
	var listed map[string]units.Unit
	if len(in.UnitCodes) > 0 {
		if listed, err = s.Units.FindMany(ctx, in.UnitCodes); err != nil {
			return "", false, err
		}
	}
	provinces, others := 0, 0
	for _, c := range in.UnitCodes {
		switch u, ok := listed[c]; {
		case !ok || u.ValidTo != "":
			return "", false, apperr.InvalidField("unit_codes", "reports.error.unit_unknown", c)
		case u.Level == units.Province:
			provinces++
		default:
			others++
		}
	}
	if provinces > 0 && others > 0 {
		return "", false, apperr.InvalidField("unit_codes", "reports.error.units_mixed")
	}
	national = in.Level() == string(units.Province) || provinces > 0
	if national {
		if in.ProvinceCode != "" {
			return "", false, apperr.InvalidField("province_code", "reports.error.units_mixed")
		}
		if !MayReview(actor, "") {
			return "", false, reviewError(actor, "")
		}
		return "", true, nil
	}
	if len(actor.AdminProvinces()) == 0 && !actor.AdministersUnit("/") {
		// A national administrator reads the provinces' periods and defines none of them.
		return "", false, apperr.New(apperr.Forbidden, "reports.error.national_reads")
	}
	code = in.ProvinceCode
	if code == "" {
		if mine := actor.AdminProvinces(); len(mine) == 1 {
			code = mine[0]
		}
	}
	if code == "" && len(in.UnitCodes) > 0 {
		code = authz.ProvinceOfPath(listed[in.UnitCodes[0]].Path)
	}
	if code == "" {
		all, err := s.Units.List(ctx, units.Filter{Level: units.Province, Limit: 2})
		if err != nil {
			return "", false, err
		}
		if len(all) != 1 {
			return "", false, apperr.InvalidField("province_code", "reports.error.province_required")
		}
		code = all[0].Code
	}
	if _, err := s.findProvince(ctx, code); err != nil {
		return "", false, err
	}
	if !MayReview(actor, code) {
		return "", false, apperr.New(apperr.Forbidden, "reports.error.not_your_province")
	}
	for _, c := range in.UnitCodes {
		if !authz.Under(listed[c].Path, []string{authz.ProvincePath(code)}) {
			return "", false, apperr.InvalidField("unit_codes", "reports.error.unit_out_of_province", c)
		}
	}
	return code, false, nil
}

// DefaultLevel is the level that reports to a province when the period does not say: its
// districts where it has districts in force (the three-tier map), else its communes (the
// two-tier map from 01/07/2025, where the communes report to the province directly).
func (s *Service) DefaultLevel(ctx context.Context, province string) (string, error) {
	if province == "" {
		return string(units.Province), nil
	}
	n, err := s.Units.Count(ctx, units.Filter{Level: units.District, Under: authz.ProvincePath(province)})
	if err != nil {
		return "", err
	}
	if n > 0 {
		return string(units.District), nil
	}
	return string(units.Commune), nil
}

// CreatePeriod defines a report: a province's, by its province administrator, or a national
// one, by a national administrator (see PeriodInput).
func (s *Service) CreatePeriod(ctx context.Context, in PeriodInput) (Period, error) {
	actor := authz.ActorFrom(ctx)
	if err := mayDefine(actor); err != nil {
		return Period{}, err
	}
	in.Title = strings.Join(strings.Fields(in.Title), " ")
	in.ProvinceCode = strings.TrimSpace(in.ProvinceCode)
	if err := in.Validate(); err != nil {
		return Period{}, err
	}
	for _, sec := range in.Sections {
		if s.provider(sec) == nil {
			return Period{}, apperr.InvalidField("sections", "reports.error.section", sec)
		}
	}
	code, national, err := s.periodProvince(ctx, actor, in)
	if err != nil {
		return Period{}, err
	}
	// A period without a choice of sections carries every figure, as the web form's default does:
	// a report that fills itself should not come out empty because a field was left out.
	if len(in.Sections) == 0 {
		in.Sections = s.Sections()
	}
	if len(in.Narratives) == 0 {
		in.Narratives = Narratives
	}
	level := in.Level()
	if level == "" && len(in.UnitCodes) == 0 {
		if level, err = s.DefaultLevel(ctx, code); err != nil {
			return Period{}, err
		}
	}
	var assigned []units.Unit
	switch {
	case national && level != "":
		if assigned, err = s.Units.List(ctx, units.Filter{Level: units.Province}); err != nil {
			return Period{}, err
		}
	case level != "":
		// Every unit in force of the level in the province, wherever it hangs: on the two-tier map
		// the communes lie directly under the province.
		if assigned, err = s.Units.List(ctx, units.Filter{Level: units.Level(level), Under: authz.ProvincePath(code)}); err != nil {
			return Period{}, err
		}
	default:
		found, err := s.Units.FindMany(ctx, in.UnitCodes)
		if err != nil {
			return Period{}, err
		}
		seen := map[string]bool{}
		for _, c := range in.UnitCodes {
			u := found[c]
			if !national && u.Level != units.District && u.Level != units.Commune {
				return Period{}, apperr.InvalidField("unit_codes", "reports.error.unit_level")
			}
			if !seen[c] {
				seen[c] = true
				assigned = append(assigned, u)
			}
		}
		level = string(assigned[0].Level)
		for _, u := range assigned {
			if string(u.Level) != level {
				level = "" // listed at mixed levels
			}
		}
	}
	if len(assigned) == 0 {
		return Period{}, apperr.InvalidField("reporting_level", "reports.error.level_empty")
	}
	now := s.Now()
	var id int64
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO report_periods (province_code, reporting_level, title, period_start, period_end, due_at, sections, narratives, number_prefix, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			code, level, in.Title, in.PeriodStart, in.PeriodEnd, db.Millis(s.dueAt(in.DueDate)), strings.Join(in.Sections, ","), strings.Join(in.Narratives, ","),
			in.NumberPrefix, actorName(ctx), db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "insert period")
		}
		for _, u := range assigned {
			if _, err := tx.ExecContext(ctx, "INSERT INTO report_assignments (period_id, unit_code, unit_path) VALUES (?, ?, ?)", id, u.Code, u.Path); err != nil {
				return apperr.Wrap(err, "insert assignment")
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report_period.create", ObjectType: "report_period", ObjectID: fmt.Sprint(id),
			UnitPath: authz.ProvincePath(code), Detail: fmt.Sprintf("%s; %d units; due %s", in.Title, len(assigned), in.DueDate)})
	})
	if err != nil {
		return Period{}, err
	}
	return s.FindPeriod(ctx, id)
}

const periodColumns = "id, province_code, reporting_level, title, period_start, period_end, due_at, sections, narratives, number_prefix, created_by, created_at"

func scanPeriod(row interface{ Scan(...any) error }) (Period, error) {
	var p Period
	var due, created int64
	var sections, narratives string
	if err := row.Scan(&p.ID, &p.Province, &p.ReportingLevel, &p.Title, &p.PeriodStart, &p.PeriodEnd, &due, &sections, &narratives, &p.NumberPrefix, &p.CreatedBy, &created); err != nil {
		return p, err
	}
	p.National = p.Province == ""
	p.DueAt, p.CreatedAt = db.FromMillis(due), db.FromMillis(created)
	p.DueDate = p.DueAt.In(VietnamTime).Format("2006-01-02")
	p.Sections, p.Narratives = splitList(sections), splitList(narratives)
	return p, nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// nameProvinces fills the periods' province names from the unit tree.
func (s *Service) nameProvinces(ctx context.Context, ps []Period) error {
	var codes []string
	for _, p := range ps {
		if p.Province != "" && !slices.Contains(codes, p.Province) {
			codes = append(codes, p.Province)
		}
	}
	found, err := s.Units.FindMany(ctx, codes)
	if err != nil {
		return err
	}
	for i := range ps {
		ps[i].ProvinceName = found[ps[i].Province].Name
	}
	return nil
}

// FindPeriod returns one period with its assigned units. A period is visible to the national
// administrators and to the administrators of an assigned unit: the province's administrator
// for the province's periods (and for a national period the province answers), a district's
// for the periods it reports in. Anyone else's period does not exist for them.
func (s *Service) FindPeriod(ctx context.Context, id int64) (Period, error) {
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return Period{}, err
	}
	p, err := scanPeriod(s.DB.Reader().QueryRowContext(ctx, "SELECT "+periodColumns+" FROM report_periods WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Period{}, apperr.New(apperr.NotFound, "reports.error.period_not_found")
	}
	if err != nil {
		return Period{}, apperr.Wrap(err, "find period")
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT unit_code, unit_path FROM report_assignments WHERE period_id = ? ORDER BY unit_code", id)
	if err != nil {
		return Period{}, apperr.Wrap(err, "list assignments")
	}
	defer rows.Close()
	visible := false
	for rows.Next() {
		var code, path string
		if err := rows.Scan(&code, &path); err != nil {
			return Period{}, apperr.Wrap(err, "scan assignment")
		}
		p.UnitCodes = append(p.UnitCodes, code)
		visible = visible || scope.HasUnit(path)
	}
	if err := rows.Err(); err != nil {
		return Period{}, apperr.Wrap(err, "list assignments")
	}
	if !visible {
		return Period{}, apperr.Hidden("reports.error.period_not_found")
	}
	ps := []Period{p}
	if err := s.nameProvinces(ctx, ps); err != nil {
		return Period{}, err
	}
	return ps[0], nil
}

// ListPeriods returns the periods the actor takes part in (every one for a national
// administrator), the latest due first.
func (s *Service) ListPeriods(ctx context.Context) ([]Period, error) {
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	cond := scope.Units("a.unit_path")
	q := "SELECT " + periodColumns + " FROM report_periods p WHERE EXISTS (SELECT 1 FROM report_assignments a WHERE a.period_id = p.id AND " + cond.SQL + ") ORDER BY due_at DESC, id DESC LIMIT 500"
	rows, err := s.DB.Reader().QueryContext(ctx, q, cond.Args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list periods")
	}
	defer rows.Close()
	var out []Period
	idx := map[int64]int{}
	for rows.Next() {
		p, err := scanPeriod(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan period")
		}
		p.UnitCodes = []string{}
		idx[p.ID] = len(out)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list periods")
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := s.nameProvinces(ctx, out); err != nil {
		return nil, err
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(out)), ",")
	var args []any
	for _, p := range out {
		args = append(args, p.ID)
	}
	arows, err := s.DB.Reader().QueryContext(ctx, "SELECT period_id, unit_code FROM report_assignments WHERE period_id IN ("+ph+") ORDER BY unit_code", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list assignments")
	}
	defer arows.Close()
	for arows.Next() {
		var id int64
		var code string
		if err := arows.Scan(&id, &code); err != nil {
			return nil, apperr.Wrap(err, "scan assignment")
		}
		out[idx[id]].UnitCodes = append(out[idx[id]].UnitCodes, code)
	}
	return out, arows.Err()
}

// ---- Reports ----

const reportColumns = `r.id, r.period_id, r.unit_code, u.name, r.unit_path, r.state, r.version, r.first_submitted_at, r.submitted_at, r.submitted_by,
	r.returned_at, r.returned_by, r.return_comment, r.accepted_at, r.accepted_by, r.signer_name, r.signer_position, r.created_at, r.updated_at, p.due_at, p.province_code`

// reportFrom names a report's unit by the version it was made under (its path): a code reused by
// the 2025 reform names two units, and joining on it would double the rows.
const reportFrom = " FROM reports r JOIN units u ON u.path = r.unit_path JOIN report_periods p ON p.id = r.period_id"

func scanReport(row interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var first, sub, ret, acc, created, updated, due int64
	err := row.Scan(&r.ID, &r.PeriodID, &r.UnitCode, &r.UnitName, &r.UnitPath, &r.State, &r.Version, &first, &sub, &r.SubmittedBy,
		&ret, &r.ReturnedBy, &r.ReturnComment, &acc, &r.AcceptedBy, &r.SignerName, &r.SignerPosition, &created, &updated, &due, &r.PeriodProvince)
	r.FirstSubmittedAt, r.SubmittedAt, r.ReturnedAt, r.AcceptedAt = db.FromMillis(first), db.FromMillis(sub), db.FromMillis(ret), db.FromMillis(acc)
	r.CreatedAt, r.UpdatedAt = db.FromMillis(created), db.FromMillis(updated)
	r.OnTime = onTime(r.FirstSubmittedAt, db.FromMillis(due))
	return r, err
}

// ListReports returns the reports of a period in the actor's scope.
func (s *Service) ListReports(ctx context.Context, periodID int64) ([]Report, error) {
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	if _, err := s.FindPeriod(ctx, periodID); err != nil {
		return nil, err
	}
	cond := scope.Units("r.unit_path")
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+reportColumns+reportFrom+" WHERE r.period_id = ? AND "+cond.SQL+" ORDER BY r.unit_code",
		append([]any{periodID}, cond.Args...)...)
	if err != nil {
		return nil, apperr.Wrap(err, "list reports")
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan report")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindReport returns one report with its narratives, figures and history; a report outside the
// actor's scope (another district's, another province's) is not found.
func (s *Service) FindReport(ctx context.Context, id int64) (Report, error) {
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return Report{}, err
	}
	r, err := s.loadReport(ctx, s.DB.Reader(), id)
	if err != nil {
		return Report{}, err
	}
	if !scope.HasUnit(r.UnitPath) {
		return Report{}, apperr.Hidden("reports.error.not_found")
	}
	return r, nil
}

func (s *Service) loadReport(ctx context.Context, q db.Querier, id int64) (Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, "SELECT "+reportColumns+reportFrom+" WHERE r.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, apperr.New(apperr.NotFound, "reports.error.not_found")
	}
	if err != nil {
		return Report{}, apperr.Wrap(err, "find report")
	}
	r.Narratives = map[string]string{}
	rows, err := q.QueryContext(ctx, "SELECT field_key, body FROM report_narratives WHERE report_id = ?", id)
	if err != nil {
		return Report{}, apperr.Wrap(err, "narratives")
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return Report{}, apperr.Wrap(err, "narratives")
		}
		r.Narratives[k] = v
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT section, field_key, label_key, value, target, unit FROM report_figures WHERE report_id = ? ORDER BY position", id)
	if err != nil {
		return Report{}, apperr.Wrap(err, "figures")
	}
	r.Figures = []Field{}
	for rows.Next() {
		var f Field
		if err := rows.Scan(&f.Section, &f.Key, &f.LabelKey, &f.Value, &f.Target, &f.Unit); err != nil {
			rows.Close()
			return Report{}, apperr.Wrap(err, "figures")
		}
		r.Figures = append(r.Figures, f)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, "SELECT at, actor, action, comment FROM report_events WHERE report_id = ? ORDER BY id", id)
	if err != nil {
		return Report{}, apperr.Wrap(err, "events")
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Comment); err != nil {
			return Report{}, apperr.Wrap(err, "events")
		}
		e.At = db.FromMillis(at)
		r.Events = append(r.Events, e)
	}
	return r, rows.Err()
}

// OpenReport returns the unit's report for the period, creating the draft when there is none.
func (s *Service) OpenReport(ctx context.Context, periodID int64, unitCode string) (Report, error) {
	actor := authz.ActorFrom(ctx)
	p, err := s.FindPeriod(ctx, periodID)
	if err != nil {
		return Report{}, err
	}
	var path string
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT unit_path FROM report_assignments WHERE period_id = ? AND unit_code = ?", p.ID, unitCode).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, apperr.InvalidField("unit_code", "reports.error.not_assigned", unitCode)
	}
	if err != nil {
		return Report{}, apperr.Wrap(err, "find assignment")
	}
	if !MayWrite(actor, path) {
		return Report{}, apperr.New(apperr.Forbidden, "reports.error.not_your_unit")
	}
	var id int64
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT id FROM reports WHERE period_id = ? AND unit_code = ?", p.ID, unitCode).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return apperr.Wrap(err, "find report")
		}
		now := db.Millis(s.Now())
		id, err = tx.InsertID(ctx, `INSERT INTO reports (period_id, unit_code, unit_path, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			p.ID, unitCode, path, string(Draft), now, now)
		if err != nil {
			return apperr.Wrap(err, "insert report")
		}
		if err := s.event(ctx, tx, id, "created", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report.create", ObjectType: "report", ObjectID: fmt.Sprint(id), UnitPath: path, Detail: p.Title})
	})
	if err != nil {
		return Report{}, err
	}
	return s.FindReport(ctx, id)
}

func (s *Service) event(ctx context.Context, tx *db.Tx, reportID int64, action, comment string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO report_events (report_id, at, actor, action, comment) VALUES (?, ?, ?, ?, ?)",
		reportID, db.Millis(s.Now()), actorName(ctx), action, comment)
	return apperr.Wrap(err, "insert event")
}

// lockedError says why an accepted report cannot change: when and by whom it was accepted.
func lockedError(r Report) error {
	return apperr.New(apperr.Locked, "reports.error.locked", r.AcceptedAt.In(VietnamTime).Format("02/01/2006 15:04"), r.AcceptedBy)
}

// editable loads the report inside tx and checks that the actor may change it now.
func (s *Service) editable(ctx context.Context, tx *db.Tx, id int64, version int64) (Report, error) {
	r, err := s.loadReport(ctx, tx, id)
	if err != nil {
		return Report{}, err
	}
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return Report{}, err
	}
	if !scope.HasUnit(r.UnitPath) {
		return Report{}, apperr.Hidden("reports.error.not_found")
	}
	if r.State == Accepted {
		return Report{}, lockedError(r)
	}
	if !MayWrite(authz.ActorFrom(ctx), r.UnitPath) {
		return Report{}, apperr.New(apperr.Forbidden, "reports.error.not_your_unit")
	}
	if r.State == Submitted {
		return Report{}, apperr.New(apperr.Conflict, "reports.error.awaiting_review")
	}
	if version != 0 && version != r.Version {
		return Report{}, apperr.New(apperr.Conflict, "reports.error.stale")
	}
	return r, nil
}

func (s *Service) writeDraft(ctx context.Context, tx *db.Tx, id int64, d DraftInput) error {
	for k, v := range d.Narratives {
		v = strings.TrimSpace(v)
		if _, err := tx.ExecContext(ctx, "DELETE FROM report_narratives WHERE report_id = ? AND field_key = ?", id, k); err != nil {
			return apperr.Wrap(err, "narrative")
		}
		if v == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO report_narratives (report_id, field_key, body) VALUES (?, ?, ?)", id, k, v); err != nil {
			return apperr.Wrap(err, "narrative")
		}
	}
	set, args := "", []any{}
	if d.SignerNameGiven || d.SignerName != "" {
		set, args = set+"signer_name = ?, ", append(args, strings.TrimSpace(d.SignerName))
	}
	if d.SignerPositionGiven || d.SignerPosition != "" {
		set, args = set+"signer_position = ?, ", append(args, strings.TrimSpace(d.SignerPosition))
	}
	_, err := tx.ExecContext(ctx, "UPDATE reports SET "+set+"version = version + 1, updated_at = ? WHERE id = ?", append(args, db.Millis(s.Now()), id)...)
	return apperr.Wrap(err, "update report")
}

// SaveDraft saves the narratives of a draft or returned report.
func (s *Service) SaveDraft(ctx context.Context, id int64, d DraftInput) (Report, error) {
	if err := d.Validate(); err != nil {
		return Report{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		r, err := s.editable(ctx, tx, id, d.Version)
		if err != nil {
			return err
		}
		if err := s.writeDraft(ctx, tx, id, d); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, "saved", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report.save", ObjectType: "report", ObjectID: fmt.Sprint(id), UnitPath: r.UnitPath})
	})
	if err != nil {
		return Report{}, err
	}
	return s.FindReport(ctx, id)
}

// Submit saves the draft, snapshots the figures of every section of the period from live data
// as of now, and sends the report to the province. Every narrative of the period is required.
func (s *Service) Submit(ctx context.Context, id int64, d DraftInput) (Report, error) {
	if err := d.Validate(); err != nil {
		return Report{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		r, err := s.editable(ctx, tx, id, d.Version)
		if err != nil {
			return err
		}
		var p Period
		p, err = scanPeriod(tx.QueryRowContext(ctx, "SELECT "+periodColumns+" FROM report_periods WHERE id = ?", r.PeriodID))
		if err != nil {
			return apperr.Wrap(err, "period")
		}
		if d.Narratives == nil {
			d.Narratives = map[string]string{}
		}
		for _, k := range p.Narratives {
			text, given := d.Narratives[k]
			if !given {
				text = r.Narratives[k]
			}
			if strings.TrimSpace(text) == "" {
				return apperr.InvalidField(k, "reports.error.narrative_required")
			}
		}
		if err := s.writeDraft(ctx, tx, id, d); err != nil {
			return err
		}
		now := s.Now()
		figures, err := s.snapshot(ctx, p.Sections, r.UnitPath, p.Span(), now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM report_figures WHERE report_id = ?", id); err != nil {
			return apperr.Wrap(err, "figures")
		}
		for i, f := range figures {
			if _, err := tx.ExecContext(ctx, "INSERT INTO report_figures (report_id, position, section, field_key, label_key, value, target, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				id, i, f.Section, f.Key, f.LabelKey, f.Value, f.Target, f.Unit); err != nil {
				return apperr.Wrap(err, "figures")
			}
		}
		first := db.Millis(r.FirstSubmittedAt)
		if first == 0 {
			first = db.Millis(now)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE reports SET state = ?, submitted_at = ?, first_submitted_at = ?, submitted_by = ?, updated_at = ? WHERE id = ?",
			string(Submitted), db.Millis(now), first, actorName(ctx), db.Millis(now), id); err != nil {
			return apperr.Wrap(err, "submit")
		}
		action, late := "submitted", ""
		if now.After(p.DueAt) {
			action, late = "submitted_late", "late"
		}
		if err := s.event(ctx, tx, id, action, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report.submit", ObjectType: "report", ObjectID: fmt.Sprint(id), UnitPath: r.UnitPath, Detail: late})
	})
	if err != nil {
		return Report{}, err
	}
	return s.FindReport(ctx, id)
}

// snapshot computes the sections' figures afresh (never from the cache): the report states the
// figures of its period as of the moment of submission (or of the period's end, when it is
// submitted after it).
func (s *Service) snapshot(ctx context.Context, sections []string, unitPath string, span Span, asOf time.Time) ([]Field, error) {
	var out []Field
	for _, sec := range sections {
		p := s.provider(sec)
		if p == nil {
			return nil, apperr.New(apperr.Conflict, "reports.error.section_unavailable", sec)
		}
		fields, err := periodFields(ctx, p, unitPath, span, asOf)
		if err != nil {
			return nil, apperr.Wrap(err, "provider "+sec)
		}
		for _, f := range fields {
			f.Section = sec
			out = append(out, f)
		}
	}
	return out, nil
}

// review runs one of the reviewer's decisions on a report inside a transaction: the province's
// on its units' reports, the national administrators' on the provinces' reports of a national
// period. A report the actor cannot read is not found; one it reads but does not review is
// forbidden.
func (s *Service) review(ctx context.Context, id int64, from []State, to State, action, comment string, commentRequired bool) (Report, error) {
	actor := authz.ActorFrom(ctx)
	scope, err := viewScope(actor)
	if err != nil {
		return Report{}, err
	}
	comment = strings.TrimSpace(comment)
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		r, err := s.loadReport(ctx, tx, id)
		if err != nil {
			return err
		}
		if !scope.HasUnit(r.UnitPath) {
			return apperr.Hidden("reports.error.not_found")
		}
		if !MayReview(actor, r.PeriodProvince) {
			return reviewError(actor, r.PeriodProvince)
		}
		if commentRequired && comment == "" {
			return apperr.InvalidField("comment", "reports.error.comment_required")
		}
		if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > MaxComment {
			return apperr.InvalidField("comment", "reports.error.comment_long", MaxComment)
		}
		allowed := false
		for _, st := range from {
			allowed = allowed || r.State == st
		}
		if !allowed {
			if r.State == Accepted {
				return lockedError(r)
			}
			return apperr.New(apperr.Conflict, "reports.error.transition", i18n.Msg("reports.state."+string(r.State)))
		}
		now := db.Millis(s.Now())
		who := actorName(ctx)
		var q string
		var args []any
		switch to {
		case Returned:
			q, args = "UPDATE reports SET state = ?, returned_at = ?, returned_by = ?, return_comment = ?, accepted_at = 0, accepted_by = '', version = version + 1, updated_at = ? WHERE id = ?",
				[]any{string(to), now, who, comment, now, id}
		case Accepted:
			q, args = "UPDATE reports SET state = ?, accepted_at = ?, accepted_by = ?, version = version + 1, updated_at = ? WHERE id = ?",
				[]any{string(to), now, who, now, id}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return apperr.Wrap(err, action)
		}
		if err := s.event(ctx, tx, id, action, comment); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "report." + action, ObjectType: "report", ObjectID: fmt.Sprint(id), UnitPath: r.UnitPath, Detail: comment})
	})
	if err != nil {
		return Report{}, err
	}
	return s.FindReport(ctx, id)
}

// Return sends a submitted report back to the unit with a comment saying what to correct.
func (s *Service) Return(ctx context.Context, id int64, comment string) (Report, error) {
	return s.review(ctx, id, []State{Submitted}, Returned, "return", comment, true)
}

// Accept accepts a submitted report, which locks it.
func (s *Service) Accept(ctx context.Context, id int64) (Report, error) {
	return s.review(ctx, id, []State{Submitted}, Accepted, "accept", "", false)
}

// Reopen unlocks an accepted report and returns it to the unit, with the reason; the audit log
// records it.
func (s *Service) Reopen(ctx context.Context, id int64, reason string) (Report, error) {
	return s.review(ctx, id, []State{Accepted}, Returned, "reopen", reason, true)
}

// PeriodStatus lists every assigned unit in the actor's scope with its state and timeliness, and
// the reporting and on-time rates over exactly those units: the province's administrator sees
// all the units of the province's periods and its own province in a national period, a
// national administrator every unit of every period (every province of a national one).
func (s *Service) PeriodStatus(ctx context.Context, periodID int64) (Status, error) {
	scope, err := viewScope(authz.ActorFrom(ctx))
	if err != nil {
		return Status{}, err
	}
	p, err := s.FindPeriod(ctx, periodID)
	if err != nil {
		return Status{}, err
	}
	cond := scope.Units("a.unit_path")
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT a.unit_code, u.name, a.unit_path, COALESCE(r.id, 0), COALESCE(r.state, ''), COALESCE(r.first_submitted_at, 0), COALESCE(r.submitted_at, 0)
		FROM report_assignments a JOIN units u ON u.path = a.unit_path
		LEFT JOIN reports r ON r.period_id = a.period_id AND r.unit_path = a.unit_path
		WHERE a.period_id = ? AND `+cond.SQL+` ORDER BY a.unit_path`, append([]any{periodID}, cond.Args...)...)
	if err != nil {
		return Status{}, apperr.Wrap(err, "status")
	}
	defer rows.Close()
	st := Status{Period: p, Units: []UnitStatus{}}
	for rows.Next() {
		var u UnitStatus
		var state string
		var first, sub int64
		if err := rows.Scan(&u.UnitCode, &u.UnitName, &u.UnitPath, &u.ReportID, &state, &first, &sub); err != nil {
			return Status{}, apperr.Wrap(err, "status")
		}
		u.State = State(state)
		if u.State == "" {
			u.State = Missing
		}
		u.OnTime = onTime(db.FromMillis(first), p.DueAt)
		u.SubmittedAt = db.FromMillis(sub)
		st.Units = append(st.Units, u)
	}
	if err := rows.Err(); err != nil {
		return Status{}, apperr.Wrap(err, "status")
	}
	st.tally()
	return st, nil
}

func (st *Status) tally() {
	st.Assigned = len(st.Units)
	for _, u := range st.Units {
		switch {
		case u.State.Reported():
			st.Reported++
			if u.OnTime != nil && *u.OnTime {
				st.OnTime++
			} else {
				st.Late++
			}
		case u.State == Returned:
			st.Returned++
		default:
			st.Missing++
		}
	}
	if st.Assigned > 0 {
		st.ReportingRate = float64(st.Reported) / float64(st.Assigned)
		st.OnTimeRate = float64(st.OnTime) / float64(st.Assigned)
	}
}

// LiveFigures computes the figures a report of the period would carry if it were submitted now,
// for the draft's preview; they come from the cache.
func (s *Service) LiveFigures(ctx context.Context, r Report, p Period) ([]Field, error) {
	var out []Field
	for _, sec := range p.Sections {
		fields, err := s.cachedPeriodFields(ctx, sec, r.UnitPath, p.Span())
		if err != nil {
			return nil, err
		}
		out = append(out, fields...)
	}
	return out, nil
}

// SectionsOf groups fields by section, in the order of sections.
func SectionsOf(fields []Field, sections []string) [][]Field {
	by := map[string][]Field{}
	for _, f := range fields {
		by[f.Section] = append(by[f.Section], f)
	}
	var out [][]Field
	for _, s := range sections {
		if len(by[s]) > 0 {
			out = append(out, by[s])
		}
	}
	return out
}

// sortedKeys is a helper for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
