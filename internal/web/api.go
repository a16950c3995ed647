package web

import (
	"net/http"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// apiListUnits is public: the unit tree is official, published information.
func (s *Server) apiListUnits(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := units.Filter{Level: units.Level(q.Get("level")), ParentCode: q.Get("parent"), Query: q.Get("q"), IncludeRetired: q.Get("retired") == "1"}
	if f.Level != "" && !f.Level.Valid() {
		return apperr.InvalidField("level", "units.error.level")
	}
	if len(f.Query) > 100 {
		return apperr.InvalidField("q", "error.query_long")
	}
	var err error
	if f.Limit, err = queryInt(r, "limit", 0); err != nil {
		return err
	}
	if f.Offset, err = queryInt(r, "offset", 0); err != nil {
		return err
	}
	list, err := s.Units.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

// apiGetUnit answers one unit version: by code the unit in force (else the latest retired),
// with ?at=YYYY-MM-DD the version in force that day; with its lineage through reorganisations.
func (s *Server) apiGetUnit(w http.ResponseWriter, r *http.Request) error {
	u, err := s.findUnitVersion(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	from, into, err := s.Units.Lineage(r.Context(), u.Path)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		units.Unit
		InForce    bool               `json:"in_force"`
		FormedFrom []units.LineageRow `json:"formed_from"`
		WentInto   []units.LineageRow `json:"went_into"`
	}{u, u.InForce(), orEmpty(from), orEmpty(into)})
	return nil
}

// apiAssignSplit gives a split unit's records to one of its successors: {"path": "/51/525/21142/",
// "into": "21157"}.
func (s *Server) apiAssignSplit(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Path string `json:"path"`
		Into string `json:"into"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Units.FindPath(r.Context(), in.Path)
	if err != nil {
		return err
	}
	if err := s.Units.AssignSplit(r.Context(), u.Path, in.Into); err != nil {
		return err
	}
	to, err := s.Units.RollsUpTo(r.Context(), u.Path)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"path": u.Path, "rolls_up_to": to})
	return nil
}

// apiImportUnits takes the unit CSV as a multipart file field "file" or as the raw body.
func (s *Server) apiImportUnits(w http.ResponseWriter, r *http.Request) error {
	body, done, err := openUpload(w, r, "file", units.MaxImportBytes)
	if err != nil {
		return err
	}
	defer done()
	res, err := s.Units.Import(r.Context(), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) apiCreateVillage(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Units.CreateVillage(r.Context(), units.Unit{Code: in.Code, Name: in.Name, ParentCode: r.PathValue("code")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// apiListOrgs is public: learners pick their organisation when they register.
func (s *Server) apiListOrgs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := orgs.Filter{Kind: orgs.Kind(q.Get("kind")), Query: q.Get("q")}
	if f.Kind != "" && !f.Kind.Valid() {
		return apperr.InvalidField("kind", "orgs.error.kind")
	}
	var err error
	if f.ParentID, err = queryID(r, "parent"); err != nil {
		return err
	}
	if f.UnitPath, err = s.unitPathParam(r, "unit"); err != nil {
		return err
	}
	list, err := s.Orgs.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiGetOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.Orgs.Find(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiCreateOrg(w http.ResponseWriter, r *http.Request) error {
	var in orgs.Org
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	o, err := s.Orgs.Create(r.Context(), orgs.Org{Name: in.Name, ShortName: in.ShortName, Kind: in.Kind, ParentID: in.ParentID, UnitCode: in.UnitCode})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

// userJSON is a user as the API shows it: roles as names, grants in full.
type userJSON struct {
	ID          int64         `json:"id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Email       string        `json:"email,omitempty"`
	Disabled    bool          `json:"disabled"`
	Roles       []string      `json:"roles"`
	Grants      []authz.Grant `json:"grants"`
}

func toUserJSON(u accounts.User) userJSON {
	roles := u.RoleNames()
	if roles == nil {
		roles = []string{}
	}
	grants := u.Grants
	if grants == nil {
		grants = []authz.Grant{}
	}
	return userJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Disabled: u.Disabled, Roles: roles, Grants: grants}
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.FindUser(r.Context(), authz.ActorFrom(r.Context()).UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := accounts.Filter{Role: authz.Role(q.Get("role")), Query: q.Get("q")}
	if f.Role != "" && !f.Role.Valid() {
		return apperr.InvalidField("role", "accounts.error.role")
	}
	var err error
	if f.UnitPath, err = s.unitPathParam(r, "unit"); err != nil {
		return err
	}
	if f.OrgPath, err = s.orgPathParam(r, "org"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 0); err != nil {
		return err
	}
	if f.Offset, err = queryInt(r, "offset", 0); err != nil {
		return err
	}
	list, err := s.Accounts.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(list))
	for i, u := range list {
		out[i] = toUserJSON(u)
	}
	writeJSON(w, http.StatusOK, items(out))
	return nil
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in accounts.NewUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
	return nil
}

func (s *Server) apiGetUser(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		if id, _ := pathID(r, "id"); id != authz.ActorFrom(r.Context()).UserID {
			return err
		}
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.Accounts.FindUser(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

func (s *Server) apiAddGrant(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Role     authz.Role `json:"role"`
		UnitCode string     `json:"unit_code"`
		OrgID    int64      `json:"org_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := requireAdmin(r); err != nil {
		return err
	}
	u, err := s.Accounts.AddGrant(r.Context(), id, in.Role, in.UnitCode, in.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

func (s *Server) apiRevokeGrant(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	grant, err := pathID(r, "grant")
	if err != nil {
		return err
	}
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := s.Accounts.RevokeGrant(r.Context(), id, grant); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiDisableUser(w http.ResponseWriter, r *http.Request) error {
	return s.apiSetDisabled(w, r, true)
}
func (s *Server) apiEnableUser(w http.ResponseWriter, r *http.Request) error {
	return s.apiSetDisabled(w, r, false)
}

func (s *Server) apiSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := s.Accounts.SetDisabled(r.Context(), id, disabled); err != nil {
		return err
	}
	u, err := s.Accounts.FindUser(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Accounts.ListTokens(r.Context(), authz.ActorFrom(r.Context()).UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items(list))
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	token, err := s.Accounts.CreateToken(r.Context(), authz.ActorFrom(r.Context()).UserID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": token})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeToken(r.Context(), authz.ActorFrom(r.Context()).UserID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	entries, err := audit.List(r.Context(), s.DB.Reader(), audit.Filter{Visible: auditScope(authz.ActorFrom(r.Context())),
		Action: r.URL.Query().Get("action"), Limit: limit, BeforeID: int64(before)})
	if err != nil {
		return apperr.Wrap(err, "list audit")
	}
	writeJSON(w, http.StatusOK, items(entries))
	return nil
}
