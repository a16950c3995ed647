// Package reports is section IV.6 of the plan: the units (by default a province's district-level
// units) compile their results and report to the Provincial People's Committee, through the
// Department of Information and Communications, by a due date. A report's figures fill themselves
// from the live data the other modules hold (through Providers, each reading the unit's own
// province) and are snapshotted when the unit submits; the unit writes the narrative (results,
// difficulties, proposals). The province reviews: returns a report with a comment, or accepts it,
// which locks it. The package also assembles the summary, the exports (xlsx, and PDF as a Decree
// 30 administrative document naming the province from the unit tree) and the dashboards.
//
// The province is the tenant: a period belongs to one province (Period.Province), whose
// administrator defines and reviews it, or is national (Province ""), defined and reviewed by a
// national administrator and answered by the provinces themselves, each report written by the
// province's administrator. Who reads what is authz's scope of the actor (ScopeOf province and
// unit administrators, every province for a national administrator) applied to the assigned
// units' paths; who changes a period's reports is MayReview (authz.MayChange of the period's
// province object), so a national administrator reads every province's reports and changes none,
// and another province's period or report does not exist for an administrator (apperr.Hidden).
package reports

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the reports module's schema.
var Migrations = db.MigrationSet{Module: "reports", FS: migrations}

// State is where a report is in its review.
type State string

// The states of a report. Missing is never stored: it is what the status of an assigned unit
// says when the unit has not opened its report at all.
const (
	Missing   State = "missing"
	Draft     State = "draft"
	Submitted State = "submitted"
	Returned  State = "returned"
	Accepted  State = "accepted"
)

// Editable tells whether the unit may still change the report.
func (s State) Editable() bool { return s == Draft || s == Returned }

// Reported tells whether the state counts towards the reporting rate: the report is in the
// province's hands (submitted and awaiting review, or accepted).
func (s State) Reported() bool { return s == Submitted || s == Accepted }

// Field is one figure of a report or a dashboard, computed by a Provider from live data.
type Field struct {
	Section string `json:"section"`
	// Key identifies the figure within its section ("teams", "members_7in7").
	Key string `json:"key"`
	// LabelKey is the catalog key of the figure's Vietnamese label, or LiteralLabel followed by
	// the text itself for labels that are data (a skill's or a platform's name).
	LabelKey string  `json:"label_key"`
	Label    string  `json:"label,omitempty"`
	Value    float64 `json:"value"`
	// Target, when positive, is what the plan expects of the unit for this figure; the dashboards'
	// "share of target met" is Value/Target.
	Target float64 `json:"target,omitempty"`
	// Unit is the catalog key of the unit of measure ("reports.measure.people"), may be empty.
	Unit string `json:"unit,omitempty"`
}

// PercentUnit is the unit of a figure that is a share in percent, not a count (training's "%
// hoàn thành"): SumFields leaves it out of a sum.
const PercentUnit = "reports.measure.percent"

// LiteralLabel prefixes a label that is text rather than a catalog key.
const LiteralLabel = "="

// Provider computes the figures of one section for the subtree of a unit, as of a moment.
// Providers read their module's aggregates (counter tables or their service's exported
// methods), never scans of raw rows per call; the reports service caches their output for up to
// CacheTTL as well.
type Provider interface {
	// Section names the section ("foundation", "outreach", "training", "ceremony"); the section's
	// title is the catalog key "reports.section.<name>".
	Section() string
	Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error)
}

// Span is the stretch of time a period's figures cover: from the first moment of its first day
// to the last moment of its last day, Vietnam time (docs/architecture.md, "Reports bound to
// their period").
type Span struct {
	From time.Time
	To   time.Time
}

// Overlaps tells whether the window [from, to) shares a moment with the span.
func (sp Span) Overlaps(from, to time.Time) bool { return !from.After(sp.To) && to.After(sp.From) }

// Covers tells whether the window [from, to) lies wholly inside the span.
func (sp Span) Covers(from, to time.Time) bool {
	return !from.Before(sp.From) && !to.After(sp.To.Add(time.Millisecond))
}

// Contains tells whether t falls in the span.
func (sp Span) Contains(t time.Time) bool { return !t.Before(sp.From) && !t.After(sp.To) }

// Span is the period's dates as a stretch of time.
func (p Period) Span() Span {
	from, _ := ParseDate(p.PeriodStart)
	to, _ := ParseDate(p.PeriodEnd)
	return Span{From: from, To: EndOfDay(to)}
}

// PeriodProvider is a Provider whose figures can be bound to a report's period: they count the
// period's own ceremony, campaign and records (docs/architecture.md, "Reports bound to their
// period"), as of asOf (never after the period's end). A Provider that is not one is asked for its
// Fields as of the period's end, or now while the period runs.
type PeriodProvider interface {
	Provider
	PeriodFields(ctx context.Context, unitPath string, span Span, asOf time.Time) ([]Field, error)
}

// periodFields are a section's figures of a unit for the period spanning span, as of asOf.
func periodFields(ctx context.Context, p Provider, unitPath string, span Span, asOf time.Time) ([]Field, error) {
	if asOf.After(span.To) {
		asOf = span.To
	}
	if pp, ok := p.(PeriodProvider); ok {
		return pp.PeriodFields(ctx, unitPath, span, asOf)
	}
	return p.Fields(ctx, unitPath, asOf)
}

// Point is one day of a progress series.
type Point struct {
	Day   string  `json:"day"` // YYYY-MM-DD, Vietnam time
	Value float64 `json:"value"`
}

// Series is a cumulative figure over the campaign's days.
type Series struct {
	Section  string  `json:"section"`
	Key      string  `json:"key"`
	LabelKey string  `json:"label_key"`
	Label    string  `json:"label,omitempty"`
	Points   []Point `json:"points"`
}

// SeriesProvider is a Provider that can also tell how a figure grew day by day.
type SeriesProvider interface {
	Provider
	Series(ctx context.Context, unitPath string, from, to time.Time) ([]Series, error)
}

// ChildrenProvider is a Provider that computes its figures for every child unit in force of a
// unit in one pass, keyed by the child's path. Each child's figures must be what Fields answers
// for it (TestChildFieldsAreTheChildrensFields checks it): the dashboards use them in its stead.
// A province of the two-tier map has 96 children; asking Fields for each, a few statements
// apiece, made one refresh of Quảng Ngãi's dashboard cost seconds on the national profile.
type ChildrenProvider interface {
	Provider
	ChildFields(ctx context.Context, parentPath string, asOf time.Time) (map[string][]Field, error)
}

// OrgProvider is a Provider that can also compute its figures for an organisation subtree.
type OrgProvider interface {
	Provider
	OrgFields(ctx context.Context, orgPath string, asOf time.Time) ([]Field, error)
}

// Team is one community digital technology team with its figures, for the drill-down below a
// commune.
type Team struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// TeamProvider is a Provider that can list the teams of a commune with their figures.
type TeamProvider interface {
	Provider
	Teams(ctx context.Context, unitPath string, asOf time.Time) ([]Team, error)
}

// Narratives are the free-text parts a unit writes, in the order the document shows them.
var Narratives = []string{"results", "difficulties", "proposals"}

// MaxNarrative bounds one narrative field, in characters.
const MaxNarrative = 20000

// MaxTitle bounds a period's title, in characters.
const MaxTitle = 300

// MaxComment bounds a return comment or a reopening reason, in characters.
const MaxComment = 2000

// Period is one report that a set of units must submit by a due date. A period belongs to a
// province, whose district- or commune-level units report to the province (reviewed by its
// province administrator), or is national: the provinces themselves report (each written by its
// province administrator) to the national steering committee (reviewed by a national
// administrator).
type Period struct {
	ID int64 `json:"id"`
	// Province is the GSO code of the province that owns the period, "" for a national period.
	Province string `json:"province_code"`
	// National tells a national period (Province is "").
	National bool `json:"national"`
	// ProvinceName is the province's official name from the unit tree, "" for a national period.
	ProvinceName string `json:"province_name,omitempty"`
	Title        string `json:"title"`
	PeriodStart  string `json:"period_start"` // YYYY-MM-DD
	PeriodEnd    string `json:"period_end"`
	// DueAt is the last moment a submission is on time: the end of the due day, Vietnam time.
	DueAt time.Time `json:"due_at"`
	// DueDate is DueAt's calendar date (YYYY-MM-DD, Vietnam time).
	DueDate string `json:"due_date"`
	// Sections are the provider sections whose figures the report carries.
	Sections []string `json:"sections"`
	// Narratives are the narrative fields the units write.
	Narratives []string `json:"narratives"`
	// NumberPrefix is the document symbol after the number ("BC-UBND").
	NumberPrefix string `json:"number_prefix"`
	// ReportingLevel is the level that reports to the province in this period: "district" or
	// "commune" (on the two-tier map from 01/07/2025, the communes, directly), "province" for a
	// national period, "" for units listed one by one at mixed levels.
	ReportingLevel string    `json:"reporting_level"`
	UnitCodes      []string  `json:"unit_codes"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// PeriodInput is what an administrator fills in to define a report. The period's units decide
// its kind: provinces (UnitLevel "province", or the codes of provinces) make a national period,
// which only a national administrator defines; district- or commune-level units make a period
// of their province, which only that province's administrator defines.
type PeriodInput struct {
	// ProvinceCode names the province of a provincial period. Left empty, it is the province the
	// actor administers, else the province of UnitCodes, else the deployment's only province.
	ProvinceCode string `json:"province_code"`
	Title        string `json:"title"`
	PeriodStart  string `json:"period_start"`
	PeriodEnd    string `json:"period_end"`
	DueDate      string `json:"due_date"`
	// ReportingLevel chooses the level that reports to the province: every unit in force of that
	// level in the province ("district", "commune", wherever it hangs), or every province
	// ("province": a national period). Left empty with no UnitCodes, it is "district" where the
	// province has districts in force and "commune" where it has none (the two-tier map).
	ReportingLevel string `json:"reporting_level"`
	// UnitLevel is the former name of ReportingLevel, still accepted; given both, they must agree.
	UnitLevel string `json:"unit_level"`
	// UnitCodes lists units one by one instead of a level.
	UnitCodes    []string `json:"unit_codes"`
	Sections     []string `json:"sections"`
	Narratives   []string `json:"narratives"`
	NumberPrefix string   `json:"number_prefix"`
}

var (
	isoDate   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	docSymbol = regexp.MustCompile(`^[A-ZĐ0-9][A-ZĐ0-9&.-]{0,29}$`)
)

// VietnamTime is UTC+7; Vietnam has no daylight saving.
var VietnamTime = time.FixedZone("ICT", 7*3600)

// ParseDate reads a YYYY-MM-DD date at midnight Vietnam time.
func ParseDate(s string) (time.Time, bool) {
	if !isoDate.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006-01-02", s, VietnamTime)
	return t, err == nil
}

// EndOfDay is the last millisecond of the Vietnam-time day of date.
func EndOfDay(date time.Time) time.Time {
	y, m, d := date.In(VietnamTime).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, VietnamTime).Add(-time.Millisecond)
}

// Validate checks the input that needs no database; sections are checked against the registered
// providers by the service.
func (in PeriodInput) Validate() error {
	title := strings.TrimSpace(in.Title)
	if title == "" {
		return apperr.InvalidField("title", "reports.error.title_required")
	}
	if !utf8.ValidString(in.Title) || utf8.RuneCountInString(title) > MaxTitle {
		return apperr.InvalidField("title", "reports.error.title_long")
	}
	start, ok1 := ParseDate(in.PeriodStart)
	end, ok2 := ParseDate(in.PeriodEnd)
	if !ok1 {
		return apperr.InvalidField("period_start", "reports.error.date")
	}
	if !ok2 {
		return apperr.InvalidField("period_end", "reports.error.date")
	}
	if end.Before(start) {
		return apperr.InvalidField("period_end", "reports.error.date_order")
	}
	due, ok := ParseDate(in.DueDate)
	if !ok {
		return apperr.InvalidField("due_date", "reports.error.date")
	}
	if due.Before(start) {
		return apperr.InvalidField("due_date", "reports.error.due_before_start")
	}
	if in.ReportingLevel != "" && in.UnitLevel != "" && in.ReportingLevel != in.UnitLevel {
		return apperr.InvalidField("reporting_level", "reports.error.level_conflict", in.ReportingLevel, in.UnitLevel)
	}
	level := in.Level()
	if level != "" && len(in.UnitCodes) > 0 {
		return apperr.InvalidField("reporting_level", "reports.error.units_required")
	}
	if level != "" && level != "district" && level != "commune" && level != "province" {
		return apperr.InvalidField("reporting_level", "reports.error.unit_level")
	}
	if len(in.UnitCodes) > 500 {
		return apperr.InvalidField("unit_codes", "reports.error.too_many_units")
	}
	for _, n := range in.Narratives {
		if !validNarrative(n) {
			return apperr.InvalidField("narratives", "reports.error.narrative", n)
		}
	}
	if len(in.Sections) > 20 {
		return apperr.InvalidField("sections", "reports.error.section", "")
	}
	if in.NumberPrefix != "" && !docSymbol.MatchString(in.NumberPrefix) {
		return apperr.InvalidField("number_prefix", "reports.error.number_prefix")
	}
	return nil
}

// Level is the reporting level asked for: ReportingLevel, else its former name UnitLevel.
func (in PeriodInput) Level() string {
	if in.ReportingLevel != "" {
		return in.ReportingLevel
	}
	return in.UnitLevel
}

func validNarrative(key string) bool {
	for _, n := range Narratives {
		if n == key {
			return true
		}
	}
	return false
}

// Event is one step of a report's review.
type Event struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"` // created, saved, submitted, returned, accepted, reopened
	Comment string    `json:"comment,omitempty"`
}

// Report is one unit's report for one period.
type Report struct {
	ID       int64  `json:"id"`
	PeriodID int64  `json:"period_id"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	UnitPath string `json:"-"`
	// PeriodProvince is the province of the report's period ("" for a national period): whose
	// administrator reviews the report.
	PeriodProvince string `json:"-"`
	State          State  `json:"state"`
	// Version increases with every change; a save that names an older version is refused, so two
	// people editing at once do not overwrite each other.
	Version          int64     `json:"version"`
	FirstSubmittedAt time.Time `json:"first_submitted_at,omitzero"`
	SubmittedAt      time.Time `json:"submitted_at,omitzero"`
	SubmittedBy      string    `json:"submitted_by,omitempty"`
	ReturnedAt       time.Time `json:"returned_at,omitzero"`
	ReturnedBy       string    `json:"returned_by,omitempty"`
	ReturnComment    string    `json:"return_comment,omitempty"`
	AcceptedAt       time.Time `json:"accepted_at,omitzero"`
	AcceptedBy       string    `json:"accepted_by,omitempty"`
	SignerName       string    `json:"signer_name"`
	SignerPosition   string    `json:"signer_position"`
	// OnTime is whether the first submission came by the due date; nil until the unit submits.
	OnTime     *bool             `json:"on_time"`
	Narratives map[string]string `json:"narratives"`
	// Figures are the snapshot taken at the last submission (empty for a draft never submitted).
	Figures   []Field   `json:"figures"`
	Events    []Event   `json:"events,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DraftInput is what a unit saves or submits. Like the narratives, the signer changes only when
// given: a save or a submission that names no signer keeps the stored one.
type DraftInput struct {
	Narratives     map[string]string `json:"narratives"`
	SignerName     string            `json:"signer_name"`
	SignerPosition string            `json:"signer_position"`
	// SignerNameGiven and SignerPositionGiven say that the field was sent even if empty (which
	// clears it); a JSON body sets them for the keys it carries, a form for the fields it has.
	// A non-empty value is given anyway.
	SignerNameGiven     bool `json:"-"`
	SignerPositionGiven bool `json:"-"`
	// Version, when not zero, must be the report's current version.
	Version int64 `json:"version"`
}

// UnmarshalJSON decodes strictly (unknown keys are refused, as the API's decoder would, since
// its option does not reach a custom unmarshaler) and records which signer keys were present.
func (d *DraftInput) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	type plain DraftInput
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	// encoding/json matches keys without regard to case; so does this.
	for k := range keys {
		switch {
		case strings.EqualFold(k, "signer_name"):
			p.SignerNameGiven = true
		case strings.EqualFold(k, "signer_position"):
			p.SignerPositionGiven = true
		}
	}
	*d = DraftInput(p)
	return nil
}

// Validate checks a draft's lengths and keys.
func (d DraftInput) Validate() error {
	for k, v := range d.Narratives {
		if !validNarrative(k) {
			return apperr.InvalidField("narratives", "reports.error.narrative", k)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxNarrative {
			return apperr.InvalidField(k, "reports.error.narrative_long", MaxNarrative)
		}
	}
	for field, v := range map[string]string{"signer_name": d.SignerName, "signer_position": d.SignerPosition} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > 120 || strings.ContainsAny(v, "\r\n") {
			return apperr.InvalidField(field, "reports.error.signer")
		}
	}
	return nil
}

// UnitStatus is one assigned unit's place in a period.
type UnitStatus struct {
	UnitCode    string    `json:"unit_code"`
	UnitName    string    `json:"unit_name"`
	UnitPath    string    `json:"-"`
	ReportID    int64     `json:"report_id,omitempty"`
	State       State     `json:"state"`
	OnTime      *bool     `json:"on_time"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
}

// Status is where a period stands: every assigned unit in the viewer's scope, and the rates
// whose denominator is exactly those assigned units.
type Status struct {
	Period   Period       `json:"period"`
	Units    []UnitStatus `json:"units"`
	Assigned int          `json:"assigned"`
	Reported int          `json:"reported"`
	OnTime   int          `json:"on_time"`
	Late     int          `json:"late"`
	// Missing counts the units that have sent nothing: no report, or a draft never submitted.
	Missing int `json:"missing"`
	// Returned counts the reports sent back for correction and not yet resubmitted; they count
	// in neither rate. Reported + Returned + Missing = Assigned.
	Returned int `json:"returned"`
	// ReportingRate is Reported/Assigned: reports submitted or accepted.
	ReportingRate float64 `json:"reporting_rate"`
	// OnTimeRate is the share of assigned units whose report is submitted or accepted and was
	// first submitted by the due date.
	OnTimeRate float64 `json:"on_time_rate"`
}

// onTime decides timeliness from the first submission: a report later returned for correction
// and resubmitted keeps the timeliness of its first submission, since the correction is the
// province's request.
func onTime(firstSubmitted, due time.Time) *bool {
	if firstSubmitted.IsZero() {
		return nil
	}
	v := !firstSubmitted.After(due)
	return &v
}
