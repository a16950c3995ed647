package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/units"
)

type commsData struct {
	Page
	Counts   []portal.MediaCount
	Items    []portal.MediaItem
	Channels []portal.MediaChannel
	Units    []units.Unit
	Orgs     []orgs.Org
	Filter   portal.MediaFilter
	Form     portal.MediaItem
	Owner    string // "u:535" or "o:12"
	Today    string
	Query    string // the filter as a query string, for the export link
	// Provinces is offered as a filter to a viewer who reads several provinces (the national
	// administrator); CanRecord tells whether the viewer records items at all (the national
	// administrator changes no province's data).
	Provinces []units.Unit
	CanRecord bool
}

// commsPage shows communication about the movement recorded by units and organisations in the
// viewer's scope and province: counts by unit and channel, the latest items, and the form to
// record one. The national administrator reads every province's, or one's, and records none.
func (s *Server) commsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderComms(w, r, portal.MediaItem{PublishedOn: s.Now().In(vietnamTime).Format("2006-01-02")}, "", nil)
}

func (s *Server) renderComms(w http.ResponseWriter, r *http.Request, form portal.MediaItem, owner string, formErr error) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	f, err := s.mediaFilter(r)
	if err != nil {
		return err
	}
	data := commsData{Page: s.newPage(r, "portal.comms.title"), Channels: portal.MediaChannels, Filter: f, Form: form, Owner: owner,
		Today: s.Now().In(vietnamTime).Format("2006-01-02"), Query: r.URL.RawQuery}
	ctx := r.Context()
	if data.Counts, err = s.Portal.MediaCounts(ctx, f); err != nil {
		return err
	}
	f.Limit = 100
	if data.Items, err = s.Portal.ListMedia(ctx, f); err != nil {
		return err
	}
	actor := authz.ActorFrom(ctx)
	if actor.IsNational() || len(actor.Provinces()) > 1 {
		data.Provinces = s.provinces.all(ctx)
	}
	data.CanRecord = len(actor.AdminUnitPaths()) > 0 || len(actor.AdminOrgPaths()) > 0
	if data.CanRecord {
		for _, root := range actor.AdminUnitPaths() {
			list, err := s.Units.List(ctx, units.Filter{Under: root})
			if err != nil {
				return err
			}
			for _, u := range list {
				if u.Level != units.Village {
					data.Units = append(data.Units, u)
				}
			}
		}
		if data.Orgs, err = s.Orgs.List(ctx, orgs.Filter{Managed: true, Limit: 2000}); err != nil {
			return err
		}
	}
	return s.renderForm(w, r, "portal_comms", &data, formErr)
}

func (s *Server) commsSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	owner := r.PostFormValue("owner")
	m := portal.MediaItem{Channel: portal.MediaChannel(r.PostFormValue("channel")), Title: r.PostFormValue("title"),
		Link: r.PostFormValue("link"), PublishedOn: r.PostFormValue("published_on")}
	switch {
	case strings.HasPrefix(owner, "u:"):
		m.UnitCode = owner[2:]
	case strings.HasPrefix(owner, "o:"):
		m.OrgID, _ = strconv.ParseInt(owner[2:], 10, 64)
	}
	if _, err := s.Portal.RecordMedia(r.Context(), m); err != nil {
		return s.renderComms(w, r, m, owner, err)
	}
	return s.redirectFlash(w, r, "/communication", "portal.flash.media_recorded")
}

// commsExport downloads the counts and the items as a workbook of two sheets.
func (s *Server) commsExport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	f, err := s.mediaFilter(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Portal.ExportMedia(r.Context(), f, s.translator(r), &buf); err != nil {
		return apperr.Wrap(err, "communication export")
	}
	sendFile(w, "truyen-thong."+format, buf.Bytes())
	return nil
}
