package reports

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/units"
)

// Labels is t reading a label after LiteralLabel as its text (a skill's name) and every other
// key through the catalog. Each layout here wraps the translator it is given, so that callers pass
// their reader's plain i18n.Translator; wrapping twice is harmless.
func Labels(t i18n.Translator) i18n.Translator {
	return func(key string, args ...any) string {
		if text, ok := strings.CutPrefix(key, LiteralLabel); ok {
			return text
		}
		return t(key, args...)
	}
}

// FormatNumber writes a figure the Vietnamese way: dot as thousands separator, comma for decimals.
func FormatNumber(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	whole := int64(v)
	frac := v - float64(whole)
	digits := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	s := b.String()
	if frac >= 0.005 {
		s += "," + fmt.Sprintf("%02d", int(frac*100+0.5))[:2]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Percent writes a share as "87,5%".
func Percent(share float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.ReplaceAll(fmt.Sprintf("%.1f", share*100), ".", ","), "0"), ",") + "%"
}

// issuerOf is the issuing body of a unit's report: its People's Committee.
func issuerOf(unitName string) string {
	return "ỦY BAN NHÂN DÂN\n" + strings.ToUpper(unitName)
}

func roman(n int) string {
	vals := []struct {
		v int
		s string
	}{{10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}
	var b strings.Builder
	for _, x := range vals {
		for n >= x.v {
			b.WriteString(x.s)
			n -= x.v
		}
	}
	return b.String()
}

// ictMerger is the day the Ministry of Information and Communications merged into the Ministry of
// Science and Technology (Resolution 176/2025/QH15, Decree 55/2025/NĐ-CP), and with it every
// province's Department of Information and Communications into its Department of Science and
// Technology (in March 2025): the body that receives and compiles the reports.
const ictMerger = "2025-03-01"

// bodies names the department and the ministry in charge of the movement for a document due on
// due: the Departments and the Ministry of Information and Communications before the merger, those
// of Science and Technology after it. A document of 2023 keeps its 2023 names.
type bodies struct {
	Department, DepartmentShort, DepartmentSymbol, Ministry, MinistrySymbol string
}

func bodiesOn(due time.Time) bodies {
	if due.In(VietnamTime).Format("2006-01-02") < ictMerger {
		return bodies{"Sở Thông tin và Truyền thông", "Sở TT&TT", "BC-STTTT", "Bộ Thông tin và Truyền thông", "BC-BTTTT"}
	}
	return bodies{"Sở Khoa học và Công nghệ", "Sở KH&CN", "BC-SKHCN", "Bộ Khoa học và Công nghệ", "BC-BKHCN"}
}

// ReportDocument is what the exports of one report need.
type ReportDocument struct {
	Period Period
	Report Report
	// ProvinceName is the official name of the reporting unit's province, from the unit tree
	// ("Tỉnh Quảng Ngãi", "Thành phố Hà Nội").
	ProvinceName string
	// Figures are the snapshot (or the live preview of a draft, marked as such).
	Figures []Field
	Preview bool
}

// Document gathers a report's export; the figures of a report never submitted are a live preview.
func (s *Service) Document(ctx context.Context, id int64) (ReportDocument, error) {
	r, err := s.FindReport(ctx, id)
	if err != nil {
		return ReportDocument{}, err
	}
	p, err := s.FindPeriod(ctx, r.PeriodID)
	if err != nil {
		return ReportDocument{}, err
	}
	// The province version the report was made in (a province's path does not change when its
	// map does), not whatever unit holds its code today.
	prov, err := s.Units.FindPath(ctx, authz.ProvincePath(authz.ProvinceOfPath(r.UnitPath)))
	if err != nil {
		return ReportDocument{}, err
	}
	doc := ReportDocument{Period: p, Report: r, Figures: r.Figures, ProvinceName: prov.Name}
	if r.SubmittedAt.IsZero() {
		doc.Preview = true
		if doc.Figures, err = s.LiveFigures(ctx, r, p); err != nil {
			return ReportDocument{}, err
		}
	}
	return doc, nil
}

// WriteXLSX writes the report as a workbook: a sheet of particulars, one sheet per section and
// one for the narratives.
func (d ReportDocument) WriteXLSX(w io.Writer, t i18n.Translator) error {
	t = Labels(t)
	info := sheet.Table{Name: t("reports.sheet.info"), Header: []string{t("reports.col.item"), t("reports.col.value")}, Rows: [][]any{
		{t("reports.field.title"), d.Period.Title},
		{t("reports.field.unit"), d.Report.UnitName},
		{t("reports.field.unit_code"), d.Report.UnitCode},
		{t("reports.field.state"), t("reports.state." + string(d.Report.State))},
		{t("reports.field.due_date"), d.Period.DueAt.In(VietnamTime).Format("02/01/2006")},
		{t("reports.field.submitted_at"), timeText(d.Report.SubmittedAt)},
		{t("reports.field.timeliness"), timelinessText(d.Report.OnTime, t)},
		{t("reports.field.accepted_at"), timeText(d.Report.AcceptedAt)},
	}}
	tables := []sheet.Table{info}
	for _, fields := range SectionsOf(d.Figures, d.Period.Sections) {
		tb := sheet.Table{Name: t("reports.section." + fields[0].Section), Header: []string{t("reports.col.figure"), t("reports.col.value"), t("reports.col.target"), t("reports.col.measure")}}
		for _, f := range fields {
			var target any = ""
			if f.Target > 0 {
				target = f.Target
			}
			tb.Rows = append(tb.Rows, []any{t(f.LabelKey), f.Value, target, measure(f.Unit, t)})
		}
		tables = append(tables, tb)
	}
	narr := sheet.Table{Name: t("reports.sheet.narratives"), Header: []string{t("reports.col.item"), t("reports.col.content")}}
	for _, k := range d.Period.Narratives {
		narr.Rows = append(narr.Rows, []any{t("reports.narrative." + k), d.Report.Narratives[k]})
	}
	tables = append(tables, narr)
	return sheet.WriteXLSX(w, tables...)
}

func measure(key string, t i18n.Translator) string {
	if key == "" {
		return ""
	}
	return t(key)
}

func timeText(at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return at.In(VietnamTime).Format("02/01/2006 15:04")
}

func timelinessText(on *bool, t i18n.Translator) string {
	switch {
	case on == nil:
		return t("reports.timeliness.none")
	case *on:
		return t("reports.timeliness.on_time")
	default:
		return t("reports.timeliness.late")
	}
}

// WritePDF lays the report out as a Decree 30 administrative report of the unit's People's
// Committee to its province's People's Committee or, for a national period, of the province to
// the national steering committee. Every place and body is named from the unit tree.
func (d ReportDocument) WritePDF(w io.Writer, t i18n.Translator) error {
	t = Labels(t)
	r, p := d.Report, d.Period
	doc := pdfdoc.New(p.Title)
	date := r.SubmittedAt
	if date.IsZero() {
		date = time.Now()
	}
	prefix := p.NumberPrefix
	if prefix == "" {
		prefix = "BC-UBND"
	}
	doc.AdministrativeHeader(pdfdoc.Header{Issuer: issuerOf(r.UnitName), Number: pdfdoc.UnregisteredNumber(prefix), Place: units.PlaceName(r.UnitName), Date: date.In(VietnamTime)})
	doc.Title("BÁO CÁO", p.Title)
	if d.Preview {
		doc.SetFont(pdfdoc.Family, "I", 12)
		doc.MultiCell(0, 6, t("reports.pdf.preview"), "", "C", false)
	}
	due := p.DueAt.In(VietnamTime).Format("02/01/2006")
	b := bodiesOn(p.DueAt)
	recipients := []string{"UBND " + units.InSentence(d.ProvinceName) + " (qua " + b.DepartmentShort + ") (b/c)", b.Department, "Lưu: VT"}
	if p.National {
		doc.Paragraph(t("reports.pdf.intro_national", r.UnitName, due))
		recipients = []string{b.Ministry + " (b/c)", "Lưu: VT"}
	} else {
		doc.Paragraph(t("reports.pdf.intro", units.InSentence(d.ProvinceName), r.UnitName, due))
	}
	n := 0
	for _, fields := range SectionsOf(d.Figures, p.Sections) {
		n++
		doc.Heading(roman(n) + ". " + strings.ToUpper(t("reports.section."+fields[0].Section)))
		rows := make([][]string, 0, len(fields))
		for i, f := range fields {
			target := ""
			if f.Target > 0 {
				target = FormatNumber(f.Target)
			}
			rows = append(rows, []string{fmt.Sprintf("%d. %s", i+1, t(f.LabelKey)), FormatNumber(f.Value), target})
		}
		doc.Table([]string{t("reports.col.figure"), t("reports.col.value"), t("reports.col.target")}, []float64{100, 30, 30}, rows)
	}
	for _, k := range p.Narratives {
		n++
		doc.Heading(roman(n) + ". " + strings.ToUpper(t("reports.narrative."+k)))
		text := strings.TrimSpace(r.Narratives[k])
		if text == "" {
			text = "…"
		}
		for _, para := range strings.Split(text, "\n") {
			if strings.TrimSpace(para) != "" {
				doc.Paragraph(strings.TrimSpace(para))
			}
		}
	}
	position := r.SignerPosition
	if position == "" {
		position = "CHỦ TỊCH"
	}
	doc.SignatureBlock(pdfdoc.Signature{
		Recipients: recipients,
		Authority:  "TM. ỦY BAN NHÂN DÂN", Position: strings.ToUpper(position), Name: r.SignerName,
	})
	return doc.Write(w)
}

// Summary assembles the reports of a period for its reviewer: the status of each assigned unit
// and, per section, the figures of every report in the reviewer's hands (submitted or accepted)
// with the totals — a province's districts, or for a national period the provinces.
type Summary struct {
	Status Status
	// ProvinceName is the official name of the period's province, "" for a national period.
	ProvinceName string
	Sections     []SummarySection
	// Narratives maps unit code → narrative key → text, from reports in the province's hands.
	Narratives map[string]map[string]string
	// PublicServices is the province's online public services before and after its launch, nil
	// for a national period or a province without statistics (WithPublicServices).
	PublicServices *pubservices.Summary
}

// SummarySection is one section across units.
type SummarySection struct {
	Section string
	Fields  []Field // the section's figures (labels and measures), in order
	Rows    []SummaryRow
	Totals  []float64
}

// SummaryRow is one unit's figures of a section.
type SummaryRow struct {
	UnitCode, UnitName string
	Values             []float64
}

// Summary builds the summary of a period: for its reviewer (the province's administrator, or a
// national administrator for a national period), and for the national administrators, who read
// every province's summaries.
func (s *Service) Summary(ctx context.Context, periodID int64) (Summary, error) {
	actor := authz.ActorFrom(ctx)
	p, err := s.FindPeriod(ctx, periodID)
	if err != nil {
		return Summary{}, err
	}
	if !MayReview(actor, p.Province) && !actor.IsNational() {
		return Summary{}, reviewError(actor, p.Province)
	}
	st, err := s.PeriodStatus(ctx, periodID)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Status: st, ProvinceName: p.ProvinceName, Narratives: map[string]map[string]string{}}
	bySection := map[string]*SummarySection{}
	for _, sec := range st.Period.Sections {
		bySection[sec] = &SummarySection{Section: sec}
	}
	for _, u := range st.Units {
		if !u.State.Reported() {
			continue
		}
		r, err := s.FindReport(ctx, u.ReportID)
		if err != nil {
			return Summary{}, err
		}
		sum.Narratives[u.UnitCode] = r.Narratives
		for _, fields := range SectionsOf(r.Figures, st.Period.Sections) {
			ss := bySection[fields[0].Section]
			if ss.Fields == nil {
				ss.Fields = fields
				ss.Totals = make([]float64, len(fields))
			}
			row := SummaryRow{UnitCode: u.UnitCode, UnitName: u.UnitName, Values: make([]float64, len(ss.Fields))}
			for _, f := range fields {
				for i, sf := range ss.Fields {
					if sf.Key == f.Key {
						row.Values[i] = f.Value
						ss.Totals[i] += f.Value
					}
				}
			}
			ss.Rows = append(ss.Rows, row)
		}
	}
	for _, sec := range st.Period.Sections {
		if ss := bySection[sec]; len(ss.Rows) > 0 {
			sum.Sections = append(sum.Sections, *ss)
		}
	}
	if sum.PublicServices, err = s.publicServicesOf(ctx, p); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

func stateText(u UnitStatus, t i18n.Translator) string { return t("reports.state." + string(u.State)) }

// statusTable is the status of every assigned unit with the rates.
func (sum Summary) statusTable(t i18n.Translator) sheet.Table {
	status := sheet.Table{Name: t("reports.sheet.status"), Header: []string{t("reports.col.unit_code"), t("reports.col.unit"), t("reports.col.state"), t("reports.col.timeliness"), t("reports.col.submitted_at")}}
	for _, u := range sum.Status.Units {
		status.Rows = append(status.Rows, []any{u.UnitCode, u.UnitName, stateText(u, t), timelinessText(u.OnTime, t), timeText(u.SubmittedAt)})
	}
	status.Rows = append(status.Rows, []any{"", t("reports.reporting_rate"), Percent(sum.Status.ReportingRate), t("reports.on_time_rate"), Percent(sum.Status.OnTimeRate)})
	return status
}

// WriteStatusXLSX writes only the status sheet.
func (sum Summary) WriteStatusXLSX(w io.Writer, t i18n.Translator) error {
	t = Labels(t)
	return sheet.WriteXLSX(w, sum.statusTable(t))
}

// WriteXLSX writes the summary: a status sheet, one sheet per section (units × figures, with the
// province's total) and the narratives.
func (sum Summary) WriteXLSX(w io.Writer, t i18n.Translator) error {
	t = Labels(t)
	tables := []sheet.Table{sum.statusTable(t)}
	for _, ss := range sum.Sections {
		tb := sheet.Table{Name: t("reports.section." + ss.Section), Header: []string{t("reports.col.unit_code"), t("reports.col.unit")}}
		for _, f := range ss.Fields {
			tb.Header = append(tb.Header, t(f.LabelKey))
		}
		for _, r := range ss.Rows {
			row := []any{r.UnitCode, r.UnitName}
			for _, v := range r.Values {
				row = append(row, v)
			}
			tb.Rows = append(tb.Rows, row)
		}
		total := []any{"", t("reports.total")}
		for _, v := range ss.Totals {
			total = append(total, v)
		}
		tb.Rows = append(tb.Rows, total)
		tables = append(tables, tb)
	}
	if sum.PublicServices != nil {
		tables = append(tables, psSheet(*sum.PublicServices, t))
	}
	narr := sheet.Table{Name: t("reports.sheet.narratives"), Header: []string{t("reports.col.unit_code"), t("reports.col.unit")}}
	for _, k := range sum.Status.Period.Narratives {
		narr.Header = append(narr.Header, t("reports.narrative."+k))
	}
	for _, u := range sum.Status.Units {
		n, ok := sum.Narratives[u.UnitCode]
		if !ok {
			continue
		}
		row := []any{u.UnitCode, u.UnitName}
		for _, k := range sum.Status.Period.Narratives {
			row = append(row, n[k])
		}
		narr.Rows = append(narr.Rows, row)
	}
	tables = append(tables, narr)
	return sheet.WriteXLSX(w, tables...)
}

// WritePDF lays the summary out as the Department's report to its province's People's Committee
// (named from the unit tree) or, for a national period, as the Ministry's report to the national
// steering committee.
func (sum Summary) WritePDF(w io.Writer, t i18n.Translator, now time.Time) error {
	t = Labels(t)
	p := sum.Status.Period
	doc := pdfdoc.New(p.Title)
	b := bodiesOn(p.DueAt)
	header := pdfdoc.Header{Parent: "UBND " + strings.ToUpper(units.InSentence(sum.ProvinceName)), Issuer: strings.ToUpper(b.Department),
		Number: pdfdoc.UnregisteredNumber(b.DepartmentSymbol), Place: units.PlaceName(sum.ProvinceName), Date: now.In(VietnamTime)}
	sign := pdfdoc.Signature{Recipients: []string{"UBND " + units.InSentence(sum.ProvinceName) + " (b/c)", "Các đơn vị được giao báo cáo", "Lưu: VT"},
		Authority: "KT. GIÁM ĐỐC", Position: "PHÓ GIÁM ĐỐC"}
	if p.National {
		// The seat of the national body is not in the unit tree: the date line names no place.
		header = pdfdoc.Header{Issuer: strings.ToUpper(b.Ministry), Number: pdfdoc.UnregisteredNumber(b.MinistrySymbol), Date: now.In(VietnamTime)}
		sign = pdfdoc.Signature{Recipients: []string{"Ban Chỉ đạo quốc gia về chuyển đổi số (b/c)", "UBND các tỉnh, thành phố trực thuộc Trung ương", "Lưu: VT"},
			Authority: "KT. BỘ TRƯỞNG", Position: "THỨ TRƯỞNG"}
	}
	doc.AdministrativeHeader(header)
	doc.Title("BÁO CÁO TỔNG HỢP", p.Title)
	st := sum.Status
	doc.Heading("I. " + strings.ToUpper(t("reports.pdf.status_heading")))
	text := t("reports.pdf.status_text", st.Assigned, st.Reported, Percent(st.ReportingRate), st.OnTime, Percent(st.OnTimeRate), st.Missing)
	if st.Returned > 0 {
		text += " " + t("reports.pdf.status_returned", st.Returned)
	}
	doc.Paragraph(text)
	var rows [][]string
	for i, u := range st.Units {
		rows = append(rows, []string{fmt.Sprintf("%d. %s", i+1, u.UnitName), stateText(u, t), timelinessText(u.OnTime, t)})
	}
	doc.Table([]string{t("reports.col.unit"), t("reports.col.state"), t("reports.col.timeliness")}, []float64{70, 50, 40}, rows)
	n := 1
	for _, ss := range sum.Sections {
		n++
		doc.Heading(roman(n) + ". " + strings.ToUpper(t("reports.section."+ss.Section)))
		// Three figures per table keeps the columns legible on a portrait A4 page.
		for start := 0; start < len(ss.Fields); start += 3 {
			end := min(start+3, len(ss.Fields))
			header := []string{t("reports.col.unit")}
			widths := []float64{55}
			for _, f := range ss.Fields[start:end] {
				header = append(header, t(f.LabelKey))
				widths = append(widths, 35)
			}
			var rows [][]string
			for _, r := range ss.Rows {
				row := []string{r.UnitName}
				for _, v := range r.Values[start:end] {
					row = append(row, FormatNumber(v))
				}
				rows = append(rows, row)
			}
			total := []string{t("reports.total")}
			for _, v := range ss.Totals[start:end] {
				total = append(total, FormatNumber(v))
			}
			rows = append(rows, total)
			doc.TableSized(10, header, widths, rows)
			doc.Ln(3)
		}
	}
	if ps := sum.PublicServices; ps != nil {
		n++
		doc.Heading(roman(n) + ". " + strings.ToUpper(t("pubservices.dashboard.heading")))
		doc.Paragraph(psIntro(*ps, t))
		if ps.LaunchAt != nil {
			doc.TableSized(10, psHeader(t), []float64{70, 30, 30, 30}, psLines(*ps, t))
			doc.Ln(3)
		}
	}
	doc.SignatureBlock(sign)
	return doc.Write(w)
}

// DashboardTables names the tables of a dashboard's export, in the order of the workbook.
var DashboardTables = []string{"headline", "children", "series"}

// tables are the tables of a dashboard by name: the headline figures, the children compared on
// each of them and the daily series.
func (d Dashboard) tables(t i18n.Translator) map[string]sheet.Table {
	head := sheet.Table{Name: t("reports.table.headline"), Header: []string{t("reports.col.figure"), t("reports.col.value"), t("reports.col.target"), t("reports.col.measure")}}
	for _, f := range d.Headline {
		var target any = ""
		if f.Target > 0 {
			target = f.Target
		}
		unit := ""
		if f.Unit != "" {
			unit = t(f.Unit)
		}
		head.Rows = append(head.Rows, []any{t("reports.section."+f.Section) + " — " + t(f.LabelKey), f.Value, target, unit})
	}
	children := sheet.Table{Name: t("reports.table.children"), Header: []string{t("reports.col.unit_code"), t("reports.col.name"), t("reports.col.share")}}
	for _, f := range d.Headline {
		children.Header = append(children.Header, t(f.LabelKey))
	}
	for _, c := range d.Children {
		var share any = ""
		if c.Share >= 0 {
			share = c.Share
		}
		row := []any{c.Code, c.Name, share}
		for _, f := range d.Headline {
			row = append(row, c.Value(f.Section, f.Key))
		}
		children.Rows = append(children.Rows, row)
	}
	series := sheet.Table{Name: t("reports.table.series"), Header: []string{t("reports.col.day")}}
	days := map[string][]any{}
	var order []string
	for i, sr := range d.Series {
		series.Header = append(series.Header, t(sr.LabelKey))
		for _, p := range sr.Points {
			if _, ok := days[p.Day]; !ok {
				days[p.Day] = make([]any, len(d.Series))
				order = append(order, p.Day)
			}
			days[p.Day][i] = p.Value
		}
	}
	for _, day := range order {
		series.Rows = append(series.Rows, append([]any{day}, days[day]...))
	}
	return map[string]sheet.Table{"headline": head, "children": children, "series": series}
}

// WriteXLSX writes one table of the dashboard (one of DashboardTables), or every table when table
// is "" or "all"; another name is invalid.
func (d Dashboard) WriteXLSX(w io.Writer, table string, t i18n.Translator) error {
	all := d.tables(Labels(t))
	var list []sheet.Table
	if table == "" || table == "all" {
		for _, name := range DashboardTables {
			list = append(list, all[name])
		}
	} else if tb, ok := all[table]; ok {
		list = []sheet.Table{tb}
	} else {
		return apperr.InvalidField("table", "reports.error.table")
	}
	return sheet.WriteXLSX(w, list...)
}

// ExportName is the download name of a dashboard's export (without its extension): the unit's
// code or the whole country, and the table when only one.
func (d Dashboard) ExportName(table string) string {
	name := "so-lieu-" + d.Unit.Code
	if d.National {
		name = "so-lieu-ca-nuoc"
	}
	if table != "" {
		name += "-" + table
	}
	return name
}

// WriteXLSX writes an organisation's dashboard: its headline figures or, when table is
// "children", the member organisations on each figure (a member without the figure is blank).
func (d OrgDashboard) WriteXLSX(w io.Writer, table string, t i18n.Translator) error {
	t = Labels(t)
	tb := sheet.Table{Name: t("reports.table.headline"), Header: []string{t("reports.col.figure"), t("reports.col.value")}}
	for _, f := range d.Headline {
		tb.Rows = append(tb.Rows, []any{t(f.LabelKey), f.Value})
	}
	if table == "children" {
		tb = sheet.Table{Name: t("reports.org_members"), Header: []string{"ID", t("reports.col.name")}}
		for _, f := range d.Headline {
			tb.Header = append(tb.Header, t(f.LabelKey))
		}
		for _, c := range d.Children {
			row := []any{c.Code, c.Name}
			for _, f := range d.Headline {
				var v any = ""
				for _, cf := range c.Fields {
					if cf.Section == f.Section && cf.Key == f.Key {
						v = cf.Value
					}
				}
				row = append(row, v)
			}
			tb.Rows = append(tb.Rows, row)
		}
	}
	return sheet.WriteXLSX(w, tb)
}
