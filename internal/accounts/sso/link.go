package sso

import (
	"context"
	"database/sql"
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/vnphone"
)

// Link is an account's link to a provider's identity.
type Link struct {
	ID          int64     `json:"id"`
	Provider    string    `json:"provider"`
	Subject     string    `json:"subject,omitempty"`
	Email       string    `json:"email,omitempty"`
	UserID      int64     `json:"user_id"`
	CreatedAt   time.Time `json:"created_at"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// LinkUser links an account to a provider's identity: by its subject (the identifier the provider
// gives the person, known to the province's identity team), or by an e-mail address that binds the
// subject at the first sign-in where the provider says the address is verified. Only an
// administrator who manages the account (or the command line) may.
func (s *Service) LinkUser(ctx context.Context, providerID string, userID int64, subject, email string) (Link, error) {
	if s == nil {
		return Link{}, apperr.InvalidField("provider", "sso.error.unknown_provider")
	}
	// Who may link comes first, so that nobody learns anything of an account they do not manage.
	u, err := s.Accounts.FindUser(ctx, userID)
	if err != nil {
		return Link{}, err
	}
	if !s.Accounts.Manages(ctx, u) {
		return Link{}, apperr.New(apperr.Forbidden, "sso.error.link_forbidden")
	}
	if s.find(providerID) == nil {
		return Link{}, apperr.InvalidField("provider", "sso.error.unknown_provider")
	}
	subject, email = strings.TrimSpace(subject), strings.ToLower(strings.TrimSpace(email))
	switch {
	case (subject == "") == (email == ""):
		return Link{}, apperr.InvalidField("subject", "sso.error.link_one")
	case len(subject) > 255 || strings.ContainsAny(subject, "\x00\r\n"):
		return Link{}, apperr.InvalidField("subject", "sso.error.link_subject")
	case email != "" && !validEmail(email):
		return Link{}, apperr.InvalidField("email", "sso.error.link_email")
	}
	now := s.Now()
	l := Link{Provider: providerID, Subject: subject, Email: email, UserID: userID, CreatedAt: now}
	var unitPath string
	if len(u.Grants) > 0 {
		unitPath = u.Grants[0].UnitPath
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		l.ID, err = tx.InsertID(ctx, `INSERT INTO sso_identities (provider, subject, email, user_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			providerID, subject, email, userID, db.Millis(now), authz.ActorFrom(ctx).UserID)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "sso.error.link_taken")
			}
			return err
		}
		by := "subject"
		if email != "" {
			by = "email " + email
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "sso.link", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), UnitPath: unitPath,
			Detail: providerID + " " + by})
	})
	if err != nil {
		return Link{}, apperr.Wrap(err, "link sso identity")
	}
	return l, nil
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func validEmail(v string) bool {
	if len(v) > 200 || !emailRe.MatchString(v) {
		return false
	}
	_, err := mail.ParseAddress(v)
	return err == nil
}

// Links lists an account's links (for the administrator who manages it).
func (s *Service) Links(ctx context.Context, userID int64) ([]Link, error) {
	if _, err := s.Accounts.FindUser(ctx, userID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT id, provider, subject, email, user_id, created_at, last_login_at FROM sso_identities
		WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, apperr.Wrap(err, "list sso links")
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		var created, last int64
		if err := rows.Scan(&l.ID, &l.Provider, &l.Subject, &l.Email, &l.UserID, &created, &last); err != nil {
			return nil, apperr.Wrap(err, "scan sso link")
		}
		l.CreatedAt = db.FromMillis(created)
		if last > 0 {
			l.LastLoginAt = db.FromMillis(last)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// UnlinkUser removes one of an account's links.
func (s *Service) UnlinkUser(ctx context.Context, userID, linkID int64) error {
	if s == nil {
		return apperr.New(apperr.NotFound, "sso.error.link_not_found")
	}
	u, err := s.Accounts.FindUser(ctx, userID)
	if err != nil {
		return err
	}
	if !s.Accounts.Manages(ctx, u) {
		return apperr.New(apperr.Forbidden, "sso.error.link_forbidden")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var provider string
		err := tx.QueryRowContext(ctx, "DELETE FROM sso_identities WHERE id = ? AND user_id = ? RETURNING provider", linkID, userID).Scan(&provider)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "sso.error.link_not_found")
		} else if err != nil {
			return apperr.Wrap(err, "unlink sso identity")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "sso.unlink", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: provider})
	})
}

// Signup is a new learner's verified identity waiting for their unit or organisation.
type Signup struct {
	Provider    string
	Name        string // the provider's name
	Username    string // suggested
	DisplayName string
	Email       string // only when the provider said it is verified
	Next        string
	MFA         bool
	subject     string
	phone       string // national form; only a number the provider verified
}

var usernameChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// suggestUsername turns the provider's username (or the e-mail's local part) into one that the
// account rules accept; the learner may change it on the form.
func suggestUsername(who identity) string {
	v := accounts.NormalizeUsername(who.Username)
	if v == "" {
		v, _, _ = strings.Cut(who.Email, "@")
	}
	v = strings.Trim(usernameChars.ReplaceAllString(strings.ToLower(v), ""), "._-")
	if len(v) > 64 {
		v = v[:64]
	}
	if len(v) < 3 {
		return ""
	}
	return v
}

func (s *Service) startSignup(ctx context.Context, p *provider, who identity, next string) (string, error) {
	token := random()
	email := ""
	if who.EmailVerified {
		email = who.Email
	}
	// A phone the provider verified goes to the new account, so the learner can later sign in with
	// a code sent there; an unverified one would let a stranger claim someone's number.
	phone := ""
	if p, ok := vnphone.Normalize(who.Phone); ok && who.PhoneVerified {
		phone = p
	}
	name := who.Name
	if len(name) > 120 {
		name = truncate(name, 120)
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sso_signups (token_hash, provider, subject, email, display_name, username, next, mfa, expires_at, phone)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, hash(token), p.ID, who.Subject, email, name, suggestUsername(who), next, boolInt(who.MFA),
			db.Millis(s.Now().Add(signupFor)), phone)
		return err
	})
	if err != nil {
		return "", apperr.Wrap(err, "store sso signup")
	}
	return token, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Signup returns the waiting sign-up of a token.
func (s *Service) Signup(ctx context.Context, token string) (Signup, error) {
	var su Signup
	var mfa int
	var exp int64
	if s == nil || token == "" || len(token) > 100 {
		return Signup{}, apperr.New(apperr.Unauthenticated, "sso.error.signup_expired")
	}
	err := s.DB.Reader().QueryRowContext(ctx, `SELECT provider, subject, email, display_name, username, next, mfa, expires_at, phone FROM sso_signups WHERE token_hash = ?`,
		hash(token)).Scan(&su.Provider, &su.subject, &su.Email, &su.DisplayName, &su.Username, &su.Next, &mfa, &exp, &su.phone)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && s.Now().UnixMilli() > exp) {
		return Signup{}, apperr.New(apperr.Unauthenticated, "sso.error.signup_expired")
	} else if err != nil {
		return Signup{}, apperr.Wrap(err, "find sso signup")
	}
	p := s.find(su.Provider)
	if p == nil {
		return Signup{}, apperr.New(apperr.Unauthenticated, "sso.error.signup_expired")
	}
	su.Name, su.MFA = p.Name, mfa == 1
	return su, nil
}

// FinishSignup creates the learner's account with the place they chose and links it to the
// identity, in one transaction that also uses up the sign-up: a second submission creates nothing.
func (s *Service) FinishSignup(ctx context.Context, token string, n accounts.NewUser) (accounts.User, Signup, error) {
	su, err := s.Signup(ctx, token)
	if err != nil {
		return accounts.User{}, Signup{}, err
	}
	n.Role = authz.Learner
	n.Email = su.Email
	// No password: the learner signs in through the provider. A random one satisfies the account's
	// rules and is never shown, so the password form cannot open the account.
	n.Password = accounts.GeneratePassword()
	u, err := s.Accounts.RegisterWith(ctx, n, func(ctx context.Context, tx *db.Tx, userID int64) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sso_signups WHERE token_hash = ?", hash(token))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return apperr.New(apperr.Unauthenticated, "sso.error.signup_expired")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sso_identities (provider, subject, email, user_id, created_at, last_login_at) VALUES (?, ?, '', ?, ?, ?)`,
			su.Provider, su.subject, userID, db.Millis(s.Now()), db.Millis(s.Now())); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "sso.error.link_taken")
			}
			return err
		}
		if _, err := accounts.AttachVerifiedPhone(ctx, tx, userID, su.phone, s.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "sso.register", ActorID: userID, ActorName: n.Username, ObjectType: "user",
			ObjectID: strconv.FormatInt(userID, 10), Detail: su.Provider})
	})
	if err != nil {
		return accounts.User{}, Signup{}, err
	}
	return u, su, nil
}
