package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/units"
)

// The pages of the community digital technology teams: the member's offline phone form, progress,
// teams and rosters, campaigns and personal-data requests.

// outreachHome sends members to their form and administrators to progress.
func (s *Server) outreachHome(w http.ResponseWriter, r *http.Request) error {
	a := authz.ActorFrom(r.Context())
	target := "/outreach/progress"
	if a.Has(authz.TeamMember) && !a.IsAdmin() {
		target = "/outreach/form"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

type outreachFormData struct {
	Page
	UserID    int64
	Campaign  outreach.Campaign
	HasCamp   bool
	Mine      outreach.MyProgress
	Skills    []outreach.Skill
	Platforms []outreach.Skill
	Villages  []units.Unit
	Outcomes  []outreach.Outcome
	Start     string
	End       string
}

// outreachFormPage is the phone form. It works offline: the service worker keeps the last copy
// of this page and outreach.js queues records in IndexedDB, per user.
func (s *Server) outreachFormPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := authz.ActorFrom(ctx)
	if !a.Has(authz.TeamMember) {
		return apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	data := outreachFormData{Page: s.newPage(r, "outreach.form.title"), UserID: a.UserID, Outcomes: outreach.Outcomes}
	mine, err := s.Outreach.Mine(ctx)
	if err == nil {
		data.Mine, data.Campaign, data.HasCamp = mine, mine.Campaign, !mine.Campaign.LaunchAt.IsZero()
		data.Start = mine.Campaign.LaunchAt.In(vietnamTime).Format("02/01/2006 15:04")
		data.End = mine.Campaign.End().In(vietnamTime).Format("02/01/2006 15:04")
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	// The member's catalogue: the national entries and their province's.
	province := ""
	if roots := a.UnitPaths(authz.TeamMember); len(roots) > 0 {
		province = authz.ProvinceOfPath(roots[0])
	}
	skills, err := s.Outreach.Skills(ctx, province, false)
	if err != nil {
		return err
	}
	for _, k := range skills {
		if k.Kind == outreach.KindPlatform {
			data.Platforms = append(data.Platforms, k)
		} else {
			data.Skills = append(data.Skills, k)
		}
	}
	for _, root := range a.UnitPaths(authz.TeamMember) {
		list, err := s.Units.List(ctx, units.Filter{Under: root, Level: units.Village, Limit: 500})
		if err != nil {
			return err
		}
		data.Villages = append(data.Villages, list...)
	}
	// The page is personal (it names the member): browsers must not keep it in the HTTP cache; the
	// service worker keeps its own copy and drops it at logout.
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "outreach_form", &data)
}

type outreachVisitsData struct {
	Page
	Visits outreach.MyVisits
	Places map[string]string // unit path → name
	Times  map[int64]string  // visit id → local time
}

// outreachVisitsPage lists the member's own household visits (sent ones; those still waiting on
// the phone are shown by the form), with the counts per outcome.
func (s *Server) outreachVisitsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := authz.ActorFrom(ctx)
	if !a.Has(authz.TeamMember) {
		return apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	v, err := s.Outreach.ListMyVisits(ctx, 200, 0)
	if err != nil {
		return err
	}
	data := outreachVisitsData{Page: s.newPage(r, "outreach.visits.title"), Visits: v, Places: map[string]string{}, Times: map[int64]string{}}
	// Each visit is named by the unit version it was made in: after the map switch of 2025 a code
	// can name another unit than the one visited.
	for _, x := range v.Visits {
		if _, ok := data.Places[x.UnitPath]; ok {
			continue
		}
		if u, err := s.Units.FindPath(ctx, x.UnitPath); err == nil {
			data.Places[x.UnitPath] = u.Name
		}
	}
	for _, x := range v.Visits {
		data.Times[x.ID] = x.VisitedAt.In(vietnamTime).Format("02/01/2006 15:04")
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "outreach_visits", &data)
}

// outreachServiceWorker serves the service worker from /outreach/sw.js with a scope of the whole
// site, so that it sees the logout (and drops the cached form) as well as the form itself.
func (s *Server) outreachServiceWorker(w http.ResponseWriter, r *http.Request) error {
	data, err := staticFS.ReadFile("static/outreach-sw.js")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Service-Worker-Allowed", "/")
	_, err = w.Write(data)
	return err
}

// outreachManifest is the web app manifest that makes the form installable.
func (s *Server) outreachManifest(w http.ResponseWriter, r *http.Request) error {
	lang := langOf(r)
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"name":             s.I18n.T(lang, "outreach.form.title") + " · Lan Tỏa",
		"short_name":       "Lan Tỏa CNSCĐ",
		"start_url":        "/outreach/form",
		"scope":            "/",
		"display":          "standalone",
		"lang":             lang,
		"background_color": "#ffffff",
		"theme_color":      "#0b4f8a",
		"icons": []map[string]string{
			{"src": s.assets.URL("outreach-icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
		},
	})
	return nil
}

type outreachProgressData struct {
	Page
	P         outreach.Progress
	Campaigns []outreach.Campaign
	Unit      string
	Campaign  int64
	Crumbs    []units.Unit
	Computed  string
	// Provinces, when set, are offered to a national administrator who named no unit.
	Provinces []units.Unit
	// Records: the viewer reads guidance records (not a national administrator).
	Records bool
	// View is "now" or "was"; ValidTo is the retired unit's last day (dd/mm/yyyy), when it is one.
	View    string
	ValidTo string
}

func (s *Server) outreachProgressPage(w http.ResponseWriter, r *http.Request) error {
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	campaign, err := queryID(r, "campaign")
	if err != nil {
		return err
	}
	view, err := outreach.ParseView(r.URL.Query().Get("view"))
	if err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	if unit == "" && actor.IsNational() {
		// A national administrator reads every province: the page's province, when there is one,
		// else the choice of a province.
		if unit = s.requestProvince(r); unit == "" {
			data := outreachProgressData{Page: s.newPage(r, "outreach.progress.title"), Provinces: s.provinces.all(r.Context())}
			return s.render(w, r, http.StatusOK, "outreach_progress", &data)
		}
	}
	p, err := s.Outreach.ProgressView(r.Context(), unit, campaign, view)
	if err != nil {
		return err
	}
	data := outreachProgressData{Page: s.newPage(r, "outreach.progress.title"), P: p, Unit: p.Unit.Key(), Campaign: p.Campaign.ID,
		Computed: strconv.FormatFloat(p.ComputedMs, 'f', 1, 64), Records: len(actor.AdminUnitPaths()) > 0 || actor.Has(authz.TeamMember),
		View: string(p.View), ValidTo: p.Unit.Until()}
	all, err := s.Outreach.Campaigns(r.Context())
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Province == p.Campaign.Province {
			data.Campaigns = append(data.Campaigns, c)
		}
	}
	// The crumbs are the versions above this one, by path: a retired commune's district is the
	// retired district of its time, and a commune of 2025 has only its province above it.
	scope := actor.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin, authz.TeamMember)
	for i := 1; i < len(p.Unit.Path)-1; i++ {
		if p.Unit.Path[i] != '/' {
			continue
		}
		if a, err := s.Units.FindPath(r.Context(), p.Unit.Path[:i+1]); err == nil && scope.HasUnit(a.Path) {
			data.Crumbs = append(data.Crumbs, a)
		}
	}
	return s.render(w, r, http.StatusOK, "outreach_progress", &data)
}

// outreachProgressExport exports the progress of a unit. No personal data of citizens is in it.
func (s *Server) outreachProgressExport(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	campaign, err := queryID(r, "campaign")
	if err != nil {
		return err
	}
	view, err := outreach.ParseView(r.URL.Query().Get("view"))
	if err != nil {
		return err
	}
	p, err := s.Outreach.ProgressExport(r.Context(), strings.TrimSpace(r.URL.Query().Get("unit")), campaign, view)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.WriteXLSX(&buf, s.translator(r)); err != nil {
		return apperr.Wrap(err, "progress export")
	}
	sendFile(w, p.ExportName()+"."+format, buf.Bytes())
	return nil
}

// outreachRecordsExport exports records in the viewer's scope, phones masked except for the roles
// that must see them (the service decides and audits).
func (s *Server) outreachRecordsExport(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "xlsx")
	if err != nil {
		return err
	}
	campaign, err := queryID(r, "campaign")
	if err != nil {
		return err
	}
	f := outreach.RecordFilter{CampaignID: campaign, UnitCode: strings.TrimSpace(r.URL.Query().Get("unit"))}
	var buf bytes.Buffer
	if err := s.Outreach.ExportRecords(r.Context(), f, s.translator(r), &buf); err != nil {
		return apperr.Wrap(err, "records export")
	}
	sendFile(w, "phieu-huong-dan."+format, buf.Bytes())
	return nil
}

type outreachTeamsData struct {
	Page
	Teams []outreach.Team
	Units []units.Unit
	Form  outreach.Team
}

func (s *Server) outreachTeamsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOutreachTeams(w, r, outreach.Team{}, nil)
}

func (s *Server) renderOutreachTeams(w http.ResponseWriter, r *http.Request, form outreach.Team, formErr error) error {
	list, err := s.Outreach.ListTeams(r.Context(), "")
	if err != nil {
		return err
	}
	data := outreachTeamsData{Page: s.newPage(r, "outreach.teams.title"), Teams: list, Form: form}
	// The form to create a team: for the administrators of units (a national administrator reads
	// the teams and creates none).
	if len(authz.ActorFrom(r.Context()).AdminUnitPaths()) > 0 {
		all, err := s.adminUnits(r)
		if err != nil {
			return err
		}
		for _, u := range all {
			if u.Level != units.Province {
				data.Units = append(data.Units, u)
			}
		}
		for _, root := range authz.ActorFrom(r.Context()).AdminUnitPaths() {
			v, err := s.Units.List(r.Context(), units.Filter{Under: root, Level: units.Village, Limit: 2000})
			if err != nil {
				return err
			}
			data.Units = append(data.Units, v...)
		}
	}
	return s.renderForm(w, r, "outreach_teams", &data, formErr)
}

func (s *Server) outreachTeamCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	form := outreach.Team{Name: r.PostFormValue("name"), UnitCode: strings.TrimSpace(r.PostFormValue("unit_code"))}
	t, err := s.Outreach.CreateTeam(r.Context(), form)
	if err != nil {
		return s.renderOutreachTeams(w, r, form, err)
	}
	return s.redirectFlash(w, r, "/outreach/teams/"+strconv.FormatInt(t.ID, 10), "outreach.team.created")
}

type outreachTeamData struct {
	Page
	Team     outreach.Team
	CanEdit  bool
	Imported *outreach.RosterResult
}

func (s *Server) outreachTeamPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOutreachTeam(w, r, nil, nil)
}

func (s *Server) renderOutreachTeam(w http.ResponseWriter, r *http.Request, imported *outreach.RosterResult, formErr error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.Outreach.FindTeam(r.Context(), id)
	if err != nil {
		return err
	}
	data := outreachTeamData{Page: s.newPage(r, "outreach.teams.title"), Team: t, Imported: imported,
		CanEdit: authz.ActorFrom(r.Context()).AdministersUnit(t.UnitPath) && !t.UnitRetired}
	data.Title = t.Name
	if imported != nil {
		data.Flash = data.T("outreach.team.imported", imported.Created, imported.Linked)
		if imported.Sent > 0 {
			data.Flash += " " + data.T("outreach.team.imported_sent", imported.Sent)
		}
		w.Header().Set("Cache-Control", "no-store")
	}
	return s.renderForm(w, r, "outreach_team", &data, formErr)
}

func (s *Server) outreachMemberAddSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.Outreach.AddMember(r.Context(), id, r.PostFormValue("username"), r.PostFormValue("leader") == "1"); err != nil {
		return s.renderOutreachTeam(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/outreach/teams/"+strconv.FormatInt(id, 10), "outreach.team.added")
}

func (s *Server) outreachMemberRemoveSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if err := s.Outreach.RemoveMember(r.Context(), id, user); err != nil {
		return s.renderOutreachTeam(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/outreach/teams/"+strconv.FormatInt(id, 10), "outreach.team.removed")
}

func (s *Server) outreachRosterSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body, done, err := openUpload(w, r, "file", sheet.DefaultLimits.MaxBytes)
	if err != nil {
		return s.renderOutreachTeam(w, r, nil, err)
	}
	defer done()
	res, err := s.Outreach.ImportRoster(r.Context(), id, body)
	if err != nil {
		return s.renderOutreachTeam(w, r, nil, err)
	}
	// The one-time passwords are shown on this response only, never stored in clear.
	return s.renderOutreachTeam(w, r, &res, nil)
}

// outreachRosterTemplate is public: the documented team roster template (xlsx or CSV).
func (s *Server) outreachRosterTemplate(w http.ResponseWriter, r *http.Request) error {
	format, err := exportFormat(r, "xlsx", "csv")
	if err != nil {
		return err
	}
	data, err := outreach.RosterTemplate(format)
	if err != nil {
		return apperr.Wrap(err, "template")
	}
	sendFile(w, "mau-danh-sach-to-cnscd."+format, data)
	return nil
}

type outreachAdminData struct {
	Page
	Campaigns []outreach.Campaign
	Skills    []outreach.Skill
	Today     string
	Result    *outreach.SubjectResult
	Now       string
	// Names names the provinces of the campaigns, shown when they are several (a national
	// administrator's page).
	Names   map[string]string
	Several bool
	// Requests: the viewer handles citizens' requests (administrators of units; not a national
	// administrator, who reads no citizen's data).
	Requests bool
}

// MayChange tells whether the viewer changes the campaigns and catalogue entries of province
// ("" national).
func (d outreachAdminData) MayChange(province string) bool {
	return d.Actor.MayChange(authz.ProvinceObject(province))
}

func (s *Server) outreachAdminPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOutreachAdmin(w, r, nil, nil)
}

// renderOutreachAdmin shows the campaigns page; message, when given, replaces the flash.
func (s *Server) renderOutreachAdmin(w http.ResponseWriter, r *http.Request, result *outreach.SubjectResult, formErr error, message ...string) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := outreachAdminData{Page: s.newPage(r, "outreach.admin.title"), Result: result, Names: map[string]string{},
		Today: s.Now().In(vietnamTime).Format("2006-01-02"), Now: s.Now().In(vietnamTime).Format("2006-01-02T15:04"),
		Requests: len(actor.AdminUnitPaths()) > 0}
	var err error
	if data.Campaigns, err = s.Outreach.Campaigns(r.Context()); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range data.Campaigns {
		seen[c.Province] = true
		if p, ok := s.provinces.find(r.Context(), c.Province); ok {
			data.Names[c.Province] = units.PlaceName(p.Name)
		}
	}
	data.Several = len(seen) > 1 || actor.IsNational()
	if data.Skills, err = s.Outreach.Skills(r.Context(), data.Province, true); err != nil {
		return err
	}
	if len(message) > 0 {
		data.Flash, data.Result = message[0], nil
	} else if result != nil {
		data.Flash = data.T("outreach.admin.request_done", result.ID, len(result.Records))
		w.Header().Set("Cache-Control", "no-store")
	}
	return s.renderForm(w, r, "outreach_admin", &data, formErr)
}

// outreachParseLocal reads a datetime-local value as Vietnam time.
func outreachParseLocal(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, vietnamTime)
	if err != nil {
		return time.Time{}, apperr.InvalidField("launch_at", "outreach.error.launch_at")
	}
	return t, nil
}

func (s *Server) outreachCampaignSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formLarge); err != nil {
		return err
	}
	launch, err := outreachParseLocal(r.PostFormValue("launch_at"))
	if err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	target, _ := strconv.Atoi(r.PostFormValue("target"))
	retention, _ := strconv.Atoi(r.PostFormValue("retention_days"))
	c := outreach.Campaign{Province: strings.TrimSpace(r.PostFormValue("province_code")), Name: r.PostFormValue("name"), LaunchAt: launch, Days: days, Target: target, FollowCeremony: r.PostFormValue("follow_ceremony") == "1",
		ConsentVersion: strings.TrimSpace(r.PostFormValue("consent_version")), ConsentText: strings.TrimSpace(r.PostFormValue("consent_text")), RetentionDays: retention}
	if _, err := s.Outreach.CreateCampaign(r.Context(), c); err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/outreach/admin", "outreach.admin.saved")
}

func (s *Server) outreachLaunchSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	launch, err := outreachParseLocal(r.PostFormValue("launch_at"))
	if err == nil {
		_, err = s.Outreach.SetLaunch(r.Context(), id, launch)
	}
	if err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/outreach/admin", "outreach.admin.saved")
}

func (s *Server) outreachSkillSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	order, _ := strconv.Atoi(r.PostFormValue("order"))
	k := outreach.Skill{Province: strings.TrimSpace(r.PostFormValue("province_code")), Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: outreach.SkillKind(r.PostFormValue("kind")), Audience: outreach.Audience(r.PostFormValue("audience")), Order: order,
		Active: r.PostFormValue("active") == "1"}
	if _, err := s.Outreach.SaveSkill(r.Context(), k); err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	return s.redirectFlash(w, r, "/outreach/admin", "outreach.admin.saved")
}

func (s *Server) outreachRequestSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	by, _ := strconv.Atoi(r.PostFormValue("birth_year"))
	req := outreach.SubjectRequest{Kind: r.PostFormValue("kind"), Phone: strings.TrimSpace(r.PostFormValue("phone")), Name: r.PostFormValue("name"), BirthYear: by,
		VillageCode: strings.TrimSpace(r.PostFormValue("village_code")), ReceivedOn: r.PostFormValue("received_on"), Note: r.PostFormValue("note")}
	res, err := s.Outreach.HandleSubjectRequest(r.Context(), req)
	if err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	return s.renderOutreachAdmin(w, r, &res, nil)
}

func (s *Server) outreachRetentionSubmit(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Outreach.ApplyRetention(r.Context())
	if err != nil {
		return s.renderOutreachAdmin(w, r, nil, err)
	}
	s.Logger.Info("outreach retention applied", "campaigns", len(res.Campaigns), "records", res.Records)
	return s.renderOutreachAdmin(w, r, &outreach.SubjectResult{}, nil, s.I18n.T(langOf(r), "outreach.admin.retention_done", res.Records))
}
