// Package accounts holds users, their role grants, sessions and personal access tokens. A user's
// grants become an authz.Actor on every request; the scope of each grant is the materialised path
// of its unit or organisation, so scope checks are prefix matches inside the queries.
package accounts

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the accounts schema; it follows units and orgs.
var Migrations = db.MigrationSet{Module: "accounts", FS: migrations}

// User is an account.
type User struct {
	ID                 int64         `json:"id"`
	Username           string        `json:"username"`
	DisplayName        string        `json:"display_name"`
	Email              string        `json:"email,omitempty"`
	Disabled           bool          `json:"disabled"`
	MustChangePassword bool          `json:"must_change_password"`
	Locale             string        `json:"locale"`
	CreatedAt          time.Time     `json:"created_at"`
	LastLoginAt        time.Time     `json:"last_login_at,omitzero"`
	Grants             []authz.Grant `json:"grants"`
	passwordHash       string
}

// RoleNames lists the roles the user holds, once each.
func (u User) RoleNames() []string {
	var out []string
	for _, g := range u.Grants {
		if !containsString(out, string(g.Role)) {
			out = append(out, string(g.Role))
		}
	}
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Service manages accounts.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// IdleTimeout ends a session nobody used for this long; MaxSessionAge ends any session.
	IdleTimeout   time.Duration
	MaxSessionAge time.Duration
	// RequireStaffSecondFactor makes administrators (StaffRole) set up a second factor at their
	// next sign-in (serve --require-staff-2fa, on by default). Off, only users who have a factor
	// are asked for it.
	RequireStaffSecondFactor bool
	// notify, when set, queues an invitation to every account created with an e-mail address
	// (invite.go); baseURL is the site's public address for the sign-in link in it. Both are given
	// at construction (WithNotify): a service whose outbox could be attached later was one
	// forgotten assignment away from sending no invitations.
	notify  *notify.Service
	baseURL string
}

// Option configures a Service at construction.
type ServiceOption func(*Service)

// WithNotify queues an invitation through n to every account created with an e-mail address,
// with a sign-in link under baseURL (the site's public address; "" names the page instead).
func WithNotify(n *notify.Service, baseURL string) ServiceOption {
	return func(s *Service) { s.notify, s.baseURL = n, baseURL }
}

// WithStaffSecondFactor sets RequireStaffSecondFactor.
func WithStaffSecondFactor(on bool) ServiceOption {
	return func(s *Service) { s.RequireStaffSecondFactor = on }
}

// NewService returns a Service with the default session lifetimes.
func NewService(d *db.DB, opts ...ServiceOption) *Service {
	s := &Service{DB: d, Now: time.Now, IdleTimeout: 2 * time.Hour, MaxSessionAge: 24 * time.Hour}
	for _, o := range opts {
		o(s)
	}
	return s
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// NewUser is what creating an account takes: the user and their first grant.
type NewUser struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email"`
	Password    string     `json:"password"`
	Role        authz.Role `json:"role"`
	UnitCode    string     `json:"unit_code"`
	OrgID       int64      `json:"org_id"`
	// MustChangePassword makes the user choose a new password at first login.
	MustChangePassword bool `json:"must_change_password"`
	// Under16 marks a child: Decree 13/2023/NĐ-CP asks for a parent's or guardian's consent, whose
	// name and time are recorded with the account (see register.go).
	Under16         bool   `json:"under_16,omitempty"`
	GuardianName    string `json:"guardian_name,omitempty"`
	GuardianConsent bool   `json:"guardian_consent,omitempty"`
	// Phone, when set, is the person's own mobile number: the one-time password goes there through
	// the outbox (PhoneChannel: SMS by default, or Zalo) and it signs in with codes (phone.go).
	Phone        string         `json:"phone,omitempty"`
	PhoneChannel notify.Channel `json:"phone_channel,omitempty"`
}

// NormalizeUsername lower-cases and trims a username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validatePassword(password, username string) error {
	if len(password) < MinPasswordLen {
		return apperr.InvalidField("password", "accounts.error.password_short", MinPasswordLen)
	}
	if len(password) > MaxPasswordLen || !utf8.ValidString(password) {
		return apperr.InvalidField("password", "accounts.error.password_long", MaxPasswordLen)
	}
	if strings.EqualFold(password, username) {
		return apperr.InvalidField("password", "accounts.error.password_username")
	}
	if CommonPassword(password) {
		return apperr.InvalidField("password", "accounts.error.password_common")
	}
	return nil
}

// Validate checks a NewUser without the database.
func (n *NewUser) Validate() error {
	n.Username = NormalizeUsername(n.Username)
	n.DisplayName = strings.Join(strings.Fields(n.DisplayName), " ")
	n.Email = strings.TrimSpace(n.Email)
	if !usernameRe.MatchString(n.Username) {
		return apperr.InvalidField("username", "accounts.error.username")
	}
	if utf8.RuneCountInString(n.DisplayName) > 120 || len(n.Email) > 200 {
		return apperr.InvalidField("display_name", "accounts.error.too_long")
	}
	if n.Email != "" && (!strings.Contains(n.Email, "@") || strings.ContainsAny(n.Email, " \r\n<>")) {
		return apperr.InvalidField("email", "accounts.error.email")
	}
	if err := validatePassword(n.Password, n.Username); err != nil {
		return err
	}
	if err := n.validatePhone(); err != nil {
		return err
	}
	if err := n.validateGuardian(); err != nil {
		return err
	}
	return validateGrantShape(n.Role, n.UnitCode, n.OrgID)
}

func validateGrantShape(role authz.Role, unitCode string, orgID int64) error {
	if !role.Valid() {
		return apperr.InvalidField("role", "accounts.error.role")
	}
	switch {
	case role.Unscoped() && (orgID != 0 || unitCode != ""):
		return apperr.InvalidField("role", "accounts.error.national_no_unit")
	case role.OrgScoped() && (orgID == 0 || unitCode != ""):
		return apperr.InvalidField("org_id", "accounts.error.org_required")
	case role.UnitScoped() && (unitCode == "" || orgID != 0):
		return apperr.InvalidField("unit_code", "accounts.error.unit_required")
	case role == authz.Learner && (unitCode == "") == (orgID == 0):
		return apperr.InvalidField("unit_code", "accounts.error.unit_or_org")
	}
	return nil
}

// resolveGrant fills the paths of a grant from the unit and organisation trees.
func resolveGrant(ctx context.Context, q db.Querier, role authz.Role, unitCode string, orgID int64) (authz.Grant, error) {
	g := authz.Grant{Role: role, UnitCode: unitCode, OrgID: orgID}
	if err := validateGrantShape(role, unitCode, orgID); err != nil {
		return g, err
	}
	if unitCode != "" {
		var level string
		err := q.QueryRowContext(ctx, "SELECT path, level FROM units WHERE code = ? AND valid_to = ''", unitCode).Scan(&g.UnitPath, &level)
		if errors.Is(err, sql.ErrNoRows) {
			return g, apperr.InvalidField("unit_code", "units.error.not_found", unitCode)
		} else if err != nil {
			return g, apperr.Wrap(err, "resolve unit")
		}
		if role == authz.ProvinceAdmin && level != "province" {
			return g, apperr.InvalidField("unit_code", "accounts.error.province_unit")
		}
		if role == authz.UnitAdmin && level == "province" {
			return g, apperr.InvalidField("unit_code", "accounts.error.unit_admin_level")
		}
	}
	if orgID != 0 {
		var name, validTo string
		err := q.QueryRowContext(ctx, "SELECT path, unit_path, name, valid_to FROM orgs WHERE id = ?", orgID).Scan(&g.OrgPath, &g.UnitPath, &name, &validTo)
		if errors.Is(err, sql.ErrNoRows) {
			return g, apperr.InvalidField("org_id", "orgs.error.not_found", orgID)
		} else if err != nil {
			return g, apperr.Wrap(err, "resolve org")
		}
		if validTo != "" {
			// A merged organisation takes no new people: its successor does.
			return g, apperr.InvalidField("org_id", "orgs.error.retired", name)
		}
	}
	return g, nil
}

// CreateUser creates an account with its first grant. The actor in ctx must be allowed to hand
// out that grant (authz.Actor.MayGrant).
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	actor := authz.ActorFrom(ctx)
	if !actor.IsAdmin() {
		return User{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if err := n.Validate(); err != nil {
		return User{}, err
	}
	// Hash before the transaction: it takes tens of milliseconds and must not hold the writer.
	hash, err := HashPassword(ctx, n.Password)
	if err != nil {
		return User{}, apperr.Wrap(err, "hash password")
	}
	var id int64
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		g, err := resolveGrant(ctx, tx, n.Role, n.UnitCode, n.OrgID)
		if err != nil {
			return err
		}
		if !actor.MayGrant(g) {
			return apperr.New(apperr.Forbidden, "accounts.error.grant_forbidden")
		}
		now := db.Millis(s.Now())
		id, err = tx.InsertID(ctx, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, n.Username, n.DisplayName, n.Email, textfold.Fold(n.Username+" "+n.DisplayName), hash, boolInt(n.MustChangePassword), now, now)
		if err != nil {
			if db.IsUniqueViolation(err) {
				e := apperr.New(apperr.Conflict, "accounts.error.username_taken", n.Username)
				e.Field = "username"
				return e
			}
			return apperr.Wrap(err, "insert user")
		}
		if err := insertGrant(ctx, tx, id, g, actor.UserID, now); err != nil {
			return err
		}
		if err := recordGuardianConsent(ctx, tx, id, n, actor.UserID, now); err != nil {
			return err
		}
		if err := s.queueInvitation(ctx, tx, id, n, g); err != nil {
			return err
		}
		if err := insertPhone(ctx, tx, id, n.Phone, n.PhoneChannel, now, "phone"); err != nil {
			return err
		}
		// A one-time password goes to the phone; a password the person chose is not repeated.
		otp := ""
		if n.MustChangePassword {
			otp = n.Password
		}
		if err := s.queuePhoneInvitation(ctx, tx, id, n.Username, otp, n.Phone, n.PhoneChannel, g.UnitPath); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: g.UnitPath, Detail: n.Username + " " + string(g.Role)})
	})
	if err != nil {
		return User{}, err
	}
	return s.findUser(ctx, s.DB.Reader(), id)
}

func insertGrant(ctx context.Context, tx *db.Tx, userID int64, g authz.Grant, by int64, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, role, unit_code, org_id, unit_path, org_path, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, userID, string(g.Role), db.NullString(g.UnitCode), db.NullInt(g.OrgID), g.UnitPath, g.OrgPath, now, db.NullInt(by))
	if db.IsUniqueViolation(err) {
		return apperr.New(apperr.Conflict, "accounts.error.grant_exists")
	}
	return apperr.Wrap(err, "insert grant")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const userColumns = `u.id, u.username, u.display_name, u.email, u.password_hash, u.must_change_password, u.disabled, u.locale, u.created_at, u.last_login_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var mustChange, disabled int
	var created, lastLogin int64
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.passwordHash, &mustChange, &disabled, &u.Locale, &created, &lastLogin)
	u.MustChangePassword, u.Disabled = mustChange == 1, disabled == 1
	u.CreatedAt, u.LastLoginAt = db.FromMillis(created), db.FromMillis(lastLogin)
	return u, err
}

func (s *Service) findUser(ctx context.Context, q db.Querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, apperr.New(apperr.NotFound, "accounts.error.user_not_found")
	}
	if err != nil {
		return User{}, apperr.Wrap(err, "find user")
	}
	u.Grants, err = loadGrants(ctx, q, id)
	return u, err
}

func loadGrants(ctx context.Context, q db.Querier, userID int64) ([]authz.Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, role, COALESCE(unit_code, ''), COALESCE(org_id, 0), unit_path, org_path
		FROM role_grants WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, apperr.Wrap(err, "load grants")
	}
	defer rows.Close()
	var out []authz.Grant
	for rows.Next() {
		var g authz.Grant
		if err := rows.Scan(&g.ID, &g.Role, &g.UnitCode, &g.OrgID, &g.UnitPath, &g.OrgPath); err != nil {
			return nil, apperr.Wrap(err, "scan grant")
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Filter narrows a listing of users.
type Filter struct {
	Role authz.Role
	// UnitPath keeps users with a grant in this unit's subtree.
	UnitPath string
	OrgPath  string
	Query    string
	Limit    int
	Offset   int
}

// ListUsers returns the users in the actor's scope that match f, by username.
func (s *Service) ListUsers(ctx context.Context, f Filter) ([]User, error) {
	actor := authz.ActorFrom(ctx)
	if !actor.IsAdmin() {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	visible := actor.VisibleUsers("u.id")
	if visible.Empty() {
		return nil, nil
	}
	conds, args := visible.And(nil, nil)
	if f.Role != "" || f.UnitPath != "" || f.OrgPath != "" {
		var sub []string
		if f.Role != "" {
			sub = append(sub, "f.role = ?")
			args = append(args, string(f.Role))
		}
		if f.UnitPath != "" {
			sub = append(sub, "f.unit_path LIKE ?")
			args = append(args, f.UnitPath+"%")
		}
		if f.OrgPath != "" {
			sub = append(sub, "f.org_path LIKE ?")
			args = append(args, f.OrgPath+"%")
		}
		conds = append(conds, "EXISTS (SELECT 1 FROM role_grants f WHERE f.user_id = u.id AND "+strings.Join(sub, " AND ")+")")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// The same folding as units: "hoa" finds "Hòa" and "Hoà", on both engines alike.
		conds = append(conds, `u.search_key LIKE ? ESCAPE '\'`)
		args = append(args, textfold.LikePattern(q))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query := "SELECT " + userColumns + " FROM users u"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY u.username LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	r := s.DB.Reader()
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list users")
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan user")
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list users")
	}
	if err := attachGrants(ctx, r, out); err != nil {
		return nil, err
	}
	// A listing shows names and emails: it is a view of personal data and is logged, once per
	// listing rather than once per row.
	if actor != authz.System && len(out) > 0 {
		detail := fmt.Sprintf("users=%d role=%s unit=%s q=%s", len(out), f.Role, f.UnitPath, f.Query)
		if err := audit.RecordView(ctx, s.DB, audit.Entry{Action: "user.list", ObjectType: "user", UnitPath: f.UnitPath, Detail: detail}); err != nil {
			return nil, apperr.Wrap(err, "audit view")
		}
	}
	return out, nil
}

// attachGrants loads the grants of many users in one query.
func attachGrants(ctx context.Context, q db.Querier, users []User) error {
	if len(users) == 0 {
		return nil
	}
	idx := map[int64]int{}
	args := make([]any, len(users))
	for i, u := range users {
		idx[u.ID] = i
		args[i] = u.ID
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(users)), ",")
	rows, err := q.QueryContext(ctx, `SELECT user_id, id, role, COALESCE(unit_code, ''), COALESCE(org_id, 0), unit_path, org_path
		FROM role_grants WHERE user_id IN (`+ph+`) ORDER BY id`, args...)
	if err != nil {
		return apperr.Wrap(err, "load grants")
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var g authz.Grant
		if err := rows.Scan(&uid, &g.ID, &g.Role, &g.UnitCode, &g.OrgID, &g.UnitPath, &g.OrgPath); err != nil {
			return apperr.Wrap(err, "scan grant")
		}
		users[idx[uid]].Grants = append(users[idx[uid]].Grants, g)
	}
	return rows.Err()
}

// FindUser returns a user the actor may see: themselves, or someone in their scope.
func (s *Service) FindUser(ctx context.Context, id int64) (User, error) {
	actor := authz.ActorFrom(ctx)
	u, err := s.findUser(ctx, s.DB.Reader(), id)
	if err != nil {
		return User{}, err
	}
	if actor != nil && actor.UserID == id {
		return u, nil
	}
	if !s.manages(actor, u) && !s.sees(actor, u) {
		// Not found rather than forbidden: whether an account exists outside one's scope is itself
		// information the actor should not get.
		return User{}, apperr.Hidden("accounts.error.user_not_found")
	}
	// A user's name and email are personal data: whoever opens someone else's record is logged.
	path := ""
	if len(u.Grants) > 0 {
		path = u.Grants[0].UnitPath
	}
	if err := audit.RecordView(ctx, s.DB, audit.Entry{Action: "user.view", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitPath: path, Detail: u.Username}); err != nil {
		return User{}, apperr.Wrap(err, "audit view")
	}
	return u, nil
}

// sees tells whether the actor administers at least one of the user's grants.
func (s *Service) sees(actor *authz.Actor, u User) bool { return actor.SeesUser(u.Grants) }

// manages tells whether the actor may change the user: every grant the user holds must be one the
// actor could have handed out, so a district administrator cannot disable a province administrator
// and no province administrator touches another province's people. An account left without a
// grant is the command line's.
func (s *Service) manages(actor *authz.Actor, u User) bool {
	if actor == nil || actor.UserID == u.ID || !actor.IsAdmin() {
		return false
	}
	if len(u.Grants) == 0 {
		return actor.AdministersUnit("/")
	}
	for _, g := range u.Grants {
		if !actor.MayGrant(g) {
			return false
		}
	}
	return true
}

// Manages is manages for pages that decide whether to show the controls.
func (s *Service) Manages(ctx context.Context, u User) bool {
	return s.manages(authz.ActorFrom(ctx), u)
}

// AddGrant gives a user another role.
func (s *Service) AddGrant(ctx context.Context, userID int64, role authz.Role, unitCode string, orgID int64) (User, error) {
	actor := authz.ActorFrom(ctx)
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		u, err := s.findUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !s.sees(actor, u) && !s.manages(actor, u) {
			return apperr.Hidden("accounts.error.user_not_found")
		}
		g, err := resolveGrant(ctx, tx, role, unitCode, orgID)
		if err != nil {
			return err
		}
		if !actor.MayGrant(g) {
			return apperr.New(apperr.Forbidden, "accounts.error.grant_forbidden")
		}
		if err := insertGrant(ctx, tx, userID, g, actor.UserID, db.Millis(s.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.grant", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), UnitPath: g.UnitPath, Detail: string(role)})
	})
	if err != nil {
		return User{}, err
	}
	return s.findUser(ctx, s.DB.Reader(), userID)
}

// RevokeGrant removes one grant; the actor must have been able to hand it out.
func (s *Service) RevokeGrant(ctx context.Context, userID, grantID int64) error {
	actor := authz.ActorFrom(ctx)
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		grants, err := loadGrants(ctx, tx, userID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if g.ID != grantID {
				continue
			}
			if !actor.MayGrant(g) || actor.UserID == userID {
				if u, err := s.findUser(ctx, tx, userID); err != nil || !s.sees(actor, u) {
					return apperr.Hidden("accounts.error.user_not_found")
				}
				return apperr.New(apperr.Forbidden, "accounts.error.grant_forbidden")
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM role_grants WHERE id = ? AND user_id = ?", grantID, userID); err != nil {
				return apperr.Wrap(err, "delete grant")
			}
			return audit.Record(ctx, tx, audit.Entry{Action: "user.revoke", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), UnitPath: g.UnitPath, Detail: string(g.Role)})
		}
		return apperr.New(apperr.NotFound, "accounts.error.grant_not_found")
	})
}

// SetDisabled disables or re-enables an account. Disabling ends the user's sessions at once.
func (s *Service) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	actor := authz.ActorFrom(ctx)
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		u, err := s.findUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !s.manages(actor, u) {
			if s.sees(actor, u) {
				return apperr.New(apperr.Forbidden, "error.forbidden")
			}
			return apperr.Hidden("accounts.error.user_not_found")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", boolInt(disabled), db.Millis(s.Now()), userID); err != nil {
			return apperr.Wrap(err, "disable user")
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
				return apperr.Wrap(err, "end sessions")
			}
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		path := ""
		if len(u.Grants) > 0 {
			path = u.Grants[0].UnitPath
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), UnitPath: path, Detail: u.Username})
	})
}

// SetPassword sets a user's password. Users change their own (old password required); an
// administrator who manages the user may reset it, and the user must then choose a new one.
func (s *Service) SetPassword(ctx context.Context, userID int64, oldPassword, newPassword string) error {
	_, err := s.setPassword(ctx, userID, oldPassword, newPassword)
	return err
}

// ResetPassword is an administrator's reset to a temporary password: SetPassword without the old
// one. When the account has a phone and there is an outbox, the temporary password goes to the
// phone in the same transaction, and sentTo (masked) says where; otherwise the administrator
// hands it over.
func (s *Service) ResetPassword(ctx context.Context, userID int64, newPassword string) (sentTo Phone, err error) {
	if a := authz.ActorFrom(ctx); a != nil && a.UserID == userID {
		return Phone{}, apperr.InvalidField("old_password", "accounts.error.old_password")
	}
	return s.setPassword(ctx, userID, "", newPassword)
}

func (s *Service) setPassword(ctx context.Context, userID int64, oldPassword, newPassword string) (sentTo Phone, err error) {
	actor := authz.ActorFrom(ctx)
	u, err := s.findUser(ctx, s.DB.Reader(), userID)
	if err != nil {
		return Phone{}, err
	}
	self := actor != nil && actor.UserID == userID
	if self {
		ok, err := VerifyPassword(ctx, oldPassword, u.passwordHash)
		if err != nil || !ok {
			return Phone{}, apperr.InvalidField("old_password", "accounts.error.old_password")
		}
		if oldPassword == newPassword {
			return Phone{}, apperr.InvalidField("password", "accounts.error.password_same")
		}
	} else if !s.manages(actor, u) && actor != authz.System {
		return Phone{}, apperr.Hidden("accounts.error.user_not_found")
	}
	if err := validatePassword(newPassword, u.Username); err != nil {
		return Phone{}, err
	}
	hash, err := HashPassword(ctx, newPassword)
	if err != nil {
		return Phone{}, apperr.Wrap(err, "hash password")
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?",
			hash, boolInt(!self), db.Millis(s.Now()), userID); err != nil {
			return apperr.Wrap(err, "set password")
		}
		// Every other session of the user ends: whoever knew the old password is out.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "end sessions")
		}
		if !self {
			// A temporary password set by someone else goes to the person's phone when there is one.
			if sentTo, err = s.queuePasswordReset(ctx, tx, u, newPassword); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.password", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: u.Username})
	})
	return sentTo, err
}

// FindByUsername returns a user by username, without scope: for the command line.
func (s *Service) FindByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.DB.Reader().QueryRowContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = ?", NormalizeUsername(username)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, apperr.Hidden("accounts.error.user_not_found")
	}
	if err != nil {
		return User{}, apperr.Wrap(err, "find user")
	}
	u.Grants, err = loadGrants(ctx, s.DB.Reader(), u.ID)
	return u, err
}

// SetLocale stores the user's preferred language.
func (s *Service) SetLocale(ctx context.Context, userID int64, locale string) error {
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE users SET locale = ? WHERE id = ?", locale, userID)
		return apperr.Wrap(err, "set locale")
	})
}
