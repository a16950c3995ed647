package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/reports"
)

// psProvinceRow is one province's online public services before and after its own launch, on the
// national dashboard.
type psProvinceRow struct {
	Code, Name string
	S          pubservices.Summary
}

// psProvinces is the national dashboard's table of the provinces' online public services before
// and after their launches: each province launched on a date of its own, so they are compared
// province by province, never added up.
type psProvinces struct {
	Rows []psProvinceRow
	tr   i18n.Translator
}

// T translates for the section's template.
func (p psProvinces) T(key string, args ...any) string { return p.tr(key, args...) }

// Pct writes a share in percent, its sign kept beside the number on a narrow screen.
func (psProvinces) Pct(v *float64) string {
	return strings.Replace(pubservicesData{}.Pct(v), " %", "\u00a0%", 1)
}

// Pts writes a change in percentage points (the column says so) with its sign, or a dash.
func (psProvinces) Pts(v *float64) string {
	if v == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%+.1f", *v), ".", ",", 1)
}

// Launch is the day of a province's launch, or a dash.
func (psProvinces) Launch(row psProvinceRow) string {
	if row.S.LaunchAt == nil {
		return "—"
	}
	return row.S.LaunchAt.In(reports.VietnamTime).Format("02/01/2006")
}

// psProvincesOf is the table of the national dashboard's provinces that imported statistics, nil
// when none has (or without the public services module). A province whose statistics cannot be
// read is left out and logged: a dashboard is not refused for a figure beside it.
func (s *Server) psProvincesOf(r *http.Request, children []reports.Child) *psProvinces {
	if s.PublicServices == nil {
		return nil
	}
	out := &psProvinces{tr: s.translator(r)}
	for _, c := range children {
		sum, ok, err := s.PublicServices.ProvinceSummary(r.Context(), authz.ProvincePath(c.Code))
		if err != nil {
			s.Logger.Warn("public services summary", "province", c.Code, "err", err)
			continue
		}
		if ok {
			out.Rows = append(out.Rows, psProvinceRow{Code: c.Code, Name: c.Name, S: sum})
		}
	}
	if len(out.Rows) == 0 {
		return nil
	}
	return out
}
