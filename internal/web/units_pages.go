package web

import (
	"net/http"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

func unitsFilterLevel(level string) units.Filter { return units.Filter{Level: units.Level(level)} }

// unitRoots are the subtrees a signed-in user browses: the units of their grants (a province
// administrator's is the province), else the provinces they take part in (people whose grants name
// only organisations), else every province (a national administrator).
func (s *Server) unitRoots(r *http.Request) []string {
	actor := authz.ActorFrom(r.Context())
	if roots := actor.UnitPaths(authz.ProvinceAdmin, authz.UnitAdmin, authz.TeamMember, authz.BridgeOperator, authz.Learner); len(roots) > 0 {
		return roots
	}
	var roots []string
	for _, code := range actor.Provinces() {
		roots = append(roots, authz.ProvincePath(code))
	}
	if len(roots) == 0 {
		for _, p := range s.provinces.all(r.Context()) {
			roots = append(roots, p.Path)
		}
	}
	return roots
}

type unitsData struct {
	Page
	Query   string
	Results []units.Unit
	Roots   []units.Unit
}

type unitData struct {
	Page
	Unit        units.Unit
	Breadcrumb  []units.Unit
	Children    []units.Unit
	CanAddChild bool
	NewName     string
	// Query and Results feed the search box shown above every unit.
	Query   string
	Results []units.Unit
	// ShowRetired lists the children no longer in force too (?retired=1).
	ShowRetired bool
	// FormedFrom and WentInto are the unit's lineage through reorganisations; Today is the unit
	// in force that holds the code now, when this page shows another version of it.
	FormedFrom []unitLink
	WentInto   []unitLink
	Today      *units.Unit
	// SplitPending is set on a split unit whose records are not yet assigned to a successor;
	// CanAssign when the viewer administers its province.
	SplitPending bool
	CanAssign    bool
}

// unitLink is one unit of a lineage list: linked when the viewer may open it.
type unitLink struct {
	Code, Name, Href, Province string
}

func (s *Server) unitsPage(w http.ResponseWriter, r *http.Request) error {
	roots := s.unitRoots(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" && len(roots) == 1 {
		return s.renderUnit(w, r, codeOfPath(roots[0]), "", nil)
	}
	data := unitsData{Page: s.newPage(r, "units.title"), Query: q}
	var err error
	if q != "" {
		data.Results, err = s.searchUnits(r, roots, q)
		if err != nil {
			return err
		}
	}
	codes := make([]string, len(roots))
	for i, p := range roots {
		codes[i] = codeOfPath(p)
	}
	found, err := s.Units.FindMany(r.Context(), codes)
	if err != nil {
		return err
	}
	for _, c := range codes {
		if u, ok := found[c]; ok {
			data.Roots = append(data.Roots, u)
		}
	}
	return s.render(w, r, http.StatusOK, "units", &data)
}

func codeOfPath(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}

func (s *Server) searchUnits(r *http.Request, roots []string, q string) ([]units.Unit, error) {
	var out []units.Unit
	for _, root := range roots {
		found, err := s.Units.List(r.Context(), units.Filter{Query: q, Under: root, Limit: 50})
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	if len(out) > 50 {
		out = out[:50]
	}
	return out, nil
}

func (s *Server) unitsSearchPartial(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := unitsData{Page: s.newPage(r, ""), Query: q}
	if q != "" {
		var err error
		if data.Results, err = s.searchUnits(r, s.unitRoots(r), q); err != nil {
			return err
		}
	}
	return s.renderPartial(w, "unit_results", &data)
}

func (s *Server) unitPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUnit(w, r, r.PathValue("code"), "", nil)
}

// renderUnit shows one unit with its children, if it lies in the viewer's subtrees; outside them
// the unit "does not exist" for the viewer.
func (s *Server) renderUnit(w http.ResponseWriter, r *http.Request, code, newName string, formErr error) error {
	actor := authz.ActorFrom(r.Context())
	roots := s.unitRoots(r)
	u, err := s.findUnitVersion(r, code)
	if err != nil {
		return err
	}
	if !authz.Under(u.Path, roots) {
		return apperr.Hidden("units.error.not_found", code)
	}
	data := unitData{Page: s.newPage(r, ""), Unit: u, NewName: newName, ShowRetired: r.URL.Query().Get("retired") == "1"}
	data.Title = u.Name
	// A retired unit's children are shown as they were: retired with it.
	data.Children, err = s.Units.List(r.Context(), units.Filter{ParentPath: u.Path, IncludeRetired: data.ShowRetired || !u.InForce()})
	if err != nil {
		return err
	}
	anc := u.AncestorPaths()
	found, err := s.Units.FindPaths(r.Context(), anc)
	if err != nil {
		return err
	}
	for _, p := range anc {
		if a, ok := found[p]; ok && authz.Under(a.Path, roots) {
			data.Breadcrumb = append(data.Breadcrumb, a)
		}
	}
	if err := s.unitLineage(r, &data, roots); err != nil {
		return err
	}
	data.CanAddChild = u.Level == units.Commune && u.InForce() && actor.AdministersUnit(u.Path)
	return s.renderForm(w, r, "unit", &data, formErr)
}

// findUnitVersion reads the unit a page or an API call names: by code the unit in force, with
// ?at=YYYY-MM-DD the version in force on that day (a 2023 code that a reorganisation reused).
func (s *Server) findUnitVersion(r *http.Request, code string) (units.Unit, error) {
	if at := r.URL.Query().Get("at"); at != "" {
		return s.Units.FindAt(r.Context(), code, at)
	}
	return s.Units.Find(r.Context(), code)
}

func (s *Server) unitLineage(r *http.Request, data *unitData, roots []string) error {
	from, into, err := s.Units.Lineage(r.Context(), data.Unit.Path)
	if err != nil {
		return err
	}
	paths := []string{}
	for _, l := range from {
		paths = append(paths, l.OldPath)
	}
	for _, l := range into {
		paths = append(paths, l.NewPath)
	}
	found, err := s.Units.FindPaths(r.Context(), paths)
	if err != nil {
		return err
	}
	link := func(code, name, path, province string) unitLink {
		l := unitLink{Code: code, Name: name, Province: province}
		if u, ok := found[path]; ok && authz.Under(u.Path, roots) {
			l.Href, l.Name = u.Href(), u.Name
		}
		return l
	}
	for _, l := range from {
		data.FormedFrom = append(data.FormedFrom, link(l.OldCode, l.OldName, l.OldPath, l.OldProvinceCode))
	}
	for _, l := range into {
		data.WentInto = append(data.WentInto, link(l.NewCode, l.NewName, l.NewPath, authz.ProvinceOfPath(l.NewPath)))
	}
	if len(into) > 1 {
		to, err := s.Units.RollsUpTo(r.Context(), data.Unit.Path)
		if err != nil {
			return err
		}
		data.SplitPending = to == ""
		data.CanAssign = data.SplitPending && authz.ActorFrom(r.Context()).AdministersProvince(authz.ProvinceOfPath(data.Unit.Path))
	}
	if !data.Unit.InForce() {
		if today, err := s.Units.Find(r.Context(), data.Unit.Code); err == nil && today.InForce() && today.Path != data.Unit.Path && authz.Under(today.Path, roots) {
			data.Today = &today
		}
	}
	return nil
}

// unitImportSubmit loads villages (or, for the province, any units) from an uploaded CSV and shows
// the unit page again with the result or every bad line.
func (s *Server) unitImportSubmit(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	body, done, err := openUpload(w, r, "file", units.MaxImportBytes)
	if err != nil {
		return s.renderUnit(w, r, code, "", err)
	}
	defer done()
	res, err := s.Units.Import(r.Context(), body)
	if err != nil {
		return s.renderUnit(w, r, code, "", err)
	}
	p := s.newPage(r, "")
	s.flashText(w, p.T("units.import_done", res.Created, res.Updated))
	http.Redirect(w, r, "/units/"+code, http.StatusSeeOther)
	return nil
}

func (s *Server) villageCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	code := r.PathValue("code")
	name := r.PostFormValue("name")
	v, err := s.Units.CreateVillage(r.Context(), units.Unit{Name: name, ParentCode: code, Code: strings.TrimSpace(r.PostFormValue("code"))})
	if err != nil {
		return s.renderUnit(w, r, code, name, err)
	}
	return s.redirectFlash(w, r, "/units/"+v.ParentCode, "flash.village_created")
}

// splitAssignSubmit gives a split unit's records to one of its successors ("as it is now").
func (s *Server) splitAssignSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	code := r.PathValue("code")
	u, err := s.findUnitVersion(r, code)
	if err != nil {
		return err
	}
	if !authz.Under(u.Path, s.unitRoots(r)) {
		return apperr.Hidden("units.error.not_found", code)
	}
	into := r.PostFormValue("into")
	if err := s.Units.AssignSplit(r.Context(), u.Path, into); err != nil {
		return s.renderUnit(w, r, code, "", err)
	}
	return s.redirectFlash(w, r, u.Href(), "flash.split_assigned")
}
