package web

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/reports"
)

// The statistics of online public services before and after the launch (issue 19, part 6): a
// page for province and unit administrators with the import form, its API, the template and the
// export. The figures of the movement beside them come from the reports' dashboard of the same
// unit: citizens guided by the community teams and learners who passed the course.

// psUnit is the unit the request asks about: ?unit=, else the viewer's first administered unit.
func psUnit(r *http.Request) (string, error) {
	code := strings.TrimSpace(r.URL.Query().Get("unit"))
	if code == "" {
		if paths := authz.ActorFrom(r.Context()).AdminUnitPaths(); len(paths) > 0 {
			parts := strings.Split(strings.Trim(paths[0], "/"), "/")
			code = parts[len(parts)-1]
		}
	}
	if code == "" {
		return "", apperr.InvalidField("unit", "pubservices.error.unit_required")
	}
	if len(code) > 20 || strings.Trim(code, "0123456789") != "" {
		return "", apperr.InvalidField("unit", "pubservices.error.unit_code", code)
	}
	return code, nil
}

func (s *Server) apiPublicServiceStats(w http.ResponseWriter, r *http.Request) error {
	code, err := psUnit(r)
	if err != nil {
		return err
	}
	rep, err := s.PublicServices.Report(r.Context(), code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// psImport reads the upload and the replace flag (a form field or the query).
func (s *Server) psImport(w http.ResponseWriter, r *http.Request) (pubservices.ImportResult, error) {
	if len(authz.ActorFrom(r.Context()).AdminUnitPaths()) == 0 {
		return pubservices.ImportResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	body, done, err := openUpload(w, r, "file", pubservices.MaxImportBytes)
	if err != nil {
		return pubservices.ImportResult{}, err
	}
	defer done()
	replace := false
	switch v := r.FormValue("replace"); v {
	case "", "false", "0":
	case "true", "1", "on":
		replace = true
	default:
		return pubservices.ImportResult{}, apperr.InvalidField("replace", "pubservices.error.replace_flag", v)
	}
	return s.PublicServices.Import(r.Context(), body, replace)
}

func (s *Server) apiPublicServiceImport(w http.ResponseWriter, r *http.Request) error {
	res, err := s.psImport(w, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) publicServicesImportSubmit(w http.ResponseWriter, r *http.Request) error {
	res, err := s.psImport(w, r)
	if err != nil {
		return err
	}
	target := "/public-services"
	if u := r.FormValue("unit"); u != "" {
		target += "?unit=" + url.QueryEscape(u)
	}
	flash := "pubservices.import.done"
	if res.Replaced > 0 {
		flash = "pubservices.import.done_replaced"
	}
	return s.redirectFlash(w, r, target, flash)
}

// publicServicesTemplate is the blank form anyone preparing a file may download.
func (s *Server) publicServicesTemplate(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "xlsx", "csv")
	if err != nil {
		return err
	}
	data, err := pubservices.Template(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	sendFile(w, "mau-thong-ke-dich-vu-cong."+format, data)
	return nil
}

// psRow is one line of the page's comparison: a unit's before/after with the movement's figures.
type psRow struct {
	Code, Name string
	Summary    pubservices.Summary
	Months     int
	// Citizens and Passed are the movement's figures for the unit; nil when not known.
	Citizens, Passed *float64
}

type pubservicesData struct {
	Page
	Unit    string
	R       pubservices.Report
	Rows    []psRow
	Managed bool
}

// Launch is the moment of the province's launch, zero when none.
func (d pubservicesData) Launch() time.Time {
	if d.R.Summary.LaunchAt == nil {
		return time.Time{}
	}
	return *d.R.Summary.LaunchAt
}

// Pct writes a share in percent with one decimal, or a dash.
func (pubservicesData) Pct(p *float64) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%.1f %%", *p), ".", ",", 1)
}

// Pts writes a change in percentage points with its sign, or a dash.
func (d pubservicesData) Pts(p *float64) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%+.1f", *p), ".", ",", 1) + " " + d.T("pubservices.points")
}

// Num writes a figure as the reports do, or a dash.
func (pubservicesData) Num(p *float64) string {
	if p == nil {
		return "—"
	}
	return reports.FormatNumber(*p)
}

// movement reads the movement's figures of the unit and its children from the unit's dashboard;
// a unit without one (a dashboard the viewer may not open) shows dashes, not an error.
func (s *Server) movement(ctx context.Context, code string) map[string][2]*float64 {
	out := map[string][2]*float64{}
	if s.Reports == nil {
		return out
	}
	d, err := s.Reports.UnitDashboard(ctx, code, reports.DefaultDays)
	if err != nil {
		return out
	}
	pick := func(fields []reports.Field) [2]*float64 {
		var v [2]*float64
		for _, f := range fields {
			f := f
			switch {
			case f.Section == "outreach" && f.Key == "citizens":
				v[0] = &f.Value
			case f.Section == "training" && f.Key == "passed":
				v[1] = &f.Value
			}
		}
		return v
	}
	out[code] = pick(d.Headline)
	for _, c := range d.Children {
		out[c.Code] = pick(c.Fields)
	}
	return out
}

func (s *Server) publicServicesPage(w http.ResponseWriter, r *http.Request) error {
	code, err := psUnit(r)
	if err != nil {
		return err
	}
	rep, err := s.PublicServices.Report(r.Context(), code)
	if err != nil {
		return err
	}
	data := pubservicesData{Page: s.newPage(r, "pubservices.title"), Unit: code, R: rep}
	data.Title = data.T("pubservices.title_of", rep.Unit.Name)
	data.Managed = authz.ActorFrom(r.Context()).AdministersUnit(rep.Unit.Path)
	mv := s.movement(r.Context(), code)
	row := func(st pubservices.UnitStats) psRow {
		m := mv[st.Unit.Code]
		return psRow{Code: st.Unit.Code, Name: st.Unit.Name, Summary: st.Summary, Months: len(st.Months), Citizens: m[0], Passed: m[1]}
	}
	data.Rows = append(data.Rows, row(rep.UnitStats))
	for _, c := range rep.Children {
		data.Rows = append(data.Rows, row(c))
	}
	return s.render(w, r, http.StatusOK, "pubservices", &data)
}

// publicServicesExport writes the unit's months and the comparison of its children as xlsx.
func (s *Server) publicServicesExport(w http.ResponseWriter, r *http.Request) error {
	if _, err := exportFormat(r, "xlsx"); err != nil {
		return err
	}
	code, err := psUnit(r)
	if err != nil {
		return err
	}
	rep, err := s.PublicServices.Report(r.Context(), code)
	if err != nil {
		return err
	}
	tr := s.translator(r)
	pct := func(p *float64) any {
		if p == nil {
			return ""
		}
		return math.Round(*p*10) / 10
	}
	months := sheet.Table{Name: tr("pubservices.sheet.months"), Header: []string{tr("pubservices.col.month"), tr("pubservices.col.phase"),
		tr("pubservices.col.received"), tr("pubservices.col.online"), tr("pubservices.col.fully_online"), tr("pubservices.col.paid_online"),
		tr("pubservices.col.online_share"), tr("pubservices.col.fully_online_share"), tr("pubservices.col.paid_online_share")}}
	for _, m := range rep.Months {
		phase := ""
		if m.Phase != "" {
			phase = tr("pubservices.phase." + m.Phase)
		}
		months.Rows = append(months.Rows, []any{m.Month, phase, m.Received, m.Online, m.FullyOnline, m.PaidOnline, pct(m.OnlineShare), pct(m.FullyOnlineShare), pct(m.PaidOnlineShare)})
	}
	cmp := sheet.Table{Name: tr("pubservices.sheet.compare"), Header: []string{tr("pubservices.col.code"), tr("pubservices.col.unit"),
		tr("pubservices.col.online_before"), tr("pubservices.col.online_after"), tr("pubservices.col.paid_before"), tr("pubservices.col.paid_after"),
		tr("pubservices.col.citizens"), tr("pubservices.col.passed")}}
	mv := s.movement(r.Context(), code)
	for _, st := range append([]pubservices.UnitStats{rep.UnitStats}, rep.Children...) {
		m := mv[st.Unit.Code]
		num := func(p *float64) any {
			if p == nil {
				return ""
			}
			return *p
		}
		b, a := st.Summary.Before, st.Summary.After
		cmp.Rows = append(cmp.Rows, []any{st.Unit.Code, st.Unit.Name, pct(b.OnlineShare), pct(a.OnlineShare), pct(b.PaidOnlineShare), pct(a.PaidOnlineShare), num(m[0]), num(m[1])})
	}
	var buf bytes.Buffer
	if err := sheet.WriteXLSX(&buf, cmp, months); err != nil {
		return apperr.Wrap(err, "export public services")
	}
	sendFile(w, "dich-vu-cong-"+code+".xlsx", buf.Bytes())
	return nil
}

// psSection is the summary the dashboards and the province summary show, when the unit has
// statistics: the shares before and after the launch, and a link to the page for its
// administrators.
type psSection struct {
	S    pubservices.Summary
	Href string
	tr   i18n.Translator
}

// T translates for the section's template.
func (p psSection) T(key string, args ...any) string { return p.tr(key, args...) }

// Pct writes a share in percent.
func (p psSection) Pct(v *float64) string { return pubservicesData{}.Pct(v) }

// psSectionOf is the section of the unit at path, nil when it has no statistics (or on error:
// a dashboard is not refused for a figure beside it).
func (s *Server) psSectionOf(r *http.Request, path, code string) *psSection {
	if s.PublicServices == nil || path == "" {
		return nil
	}
	sum, ok, err := s.PublicServices.ProvinceSummary(r.Context(), path)
	if err != nil {
		s.Logger.Warn("public services summary", "path", path, "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	sec := &psSection{S: sum, tr: s.translator(r)}
	if pubservices.MaySee(authz.ActorFrom(r.Context()), path) && code != "" {
		sec.Href = "/public-services?unit=" + url.QueryEscape(code)
	}
	return sec
}
