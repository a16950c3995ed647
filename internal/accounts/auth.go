package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Login rate limits. Failures are counted in the database, so the limits hold across instances.
const (
	loginWindow          = 15 * time.Minute
	maxFailuresPerUser   = 10
	maxFailuresPerAddr   = 50
	loginAttemptsKeptFor = 24 * time.Hour
)

// Authenticate checks a username and password. It refuses with TooMany once the account or the
// address has failed too often in the last 15 minutes, whatever the password.
func (s *Service) Authenticate(ctx context.Context, username, password, addr string) (User, error) {
	username = NormalizeUsername(username)
	if len(username) > 64 || len(password) > MaxPasswordLen {
		return User{}, apperr.New(apperr.Unauthenticated, "accounts.error.bad_login")
	}
	since := db.Millis(s.Now().Add(-loginWindow))
	var userFails, addrFails int
	r := s.DB.Reader()
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempts WHERE username = ? AND ok = 0 AND at > ?", username, since).Scan(&userFails); err != nil {
		return User{}, apperr.Wrap(err, "count failures")
	}
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempts WHERE addr = ? AND ok = 0 AND at > ?", addr, since).Scan(&addrFails); err != nil {
		return User{}, apperr.Wrap(err, "count failures")
	}
	if userFails >= maxFailuresPerUser || addrFails >= maxFailuresPerAddr {
		return User{}, apperr.New(apperr.TooMany, "accounts.error.too_many_logins", int(loginWindow.Minutes()))
	}
	u, err := s.FindByUsername(ctx, username)
	found := err == nil
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return User{}, err
	}
	hash := dummyHash
	if found {
		hash = u.passwordHash
	}
	ok, verr := VerifyPassword(ctx, password, hash)
	ok = ok && verr == nil && found && !u.Disabled
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO login_attempts (at, username, addr, ok) VALUES (?, ?, ?, ?)", db.Millis(now), username, addr, boolInt(ok)); err != nil {
			return err
		}
		if ok {
			_, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", db.Millis(now), u.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return User{}, apperr.Wrap(err, "record login")
	}
	if !ok {
		if found && u.Disabled && verr == nil {
			return User{}, apperr.New(apperr.Unauthenticated, "accounts.error.disabled")
		}
		return User{}, apperr.New(apperr.Unauthenticated, "accounts.error.bad_login")
	}
	return u, nil
}

func newSecret(prefix string) (plain, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, hashSecret(plain)
}

func hashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// Session is a signed-in browser.
type Session struct {
	UserID    int64
	CreatedAt time.Time
	LastSeen  time.Time
}

// CreateSession starts a session for a user who just gave their password and returns the cookie
// value; the session waits for the second factor when the user has one or must set one up (see
// StartSession, which says so). Only a hash is stored, so a copy of the database does not let
// anyone in. Any session the browser presented before logging in is deleted by the caller: the id
// changes at login.
func (s *Service) CreateSession(ctx context.Context, userID int64, addr, userAgent string) (string, error) {
	n, err := s.StartSession(ctx, userID, addr, userAgent, SessionOptions{})
	return n.Token, err
}

// sessionTouchEvery limits last-seen updates to one write per minute per session.
const sessionTouchEvery = time.Minute

// ActorForSession returns the actor of a session cookie, or Unauthenticated when the session is
// unknown, expired, idle for too long or its user disabled.
func (s *Service) ActorForSession(ctx context.Context, cookie string) (*authz.Actor, User, error) {
	if cookie == "" || len(cookie) > 100 {
		return nil, User{}, apperr.New(apperr.Unauthenticated, "accounts.error.session")
	}
	hash := hashSecret(cookie)
	var lastSeen, expires int64
	var pending string
	u, err := s.userWithGrants(ctx, "SELECT x.last_seen_at, x.expires_at, x.pending, "+userColumns+`, g.id, g.role, COALESCE(g.unit_code, ''),
		COALESCE(g.org_id, 0), g.unit_path, g.org_path FROM sessions x JOIN users u ON u.id = x.user_id LEFT JOIN role_grants g ON g.user_id = u.id
		WHERE x.id_hash = ? ORDER BY g.id`, hash, &lastSeen, &expires, &pending)
	if apperr.Is(err, apperr.NotFound) {
		return nil, User{}, apperr.New(apperr.Unauthenticated, "accounts.error.session")
	} else if err != nil {
		return nil, User{}, err
	}
	now := s.Now()
	if now.UnixMilli() > expires || now.Sub(db.FromMillis(lastSeen)) > s.IdleTimeout {
		s.DeleteSession(ctx, cookie)
		return nil, User{}, apperr.New(apperr.Unauthenticated, "accounts.error.session_expired")
	}
	if pending != "" {
		// Half signed in: a password without its second factor is no actor, anywhere.
		return nil, User{}, apperr.New(apperr.Unauthenticated, keyPending)
	}
	actor, err := actorOf(u, "session")
	if err != nil {
		return nil, User{}, err
	}
	if now.Sub(db.FromMillis(lastSeen)) > sessionTouchEvery {
		_ = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", db.Millis(now), hash)
			return err
		})
	}
	return actor, u, nil
}

// userWithGrants runs q, a lookup by one secret hash that joins the secret's row (whose leading
// columns are scanned into lead), the user (userColumns) and their grants (one row per grant, or
// one row of NULLs), and returns the user with their grants: one read per request where there
// were three (secret, user, grants). NotFound when no row matches.
func (s *Service) userWithGrants(ctx context.Context, q, hash string, lead ...any) (User, error) {
	rows, err := s.DB.QueryPrepared(ctx, q, hash)
	if err != nil {
		return User{}, apperr.Wrap(err, "load actor")
	}
	defer rows.Close()
	var u User
	found := false
	for rows.Next() {
		var gid, org sql.NullInt64
		var role, code, unitPath, orgPath sql.NullString
		row := scanFunc(func(dest ...any) error {
			all := append(append(slices.Clone(lead), dest...), &gid, &role, &code, &org, &unitPath, &orgPath)
			return rows.Scan(all...)
		})
		x, err := scanUser(row)
		if err != nil {
			return User{}, apperr.Wrap(err, "scan actor")
		}
		if !found {
			u, found = x, true
		}
		if gid.Valid {
			u.Grants = append(u.Grants, authz.Grant{ID: gid.Int64, Role: authz.Role(role.String), UnitCode: code.String, OrgID: org.Int64,
				UnitPath: unitPath.String, OrgPath: orgPath.String})
		}
	}
	if err := rows.Err(); err != nil {
		return User{}, apperr.Wrap(err, "load actor")
	}
	if !found {
		return User{}, apperr.New(apperr.NotFound, "accounts.error.user_not_found")
	}
	return u, nil
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// actorOf turns a signed-in user into the actor of their requests.
func actorOf(u User, via string) (*authz.Actor, error) {
	if u.Disabled {
		return nil, apperr.New(apperr.Unauthenticated, "accounts.error.disabled")
	}
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	return &authz.Actor{UserID: u.ID, Username: u.Username, Name: name, Grants: u.Grants, Via: via}, nil
}

// DeleteSession ends a session (logout).
func (s *Service) DeleteSession(ctx context.Context, cookie string) error {
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashSecret(cookie))
		return err
	})
}

// TokenPrefix starts every personal access token, so that a leaked one is recognisable by scanners.
const TokenPrefix = "lt_"

// Token is a personal access token as listed (never its secret).
type Token struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	Revoked    bool      `json:"revoked"`
}

// CreateToken makes a personal access token for a user and returns its secret, shown only once.
// Users make their own; the command line (authz.System) makes them for anyone. The token never
// expires; use CreateTokenUntil for one that does.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (string, error) {
	return s.CreateTokenUntil(ctx, userID, name, time.Time{})
}

// CreateTokenUntil makes a token that stops working at expires (zero: never).
func (s *Service) CreateTokenUntil(ctx context.Context, userID int64, name string, expires time.Time) (string, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil || (actor.UserID != userID && actor != authz.System) {
		return "", apperr.New(apperr.Forbidden, "error.forbidden")
	}
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return "", apperr.InvalidField("name", "accounts.error.too_long")
	}
	plain, hash := newSecret(TokenPrefix)
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO access_tokens (user_id, name, token_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			userID, name, hash, plain[:len(TokenPrefix)+6], db.Millis(s.Now()), db.Millis(expires)); err != nil {
			return apperr.Wrap(err, "insert token")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "token.create", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: name})
	})
	return plain, err
}

// ActorForToken returns the actor of a bearer token.
func (s *Service) ActorForToken(ctx context.Context, token string) (*authz.Actor, User, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return nil, User{}, apperr.New(apperr.Unauthenticated, "accounts.error.token")
	}
	var id, lastUsed, revoked, expires int64
	u, err := s.userWithGrants(ctx, "SELECT t.id, t.last_used_at, t.revoked_at, t.expires_at, "+userColumns+`, g.id, g.role, COALESCE(g.unit_code, ''),
		COALESCE(g.org_id, 0), g.unit_path, g.org_path FROM access_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN role_grants g ON g.user_id = u.id
		WHERE t.token_hash = ? ORDER BY g.id`, hashSecret(token), &id, &lastUsed, &revoked, &expires)
	now := s.Now()
	if err != nil || revoked != 0 || (expires != 0 && now.UnixMilli() > expires) {
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, User{}, err
		}
		return nil, User{}, apperr.New(apperr.Unauthenticated, "accounts.error.token")
	}
	actor, err := actorOf(u, "token")
	if err != nil {
		return nil, User{}, err
	}
	if now.Sub(db.FromMillis(lastUsed)) > sessionTouchEvery {
		_ = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE access_tokens SET last_used_at = ? WHERE id = ?", db.Millis(now), id)
			return err
		})
	}
	return actor, u, nil
}

// ListTokens lists a user's tokens: the actor's own (the command line may list anyone's).
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	if a := authz.ActorFrom(ctx); a == nil || (a.UserID != userID && a != authz.System) {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM access_tokens WHERE user_id = ? ORDER BY id DESC", userID)
	if err != nil {
		return nil, apperr.Wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created, used, revoked int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &created, &used, &revoked); err != nil {
			return nil, apperr.Wrap(err, "scan token")
		}
		t.CreatedAt, t.LastUsedAt, t.Revoked = db.FromMillis(created), db.FromMillis(used), revoked != 0
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the actor's own tokens (the command line may revoke anyone's).
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	if a := authz.ActorFrom(ctx); a == nil || (a.UserID != userID && a != authz.System) {
		return apperr.New(apperr.NotFound, "accounts.error.token_not_found")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at = 0", db.Millis(s.Now()), tokenID, userID)
		if err != nil {
			return apperr.Wrap(err, "revoke token")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "accounts.error.token_not_found")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "token.revoke", ObjectType: "token", ObjectID: strconv.FormatInt(tokenID, 10)})
	})
}

// FirstAdminUsername is the account created on a fresh database.
const FirstAdminUsername = "admin"

// EnsureFirstAdmin creates the first administrator, named admin, with a random one-time password
// when no enabled national or province administrator exists: the province's administrator when
// the database holds one province (the zero-configuration deployment), else a national
// administrator, who appoints the provinces' own. It returns the password only when it created or
// restored the account; the user must change it at first login.
func (s *Service) EnsureFirstAdmin(ctx context.Context) (password string, err error) {
	var n int
	if err := s.DB.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM users u JOIN role_grants g ON g.user_id = u.id
		WHERE g.role IN (?, ?) AND u.disabled = 0`, string(authz.ProvinceAdmin), string(authz.NationalAdmin)).Scan(&n); err != nil {
		return "", apperr.Wrap(err, "count admins")
	}
	if n > 0 {
		return "", nil
	}
	role, province, err := s.firstAdminRole(ctx)
	if err != nil {
		return "", err
	}
	password = GeneratePassword()
	ctx = authz.WithActor(ctx, authz.System)
	if existing, err := s.FindByUsername(ctx, FirstAdminUsername); err == nil {
		// An "admin" exists but was disabled or lost its grant: restore it rather than fail.
		if err := s.SetPassword(ctx, existing.ID, "", password); err != nil {
			return "", err
		}
		if err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE users SET disabled = 0 WHERE id = ?", existing.ID)
			return err
		}); err != nil {
			return "", apperr.Wrap(err, "enable admin")
		}
		if _, err := s.AddGrant(ctx, existing.ID, role, province, 0); err != nil && !apperr.Is(err, apperr.Conflict) {
			return "", err
		}
		return password, nil
	}
	name := "Quản trị Sở TT&TT"
	if role == authz.NationalAdmin {
		name = "Quản trị cấp quốc gia"
	}
	_, err = s.CreateUser(ctx, NewUser{Username: FirstAdminUsername, DisplayName: name, Password: password,
		Role: role, UnitCode: province, MustChangePassword: true})
	if err != nil {
		return "", err
	}
	return password, nil
}

// firstAdminRole is the role of the first administrator: the province's administrator when the
// tree holds exactly one province in force, else a national administrator.
func (s *Service) firstAdminRole(ctx context.Context) (authz.Role, string, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT code FROM units WHERE level = 'province' AND valid_to = '' ORDER BY code LIMIT 2")
	if err != nil {
		return "", "", apperr.Wrap(err, "provinces")
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", "", apperr.Wrap(err, "provinces")
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		return "", "", apperr.Wrap(err, "provinces")
	}
	if len(codes) == 1 {
		return authz.ProvinceAdmin, codes[0], nil
	}
	return authz.NationalAdmin, "", nil
}
