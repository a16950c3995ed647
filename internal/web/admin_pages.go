package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/accounts/sso"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

func requireAdmin(r *http.Request) error {
	if !authz.ActorFrom(r.Context()).IsAdmin() {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return nil
}

type orgsData struct {
	Page
	Orgs   []orgs.Org
	Kinds  []orgs.Kind
	Units  []units.Unit
	Form   orgs.Org
	Query  string
	Parent map[int64]string
	// Retired lists merged organisations too (?retired=1), each with its successor.
	Retired bool
}

func (s *Server) orgsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderOrgs(w, r, orgs.Org{}, nil)
}

func (s *Server) renderOrgs(w http.ResponseWriter, r *http.Request, form orgs.Org, formErr error) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	retired := r.URL.Query().Get("retired") == "1"
	list, err := s.Orgs.List(r.Context(), orgs.Filter{Managed: true, Query: q, IncludeRetired: retired})
	if err != nil {
		return err
	}
	data := orgsData{Page: s.newPage(r, "orgs.title"), Orgs: list, Kinds: orgs.Kinds, Form: form, Query: q, Parent: map[int64]string{}, Retired: retired}
	for _, o := range list {
		data.Parent[o.ID] = o.Name
	}
	if data.Units, err = s.adminUnits(r); err != nil {
		return err
	}
	return s.renderForm(w, r, "orgs", &data, formErr)
}

// adminUnits lists the units (down to communes) in the subtrees the actor administers, for the
// unit pickers of the forms; a national administrator picks among the provinces, whose
// administrators it appoints.
func (s *Server) adminUnits(r *http.Request) ([]units.Unit, error) {
	actor := authz.ActorFrom(r.Context())
	if actor.IsNational() {
		return s.provinces.all(r.Context()), nil
	}
	var out []units.Unit
	for _, root := range actor.AdminUnitPaths() {
		list, err := s.Units.List(r.Context(), units.Filter{Under: root})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

func (s *Server) orgCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	parentID, _ := strconv.ParseInt(r.PostFormValue("parent_id"), 10, 64)
	form := orgs.Org{Name: r.PostFormValue("name"), ShortName: r.PostFormValue("short_name"), Kind: orgs.Kind(r.PostFormValue("kind")),
		ParentID: parentID, UnitCode: strings.TrimSpace(r.PostFormValue("unit_code"))}
	if _, err := s.Orgs.Create(r.Context(), form); err != nil {
		return s.renderOrgs(w, r, form, err)
	}
	return s.redirectFlash(w, r, "/orgs", "flash.org_created")
}

type usersData struct {
	Page
	Users []accounts.User
	Roles []authz.Role
	Role  string
	Unit  string
	Query string
	Units map[string]units.Unit
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	data := usersData{Page: s.newPage(r, "users.title"), Roles: authz.Roles, Role: q.Get("role"), Unit: q.Get("unit"), Query: q.Get("q")}
	f := accounts.Filter{Role: authz.Role(data.Role), Query: data.Query}
	var err error
	if f.UnitPath, err = s.unitPathParam(r, "unit"); err != nil {
		return err
	}
	if data.Users, err = s.Accounts.ListUsers(r.Context(), f); err != nil {
		return err
	}
	if data.Units, err = s.unitNames(r, data.Users); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "users", &data)
}

// unitNames maps the unit paths of the users' grants to the unit versions they name, for display:
// a grant keeps the version it was given on, so a grant on Xã Nghĩa Dũng (2023) shows that
// commune, retired, and not Xã An Phú, which carries its code today.
func (s *Server) unitNames(r *http.Request, users []accounts.User) (map[string]units.Unit, error) {
	out := map[string]units.Unit{}
	for _, u := range users {
		for _, g := range u.Grants {
			if g.UnitCode == "" || g.UnitPath == "" {
				continue
			}
			if _, ok := out[g.UnitPath]; ok {
				continue
			}
			unit, err := s.Units.FindPath(r.Context(), g.UnitPath)
			if apperr.Is(err, apperr.NotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			out[g.UnitPath] = unit
		}
	}
	return out, nil
}

type userNewData struct {
	Page
	Form  accounts.NewUser
	Roles []authz.Role
	Units []units.Unit
	Orgs  []orgs.Org
}

// grantableRoles are the roles the form offers the actor; the service decides on the unit or
// organisation chosen (authz.Actor.MayGrant).
func (s *Server) grantableRoles(actor *authz.Actor) []authz.Role {
	if actor.IsNational() {
		return []authz.Role{authz.NationalAdmin, authz.ProvinceAdmin}
	}
	var out []authz.Role
	for _, role := range authz.Roles {
		switch {
		case role == authz.NationalAdmin:
		case role == authz.ProvinceAdmin && len(actor.AdminProvinces()) == 0:
		case role.UnitScoped() && len(actor.AdminUnitPaths()) == 0:
		default:
			out = append(out, role)
		}
	}
	return out
}

func (s *Server) userNewForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderUserNew(w, r, accounts.NewUser{}, nil)
}

func (s *Server) renderUserNew(w http.ResponseWriter, r *http.Request, form accounts.NewUser, formErr error) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	actor := authz.ActorFrom(r.Context())
	data := userNewData{Page: s.newPage(r, "users.new_title"), Form: form, Roles: s.grantableRoles(actor)}
	var err error
	if data.Units, err = s.adminUnits(r); err != nil {
		return err
	}
	if data.Orgs, err = s.Orgs.List(r.Context(), orgs.Filter{Managed: true}); err != nil {
		return err
	}
	data.Form.Password = ""
	return s.renderForm(w, r, "user_new", &data, formErr)
}

func (s *Server) userCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formSmall); err != nil {
		return err
	}
	form := accounts.NewUser{
		Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Email: r.PostFormValue("email"),
		Password: r.PostFormValue("password"), Role: authz.Role(r.PostFormValue("role")),
		MustChangePassword: r.PostFormValue("must_change_password") == "1",
		// A learner under 16 (a pupil): the guardian's name and consent, Decree 13/2023/NĐ-CP.
		Under16: r.PostFormValue("under_16") == "1", GuardianName: r.PostFormValue("guardian_name"), GuardianConsent: r.PostFormValue("guardian_consent") == "1",
		// The person's own mobile: the one-time password goes there (phone-first onboarding).
		Phone: r.PostFormValue("phone"), PhoneChannel: notify.Channel(r.PostFormValue("phone_channel")),
	}
	form.UnitCode, form.OrgID = grantTarget(form.Role, r.PostFormValue("unit_code"), r.PostFormValue("org_id"))
	u, err := s.Accounts.CreateUser(r.Context(), form)
	if err != nil {
		return s.renderUserNew(w, r, form, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "flash.user_created")
}

// grantTarget picks the unit or the organisation of a grant from a form that offers both: an
// organisation role takes the organisation, a learner whichever was chosen.
func grantTarget(role authz.Role, unitCode, orgID string) (string, int64) {
	id, _ := strconv.ParseInt(strings.TrimSpace(orgID), 10, 64)
	unitCode = strings.TrimSpace(unitCode)
	switch {
	case role.OrgScoped():
		return "", id
	case role.UnitScoped():
		return unitCode, 0
	case id != 0:
		return "", id
	}
	return unitCode, 0
}

type userData struct {
	Page
	User      accounts.User
	Manages   bool
	Roles     []authz.Role
	Units     []units.Unit
	Orgs      []orgs.Org
	UnitNames map[string]units.Unit
	OrgNames  map[int64]orgs.Org
	NewPass   string
	// Phone is the account's phone, masked (Decree 13: shown masked, never whole).
	Phone accounts.Phone
	// Factor is the user's second factor, for its line and the reset button.
	Factor accounts.SecondFactor
	// SSOProviders and SSOLinks: the account's single sign-on links, for an administrator who
	// manages it, when providers are configured (sso_pages.go).
	SSOProviders []sso.Provider
	SSOLinks     []sso.Link
	SSONames     map[string]string // provider id → name
	// SSOForm is the link form as sent, shown again when it is refused.
	SSOForm struct{ Provider, Subject, Email string }
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderUser(w, r, nil)
}

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, formErr error) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.Accounts.FindUser(r.Context(), id)
	if err != nil {
		return err
	}
	data := userData{Page: s.newPage(r, ""), User: u, Manages: s.Accounts.Manages(r.Context(), u), Roles: s.grantableRoles(authz.ActorFrom(r.Context())), OrgNames: map[int64]orgs.Org{}}
	data.Title = u.Username
	if data.Factor, err = s.Accounts.SecondFactorOf(r.Context(), u.ID); err != nil {
		return err
	}
	if data.Units, err = s.adminUnits(r); err != nil {
		return err
	}
	if data.Orgs, err = s.Orgs.List(r.Context(), orgs.Filter{Managed: true}); err != nil {
		return err
	}
	if data.UnitNames, err = s.unitNames(r, []accounts.User{u}); err != nil {
		return err
	}
	for _, g := range u.Grants {
		if g.OrgID != 0 {
			if o, err := s.Orgs.Find(r.Context(), g.OrgID); err == nil {
				data.OrgNames[g.OrgID] = o
			}
		}
	}
	if err := s.userSSOData(r, &data); err != nil {
		return err
	}
	if data.Phone, err = s.Accounts.PhoneOf(r.Context(), u); err != nil {
		return err
	}
	return s.renderForm(w, r, "user", &data, formErr)
}

func (s *Server) userGrantSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	role := authz.Role(r.PostFormValue("role"))
	unit, org := grantTarget(role, r.PostFormValue("unit_code"), r.PostFormValue("org_id"))
	if _, err := s.Accounts.AddGrant(r.Context(), id, role, unit, org); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(id, 10), "flash.saved")
}

func (s *Server) userRevokeSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	grant, err := pathID(r, "grant")
	if err != nil {
		return err
	}
	if err := s.Accounts.RevokeGrant(r.Context(), id, grant); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(id, 10), "flash.saved")
}

func (s *Server) userDisableSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}

func (s *Server) userEnableSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.SetDisabled(r.Context(), id, disabled); err != nil {
		return s.renderUser(w, r, err)
	}
	return s.redirectFlash(w, r, "/users/"+strconv.FormatInt(id, 10), "flash.saved")
}

func (s *Server) userResetPasswordSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw := accounts.GeneratePassword()
	sentTo, err := s.Accounts.ResetPassword(r.Context(), id, pw)
	if err != nil {
		return s.renderUser(w, r, err)
	}
	// The temporary password is shown once to the administrator, who hands it over; the user
	// must replace it at next login.
	w.Header().Set("Cache-Control", "no-store")
	u, err := s.Accounts.FindUser(r.Context(), id)
	if err != nil {
		return err
	}
	data := userData{Page: s.newPage(r, ""), User: u, Manages: true, NewPass: pw, OrgNames: map[int64]orgs.Org{}}
	if sentTo.Masked != "" {
		// Sent to the person's phone: not shown to the administrator.
		data.NewPass, data.Phone = "", sentTo
		data.Flash = data.T("users.temp_password_sent", data.T("channel."+string(sentTo.Channel)), sentTo.Masked)
	}
	data.Title = u.Username
	data.UnitNames, _ = s.unitNames(r, []accounts.User{u})
	return s.render(w, r, http.StatusOK, "user", &data)
}

type auditData struct {
	Page
	Entries []audit.Entry
}

// auditScope limits what an administrator reads of the audit log to their unit subtrees (every
// province for a national administrator).
func auditScope(actor *authz.Actor) authz.Cond {
	return actor.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin).Units("unit_path")
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	entries, err := audit.List(r.Context(), s.DB.Reader(), audit.Filter{Visible: auditScope(authz.ActorFrom(r.Context())), Action: r.URL.Query().Get("action"), Limit: 200})
	if err != nil {
		return apperr.Wrap(err, "list audit")
	}
	return s.render(w, r, http.StatusOK, "audit", &auditData{Page: s.newPage(r, "audit.title"), Entries: entries})
}

// apiMergeOrg merges an organisation into its successor (orgs.Service.Merge): a province
// administrator's decision, audited.
func (s *Server) apiMergeOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		SuccessorID int64  `json:"successor_id"`
		Effective   string `json:"effective"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.Orgs.Merge(r.Context(), id, in.SuccessorID, in.Effective)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// orgMergeSubmit is the organisations page's merge form.
func (s *Server) orgMergeSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, formTiny); err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("org_id")), 10, 64)
	if err != nil {
		return apperr.InvalidField("org_id", "orgs.error.not_found", r.PostFormValue("org_id"))
	}
	succ, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("successor_id")), 10, 64)
	if err != nil {
		return apperr.InvalidField("successor_id", "orgs.error.successor_missing", r.PostFormValue("successor_id"))
	}
	if _, err := s.Orgs.Merge(r.Context(), id, succ, strings.TrimSpace(r.PostFormValue("effective"))); err != nil {
		return s.renderOrgs(w, r, orgs.Org{}, err)
	}
	return s.redirectFlash(w, r, "/orgs", "flash.org_merged")
}
