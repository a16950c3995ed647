package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/units"
)

// ---- Periods ----

type reportsPeriodsData struct {
	Page
	Periods    []reports.Period
	Sections   []string
	Narratives []string
	Form       reports.PeriodInput
	// Provinces are the provinces whose periods the viewer defines (a select when several);
	// National tells that the viewer defines national periods instead.
	Provinces []units.Unit
	National  bool
	// Districts, Communes and AllProvinces count the units "every district", "every commune" and
	// "every province" assign, for the form's choices. A province without districts in force (the
	// two-tier map from 01/07/2025) is offered its communes only.
	Districts, Communes, AllProvinces int
	// TwoTier tells that the viewer's province has no district in force (the two-tier map from
	// 01/07/2025): its communes report to it directly.
	TwoTier bool
}

func (s *Server) reportsPeriodsPage(w http.ResponseWriter, r *http.Request) error {
	level := "" // the province's default: its districts, or its communes where it has none
	if a := authz.ActorFrom(r.Context()); len(a.AdminProvinces()) == 0 && a.IsNational() {
		level = "province"
	}
	return s.renderReportsPeriods(w, r, reports.PeriodInput{ReportingLevel: level, Sections: s.Reports.Sections(), NumberPrefix: "BC-UBND"}, nil)
}

func (s *Server) renderReportsPeriods(w http.ResponseWriter, r *http.Request, form reports.PeriodInput, formErr error) error {
	list, err := s.Reports.ListPeriods(r.Context())
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := reportsPeriodsData{Page: s.newPage(r, "reports.title"), Periods: list, Sections: s.Reports.Sections(), Narratives: reports.Narratives, Form: form,
		National: len(actor.AdminProvinces()) == 0 && actor.IsNational()}
	for _, code := range actor.AdminProvinces() {
		if u, ok := s.provinces.find(r.Context(), code); ok {
			data.Provinces = append(data.Provinces, u)
		}
	}
	if len(data.Provinces) > 0 {
		prov := data.Provinces[0]
		if p, ok := s.provinces.find(r.Context(), form.ProvinceCode); ok {
			prov = p
		}
		if data.Districts, err = s.Units.Count(r.Context(), units.Filter{Level: units.District, Under: prov.Path}); err != nil {
			return err
		}
		if data.Communes, err = s.Units.Count(r.Context(), units.Filter{Level: units.Commune, Under: prov.Path}); err != nil {
			return err
		}
		if data.Form.Level() == "" {
			data.Form.ReportingLevel = "commune"
			if data.Districts > 0 {
				data.Form.ReportingLevel = "district"
			}
		}
	}
	if !data.National {
		province := ""
		if len(data.Provinces) > 0 {
			province = data.Provinces[0].Code
		} else if paths := actor.UnitPaths(authz.UnitAdmin); len(paths) > 0 {
			province = authz.ProvinceOfPath(paths[0])
		}
		if p, ok := s.provinces.find(r.Context(), province); ok {
			n, err := s.Units.Count(r.Context(), units.Filter{Level: units.District, Under: p.Path})
			if err != nil {
				return err
			}
			data.TwoTier = n == 0
		}
	}
	data.AllProvinces = len(s.provinces.all(r.Context()))
	return s.renderForm(w, r, "reports_periods", &data, formErr)
}

// Has tells the template whether a list holds v.
func (d reportsPeriodsData) Has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) reportsPeriodCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formLarge); err != nil {
		return err
	}
	f := r.PostForm
	in := reports.PeriodInput{ProvinceCode: f.Get("province_code"), Title: f.Get("title"), PeriodStart: f.Get("period_start"), PeriodEnd: f.Get("period_end"), DueDate: f.Get("due_date"),
		ReportingLevel: f.Get("reporting_level"), UnitLevel: f.Get("unit_level"), Sections: f["sections"], Narratives: f["narratives"], NumberPrefix: strings.TrimSpace(f.Get("number_prefix"))}
	if codes := strings.TrimSpace(f.Get("unit_codes")); codes != "" {
		in.ReportingLevel, in.UnitLevel = "", ""
		in.UnitCodes = strings.FieldsFunc(codes, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
	}
	p, err := s.Reports.CreatePeriod(r.Context(), in)
	if err != nil {
		return s.renderReportsPeriods(w, r, in, err)
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/reports/periods/%d", p.ID), "reports.flash.period_created")
}

func (s *Server) reportsPlanSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formTiny); err != nil {
		return err
	}
	p, created, err := s.Reports.CreatePlanPeriod(r.Context(), r.PostForm.Get("province_code"))
	if err != nil {
		return err
	}
	if created {
		s.flash(w, "reports.flash.period_created")
	} else {
		s.flash(w, "reports.flash.plan_exists")
	}
	http.Redirect(w, r, fmt.Sprintf("/reports/periods/%d", p.ID), http.StatusSeeOther)
	return nil
}

type reportsPeriodData struct {
	Page
	Status reports.Status
	// Writable lists the units whose report the viewer writes.
	Writable map[string]bool
	// Reviewer tells that the viewer reviews the period's reports (reminders, summary);
	// Summary that the viewer reads the summary (the reviewer, and the national administrators).
	Reviewer, Summary bool
}

func (s *Server) reportsPeriodPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.Reports.PeriodStatus(r.Context(), id)
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := reportsPeriodData{Page: s.newPage(r, "reports.period_title"), Status: st, Writable: map[string]bool{},
		Reviewer: reports.MayReview(actor, st.Period.Province)}
	data.Summary = data.Reviewer || actor.IsNational()
	data.Title = st.Period.Title
	for _, u := range st.Units {
		if reports.MayWrite(actor, u.UnitPath) {
			data.Writable[u.UnitCode] = true
		}
	}
	return s.render(w, r, http.StatusOK, "reports_period", &data)
}

// Pct shows a share as a percentage.
func (reportsPeriodData) Pct(v float64) string { return reports.Percent(v) }

func (s *Server) reportsOpenSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.OpenReport(r.Context(), id, r.PathValue("code"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/reports/%d", rep.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) reportsRemindSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.Reports.RemindPeriod(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(r, "")
	text := p.T("reports.flash.reminded", res.Queued)
	if res.WithoutEmail > 0 {
		text += " " + p.T("reports.remind.without_email", res.WithoutEmail)
	}
	s.flashText(w, text)
	http.Redirect(w, r, fmt.Sprintf("/reports/periods/%d", id), http.StatusSeeOther)
	return nil
}

// ---- One report ----

type reportsReportData struct {
	Page
	Period   reports.Period
	Report   reports.Report
	Sections [][]reports.Field
	Preview  bool
	CanEdit  bool
	// Reviewer tells that the viewer reviews the report: its province's administrator, or a
	// national administrator for a national period's.
	Reviewer bool
	Comment  string
}

// Number shows a figure the Vietnamese way.
func (reportsReportData) Number(v float64) string { return reports.FormatNumber(v) }

func (s *Server) reportsReportPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderReport(w, r, id, nil, nil)
}

// renderReport shows a report; after a refused change it shows the refusal (with its status:
// 423 for a locked report) and keeps what the person typed.
func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, id int64, typed *reports.DraftInput, formErr error) error {
	doc, err := s.Reports.Document(r.Context(), id)
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := reportsReportData{Page: s.newPage(r, ""), Period: doc.Period, Report: doc.Report, Preview: doc.Preview,
		Sections: reports.SectionsOf(doc.Figures, doc.Period.Sections), Reviewer: reports.MayReview(actor, doc.Period.Province),
		CanEdit: doc.Report.State.Editable() && reports.MayWrite(actor, doc.Report.UnitPath)}
	data.Title = doc.Period.Title + " — " + doc.Report.UnitName
	if typed != nil {
		for k, v := range typed.Narratives {
			data.Report.Narratives[k] = v
		}
		if typed.SignerNameGiven {
			data.Report.SignerName = typed.SignerName
		}
		if typed.SignerPositionGiven {
			data.Report.SignerPosition = typed.SignerPosition
		}
	}
	return s.renderForm(w, r, "reports_report", &data, formErr)
}

func (s *Server) reportsStepSubmit(step string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := parseForm(w, r, 256<<10); err != nil {
			return err
		}
		f := r.PostForm
		var typed *reports.DraftInput
		switch step {
		case "save", "submit":
			in := reports.DraftInput{Narratives: map[string]string{}, SignerName: f.Get("signer_name"), SignerPosition: f.Get("signer_position")}
			_, in.SignerNameGiven = f["signer_name"]
			_, in.SignerPositionGiven = f["signer_position"]
			in.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64)
			for _, k := range reports.Narratives {
				if v, ok := f[k]; ok {
					in.Narratives[k] = v[0]
				}
			}
			typed = &in
			if step == "save" {
				_, err = s.Reports.SaveDraft(r.Context(), id, in)
			} else {
				_, err = s.Reports.Submit(r.Context(), id, in)
			}
		case "return":
			_, err = s.Reports.Return(r.Context(), id, f.Get("comment"))
		case "reopen":
			_, err = s.Reports.Reopen(r.Context(), id, f.Get("comment"))
		case "accept":
			_, err = s.Reports.Accept(r.Context(), id)
		}
		if err != nil {
			if k := apperr.KindOf(err); k == apperr.NotFound || k == apperr.Unauthenticated {
				return err
			}
			return s.renderReport(w, r, id, typed, err)
		}
		return s.redirectFlash(w, r, fmt.Sprintf("/reports/%d", id), "reports.flash."+step)
	}
}

// ---- Summary ----

type reportsSummaryData struct {
	Page
	Summary reports.Summary
	// PS is the province's online public services before and after the launch.
	PS *psSection
}

// Number shows a figure the Vietnamese way.
func (reportsSummaryData) Number(v float64) string { return reports.FormatNumber(v) }

// Pct shows a share as a percentage.
func (reportsSummaryData) Pct(v float64) string { return reports.Percent(v) }

func (s *Server) reportsSummaryPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sum, err := s.Reports.Summary(r.Context(), id)
	if err != nil {
		return err
	}
	data := reportsSummaryData{Page: s.newPage(r, "reports.summary_title"), Summary: sum}
	if sum.Status.Period.National {
		data.Title = data.T("reports.summary_title_national")
	} else if p := sum.Status.Period.Province; p != "" {
		data.PS = s.psSectionOf(r, authz.ProvincePath(p), p)
	}
	return s.render(w, r, http.StatusOK, "reports_summary", &data)
}

// ---- Dashboards ----

type reportsDashboardData struct {
	Page
	D      reports.Dashboard
	Public bool
	// NationalLink puts the national dashboard at the head of the trail (national viewers).
	NationalLink bool
	Bars         barChart
	Lines        []lineChart
	MapW, MapH   float64
	// Base is the URL of this dashboard and Query what its export links must repeat
	// ("&province=51" for a public dashboard chosen by province).
	Base, Query string
	FieldKey    string
	FieldChoice []reports.Field
	href        func(reports.Child) string
	// PS is the online public services before and after the launch (pubservices_pages.go).
	PS *psSection
	// PSProvinces is the national dashboard's table of the provinces' online public services
	// before and after their own launches (reports_pubservices.go).
	PSProvinces *psProvinces
}

// PhoneColumns is how many headline figures the comparison table keeps on a phone, after the
// unit's name and its share: four lines per unit keep a district's thirteen cards within a few
// screens; the rest are on the unit's own dashboard and in the export.
func (reportsDashboardData) PhoneColumns() int { return 4 }

// Number shows a figure the Vietnamese way.
func (reportsDashboardData) Number(v float64) string { return reports.FormatNumber(v) }

// Share shows a share of target, or a dash when unknown.
func (reportsDashboardData) Share(v float64) string {
	if v < 0 {
		return "—"
	}
	return reports.Percent(v)
}

// Export is the link that downloads one of the dashboard's tables.
func (d reportsDashboardData) Export(table string) string {
	return d.Base + "/export?format=xlsx&table=" + table + d.Query
}

// Href is the drill-down link of a child, "" when the viewer may not open it.
func (d reportsDashboardData) Href(c reports.Child) string {
	if d.href == nil {
		return ""
	}
	return d.href(c)
}

// dashboardHome sends each viewer to the dashboard of where they work: a province's
// administrator to the province's, an official to their unit's, an organisation's coordinator to
// the organisation's. A national administrator gets the national dashboard, which compares the
// provinces and leads to each.
func (s *Server) dashboardHome(w http.ResponseWriter, r *http.Request) error {
	actor := authz.ActorFrom(r.Context())
	code := s.requestProvince(r)
	if code == "" && actor.IsNational() {
		days, err := s.dashboardDays(r)
		if err != nil {
			return err
		}
		d, err := s.Reports.NationalDashboard(r.Context(), days)
		if err != nil {
			return err
		}
		return s.renderDashboard(w, r, d, false)
	}
	if !actor.AdministersProvince(code) {
		if paths := actor.UnitPaths(authz.UnitAdmin, authz.TeamMember, authz.BridgeOperator); len(paths) > 0 {
			code = codeOfPath(paths[0])
		} else if orgs := actor.AdminOrgPaths(); len(orgs) > 0 {
			for _, g := range actor.Grants {
				if g.Role == authz.OrgAdmin {
					http.Redirect(w, r, fmt.Sprintf("/dashboard/orgs/%d", g.OrgID), http.StatusSeeOther)
					return nil
				}
			}
		}
	}
	if code == "" {
		// Someone working in several provinces, or in none: the public dashboard chooses.
		http.Redirect(w, r, "/dashboard/public", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/dashboard/units/"+code, http.StatusSeeOther)
	return nil
}

func (s *Server) dashboardUnitPage(w http.ResponseWriter, r *http.Request) error {
	days, err := s.dashboardDays(r)
	if err != nil {
		return err
	}
	d, err := s.Reports.UnitDashboard(r.Context(), r.PathValue("code"), days)
	if err != nil {
		return err
	}
	return s.renderDashboard(w, r, d, false)
}

func (s *Server) dashboardPublicPage(w http.ResponseWriter, r *http.Request) error {
	days, err := s.dashboardDays(r)
	if err != nil {
		return err
	}
	d, err := s.Reports.PublicDashboard(r.Context(), s.dashboardProvince(r), days)
	if err != nil {
		return err
	}
	return s.renderDashboard(w, r, d, true)
}

// chosenField is the figure the bar chart compares: ?field=section.key, else the measure, else
// the first figure.
func chosenField(r *http.Request, d reports.Dashboard) reports.Field {
	want := r.URL.Query().Get("field")
	for _, f := range d.Headline {
		if f.Section+"."+f.Key == want {
			return f
		}
	}
	if d.Measure.Key != "" {
		return d.Measure
	}
	if len(d.Headline) > 0 {
		return d.Headline[0]
	}
	return reports.Field{}
}

func (s *Server) renderDashboard(w http.ResponseWriter, r *http.Request, d reports.Dashboard, public bool) error {
	data := reportsDashboardData{Page: s.newPage(r, "reports.dashboard_title"), D: d, Public: public, FieldChoice: d.Headline}
	name := d.Unit.Name
	if d.National {
		name = data.T("reports.national_name")
	}
	data.Title = data.T("reports.dashboard_of", name)
	data.NationalLink = !public && !d.National && data.Actor.IsNational()
	data.Base = "/dashboard/units/" + d.Unit.Code
	switch {
	case public || d.National:
		data.Base = data.PortalBase + "/dashboard/public"
		if code := r.URL.Query().Get("province"); public && code != "" && portalProvince(r) == "" {
			data.Query = "&province=" + url.QueryEscape(code)
		}
	}
	switch {
	case public && d.National:
		// The national page leads to each province's public dashboard.
		data.href = func(c reports.Child) string { return "/dashboard/public?province=" + url.QueryEscape(c.Code) }
	case !public && d.ChildKind != "team":
		data.href = func(c reports.Child) string {
			if !c.Open {
				return ""
			}
			return "/dashboard/units/" + c.Code
		}
	}
	f := chosenField(r, d)
	data.FieldKey = f.Section + "." + f.Key
	data.Bars = makeBarChart(data.Label(f.LabelKey), data.T("reports.col.target"), d.Children, f.Section, f.Key, data.href)
	data.Bars.Caption = data.Bars.Title
	if d.Measure.Key != "" {
		data.Bars.Caption += " · " + data.T("reports.target_tick")
	}
	for _, sr := range d.Series {
		data.Lines = append(data.Lines, makeLineChart(data.Label(sr.LabelKey), sr))
	}
	data.MapW, data.MapH = reports.MapSize()
	switch {
	case !public && !d.National:
		data.PS = s.psSectionOf(r, d.Unit.Path, d.Unit.Code)
	case public && !d.National:
		// The province's public dashboard shows its online public services before and after the
		// launch too (aggregates only), without the link to the administrators' page.
		data.PS = s.psSectionOf(r, d.Unit.Path, "")
	case d.National:
		data.PSProvinces = s.psProvincesOf(r, d.Children)
	}
	return s.render(w, r, http.StatusOK, "reports_dashboard", &data)
}

func (s *Server) dashboardExport(public bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		format, err := exportFormat(r, "xlsx")
		if err != nil {
			return err
		}
		days, err := s.dashboardDays(r)
		if err != nil {
			return err
		}
		var d reports.Dashboard
		if public {
			d, err = s.Reports.PublicDashboard(r.Context(), s.dashboardProvince(r), days)
		} else {
			d, err = s.Reports.UnitDashboard(r.Context(), r.PathValue("code"), days)
		}
		if err != nil {
			return err
		}
		table := r.URL.Query().Get("table")
		var buf bytes.Buffer
		if err := d.WriteXLSX(&buf, table, s.translator(r)); err != nil {
			return apperr.Wrap(err, "dashboard export")
		}
		sendFile(w, d.ExportName(table)+"."+format, buf.Bytes())
		return nil
	}
}

// dashboardOrgExport downloads an organisation's dashboard: its headline figures, or its member
// organisations with table=children.
func (s *Server) dashboardOrgExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	o, err := s.Orgs.Find(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := s.Reports.OrgDashboard(r.Context(), o.ID, o.Path, o.UnitPath)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := d.WriteXLSX(&buf, r.URL.Query().Get("table"), s.translator(r)); err != nil {
		return apperr.Wrap(err, "org export")
	}
	sendFile(w, fmt.Sprintf("so-lieu-to-chuc-%d.%s", o.ID, format), buf.Bytes())
	return nil
}

type reportsOrgDashboardData struct {
	Page
	OrgName string
	D       reports.OrgDashboard
	Bars    barChart
}

// Number shows a figure the Vietnamese way.
func (reportsOrgDashboardData) Number(v float64) string { return reports.FormatNumber(v) }

func (s *Server) dashboardOrgPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if r.URL.Query().Has("format") {
		// The page used to export itself with ?format=xlsx: that link now goes to its export.
		http.Redirect(w, r, fmt.Sprintf("/dashboard/orgs/%d/export?%s", id, r.URL.RawQuery), http.StatusPermanentRedirect)
		return nil
	}
	o, err := s.Orgs.Find(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := s.Reports.OrgDashboard(r.Context(), o.ID, o.Path, o.UnitPath)
	if err != nil {
		return err
	}
	data := reportsOrgDashboardData{Page: s.newPage(r, "reports.dashboard_title"), OrgName: o.Name, D: d}
	data.Title = data.T("reports.dashboard_of", o.Name)
	if len(d.Children) > 0 {
		// Member organisations compared on the measure (else the first figure), each a link down.
		f := d.Measure
		if f.Key == "" && len(d.Headline) > 0 {
			f = d.Headline[0]
		}
		data.Bars = makeBarChart(data.Label(f.LabelKey), data.T("reports.col.target"), d.Children, f.Section, f.Key,
			func(c reports.Child) string { return "/dashboard/orgs/" + c.Code })
		data.Bars.Caption = data.Bars.Title
		if d.Measure.Key != "" {
			data.Bars.Caption += " · " + data.T("reports.target_tick")
		}
	}
	return s.render(w, r, http.StatusOK, "reports_org_dashboard", &data)
}

// IsTrue reads an optional yes/no (timeliness) for the templates.
func (reportsPeriodData) IsTrue(b *bool) bool { return b != nil && *b }

// IsTrue reads an optional yes/no (timeliness) for the templates.
func (reportsReportData) IsTrue(b *bool) bool { return b != nil && *b }

// reportsStatusExport downloads the status table of a period (the viewer's scope) as xlsx.
func (s *Server) reportsStatusExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	st, err := s.Reports.PeriodStatus(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := (reports.Summary{Status: st}).WriteStatusXLSX(&buf, s.translator(r)); err != nil {
		return apperr.Wrap(err, "status export")
	}
	sendFile(w, fmt.Sprintf("tinh-hinh-nop-bao-cao-%d.%s", id, format), buf.Bytes())
	return nil
}

// labelText is a figure's label: a catalog key, or literal text (a skill's name) after
// reports.LiteralLabel.
func labelText(p Page, key string) string {
	if text, ok := strings.CutPrefix(key, reports.LiteralLabel); ok {
		return text
	}
	return p.T(key)
}

// Label is a figure's label in the viewer's language.
func (d reportsReportData) Label(key string) string { return labelText(d.Page, key) }

// Label is a figure's label in the viewer's language.
func (d reportsSummaryData) Label(key string) string { return labelText(d.Page, key) }

// Label is a figure's label in the viewer's language.
func (d reportsDashboardData) Label(key string) string { return labelText(d.Page, key) }

// Label is a figure's label in the viewer's language.
func (d reportsOrgDashboardData) Label(key string) string { return labelText(d.Page, key) }

// Cell shows a member organisation's value of a figure, or a dash.
func (reportsOrgDashboardData) Cell(c reports.Child, section, key string) string {
	return reportsDashboardData{}.Cell(c, section, key)
}

// Cell shows a child's value of a figure, or a dash when the child has no such figure (a team
// has members but no figures of its own for the unit-level counts).
func (reportsDashboardData) Cell(c reports.Child, section, key string) string {
	for _, f := range c.Fields {
		if f.Section == section && f.Key == key {
			return reports.FormatNumber(f.Value)
		}
	}
	return "—"
}
