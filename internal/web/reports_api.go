package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/reports"
)

// reportsTranslator translates into the request's language, reading the reports' literal labels.
func (s *Server) reportsTranslator(r *http.Request) i18n.Translator {
	return reports.Labels(s.translator(r))
}

// reportsLabel fills the labels of figures for JSON answers.
func (s *Server) reportsLabel(r *http.Request, fields []reports.Field) []reports.Field {
	t := s.reportsTranslator(r)
	for i := range fields {
		fields[i].Label = t(fields[i].LabelKey)
	}
	if fields == nil {
		return []reports.Field{}
	}
	return fields
}

func (s *Server) apiReportPeriods(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Reports.ListPeriods(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiReportPeriodCreate(w http.ResponseWriter, r *http.Request) error {
	var in reports.PeriodInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Reports.CreatePeriod(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiReportPlanPeriod(w http.ResponseWriter, r *http.Request) error {
	// The body is optional: {"province_code": "01"} names the province when the administrator
	// administers several.
	var in struct {
		ProvinceCode string `json:"province_code"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	p, created, err := s.Reports.CreatePlanPeriod(r.Context(), in.ProvinceCode)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, p)
	return nil
}

func (s *Server) apiReportPeriodStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.Reports.PeriodStatus(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) apiReportRemind(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.Reports.RemindPeriod(r.Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		reports.RemindResult
		// Message says, in the request's language, why some administrators got no reminder.
		Message string `json:"message,omitempty"`
	}{RemindResult: res}
	if res.WithoutEmail > 0 {
		out.Message = s.I18n.T(langOf(r), "reports.remind.without_email", res.WithoutEmail)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiReportOpen(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.OpenReport(r.Context(), id, r.PathValue("code"))
	if err != nil {
		return err
	}
	rep.Figures = s.reportsLabel(r, rep.Figures)
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) apiReportsList(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("period") == "" {
		return apperr.InvalidField("period", "error.query_missing", "period")
	}
	period, err := strconv.ParseInt(r.URL.Query().Get("period"), 10, 64)
	if err != nil || period <= 0 {
		return apperr.InvalidField("period", "error.query_number", "period")
	}
	list, err := s.Reports.ListReports(r.Context(), period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiReportGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.Reports.FindReport(r.Context(), id)
	if err != nil {
		return err
	}
	rep.Figures = s.reportsLabel(r, rep.Figures)
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// apiReportStep runs one workflow step that takes a JSON body.
func (s *Server) apiReportStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var rep reports.Report
		switch step {
		case "save", "submit":
			var in reports.DraftInput
			if r.ContentLength != 0 {
				if err := decodeJSON(w, r, &in); err != nil {
					return err
				}
			}
			if step == "save" {
				rep, err = s.Reports.SaveDraft(r.Context(), id, in)
			} else {
				rep, err = s.Reports.Submit(r.Context(), id, in)
			}
		case "return", "reopen":
			var in struct {
				Comment string `json:"comment"`
			}
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
			if step == "return" {
				rep, err = s.Reports.Return(r.Context(), id, in.Comment)
			} else {
				rep, err = s.Reports.Reopen(r.Context(), id, in.Comment)
			}
		case "accept":
			rep, err = s.Reports.Accept(r.Context(), id)
		}
		if err != nil {
			return err
		}
		rep.Figures = s.reportsLabel(r, rep.Figures)
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
}

func (s *Server) apiReportExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx", "pdf")
	if err != nil {
		return err
	}
	doc, err := s.Reports.Document(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "xlsx" {
		err = doc.WriteXLSX(&buf, s.translator(r))
	} else {
		err = doc.WritePDF(&buf, s.translator(r))
	}
	if err != nil {
		return apperr.Wrap(err, "export report")
	}
	sendFile(w, fmt.Sprintf("bao-cao-%s-%d.%s", doc.Report.UnitCode, doc.Report.ID, format), buf.Bytes())
	return nil
}

func (s *Server) apiReportSummaryExport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx", "pdf")
	if err != nil {
		return err
	}
	sum, err := s.Reports.Summary(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if format == "xlsx" {
		err = sum.WriteXLSX(&buf, s.translator(r))
	} else {
		err = sum.WritePDF(&buf, s.translator(r), s.Now())
	}
	if err != nil {
		return apperr.Wrap(err, "export summary")
	}
	sendFile(w, fmt.Sprintf("tong-hop-bao-cao-%d.%s", id, format), buf.Bytes())
	return nil
}

// dashboardJSON is the API shape of a dashboard. The national dashboard has level "national",
// no unit and the provinces as children.
type dashboardJSON struct {
	Unit       string             `json:"unit_code"`
	Name       string             `json:"unit_name"`
	Level      string             `json:"level"`
	National   bool               `json:"national"`
	Headline   []reports.Field    `json:"headline"`
	Measure    string             `json:"measure,omitempty"`
	ChildKind  string             `json:"child_kind,omitempty"`
	Children   []dashboardChild   `json:"children"`
	Series     []reports.Series   `json:"series"`
	Map        []dashboardMapArea `json:"map,omitempty"`
	ComputedAt time.Time          `json:"computed_at"`
}

type dashboardChild struct {
	Code   string          `json:"code"`
	Name   string          `json:"name"`
	Share  *float64        `json:"share"`
	Fields []reports.Field `json:"fields"`
}

type dashboardMapArea struct {
	Code  string   `json:"code"`
	Name  string   `json:"name"`
	Share *float64 `json:"share"`
}

func sharePtr(v float64) *float64 {
	if v < 0 {
		return nil
	}
	return &v
}

func (s *Server) dashboardToJSON(r *http.Request, d reports.Dashboard) dashboardJSON {
	out := dashboardJSON{Unit: d.Unit.Code, Name: d.Unit.Name, Level: string(d.Unit.Level), National: d.National, Headline: s.reportsLabel(r, d.Headline),
		Measure: d.Measure.Key, ChildKind: d.ChildKind, Children: []dashboardChild{}, Series: d.Series, ComputedAt: d.ComputedAt}
	t := s.reportsTranslator(r)
	if d.National {
		out.Level, out.Name = "national", t("reports.national_name")
	}
	for i := range out.Series {
		out.Series[i].Label = t(out.Series[i].LabelKey)
	}
	if out.Series == nil {
		out.Series = []reports.Series{}
	}
	for _, c := range d.Children {
		out.Children = append(out.Children, dashboardChild{Code: c.Code, Name: c.Name, Share: sharePtr(c.Share), Fields: s.reportsLabel(r, c.Fields)})
	}
	for _, m := range d.Map {
		out.Map = append(out.Map, dashboardMapArea{Code: m.Code, Name: m.Name, Share: sharePtr(m.Share)})
	}
	return out
}

func (s *Server) dashboardDays(r *http.Request) (int, error) {
	days, err := queryInt(r, "days", reports.DefaultDays)
	if err != nil || days < 1 || days > 366 {
		return 0, apperr.InvalidField("days", "reports.error.days")
	}
	return days, nil
}

func (s *Server) apiDashboardUnit(w http.ResponseWriter, r *http.Request) error {
	days, err := s.dashboardDays(r)
	if err != nil {
		return err
	}
	d, err := s.Reports.UnitDashboard(r.Context(), r.PathValue("code"), days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.dashboardToJSON(r, d))
	return nil
}

func (s *Server) apiDashboardPublic(w http.ResponseWriter, r *http.Request) error {
	days, err := s.dashboardDays(r)
	if err != nil {
		return err
	}
	d, err := s.Reports.PublicDashboard(r.Context(), s.dashboardProvince(r), days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.dashboardToJSON(r, d))
	return nil
}

// dashboardProvince is the province of a public dashboard: the portal's (by host name or path
// prefix), else the one chosen with ?province=, else the viewer's own or the deployment's only
// one; "" is the national dashboard, which compares the provinces.
func (s *Server) dashboardProvince(r *http.Request) string {
	if code := portalProvince(r); code != "" {
		return code
	}
	if code := strings.TrimSpace(r.URL.Query().Get("province")); code != "" {
		return code
	}
	return s.requestProvince(r)
}
