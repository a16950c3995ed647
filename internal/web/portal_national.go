package web

import (
	"net/http"

	"github.com/lantoa/lantoa/internal/portal"
)

func init() {
	requiredPages = append(requiredPages, "portal_national")
}

// nationalFigureKeys are the headline figures the national page shows for each province (those
// that a registered source gives), in this order: citizens guided by the community teams, learners
// who passed, the teams' members.
var nationalFigureKeys = []string{"portal.figure.outreach.citizens", "portal.figure.training.passed", "portal.figure.users.team_member"}

type nationalProvince struct {
	Code, Name string
	// Href is the province's portal ("/tinh/51").
	Href       string
	Figures    []portal.Figure
	FiguresErr bool
}

type nationalData struct {
	Page
	Provinces []nationalProvince
	// Totals adds up each headline figure over the provinces whose figures could be read; Partial
	// says that some could not.
	Totals  []portal.Figure
	Partial bool
}

// nationalHome is "/" of a deployment of several provinces reached without a mapped host or a
// prefix: the list of the provinces, each with its headline figures (the same registry, cache and
// sources as its own portal) and a link to its portal, and the country's totals of those figures.
// It names no province.
func (s *Server) nationalHome(w http.ResponseWriter, r *http.Request) error {
	data := nationalData{Page: s.newPage(r, "portal.national.title")}
	// The page is the country's whoever reads it: no province's name, links or menu entries.
	data.Province, data.ProvinceName, data.PortalBase = "", "", ""
	data.Nav = s.nav(data.Page)
	ctx := r.Context()
	totals := map[string]int64{}
	for _, u := range s.provinces.all(ctx) {
		p := nationalProvince{Code: u.Code, Name: u.Name, Href: s.provinceHref(r, u.Code)}
		figs, err := s.Figures.Collect(ctx, u.Code)
		if err != nil {
			s.Logger.Error("national page figures", "province", u.Code, "err", err)
			p.FiguresErr, data.Partial = true, true
		}
		byKey := map[string]int64{}
		for _, f := range figs {
			byKey[f.Key] = f.Value
		}
		for _, k := range nationalFigureKeys {
			if v, ok := byKey[k]; ok {
				p.Figures = append(p.Figures, portal.Figure{Key: k, Value: v})
				totals[k] += v
			}
		}
		data.Provinces = append(data.Provinces, p)
	}
	for _, k := range nationalFigureKeys {
		if v, ok := totals[k]; ok {
			data.Totals = append(data.Totals, portal.Figure{Key: k, Value: v})
		}
	}
	data.OG = &OpenGraph{Title: data.T("portal.national.heading"), Description: data.T("portal.national.lead", len(data.Provinces)),
		URL: s.publicBaseURL(r) + "/", Type: "website"}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "portal_national", &data)
}
