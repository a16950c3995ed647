package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// Register creates a learner's own account, without an administrator: officials, teachers,
// pupils, students, youth-union members and citizens sign up for the digital-skills courses and
// pick the organisation (school, union, department…) or the unit (commune) they belong to. Only
// the learner role can be had this way. A learner who declares an age under 16 must give the name
// of a parent or guardian and their consent (Decree 13/2023/NĐ-CP, art. 20), recorded with its time.
func (s *Service) Register(ctx context.Context, n NewUser) (User, error) {
	return s.RegisterWith(ctx, n, nil)
}

// RegisterWith is Register with also run inside the same transaction once the account exists
// (single sign-on links the provider's subject to it): either both are written or neither.
func (s *Service) RegisterWith(ctx context.Context, n NewUser, also func(ctx context.Context, tx *db.Tx, userID int64) error) (User, error) {
	if n.Role == "" {
		n.Role = authz.Learner
	}
	if n.Role != authz.Learner {
		return User{}, apperr.InvalidField("role", "accounts.error.register_role")
	}
	n.MustChangePassword = false
	if err := n.Validate(); err != nil {
		return User{}, err
	}
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
		now := db.Millis(s.Now())
		id, err = tx.InsertID(ctx, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?) RETURNING id`, n.Username, n.DisplayName, n.Email, textfold.Fold(n.Username+" "+n.DisplayName), hash, now, now)
		if err != nil {
			if db.IsUniqueViolation(err) {
				e := apperr.New(apperr.Conflict, "accounts.error.username_taken", n.Username)
				e.Field = "username"
				return e
			}
			return apperr.Wrap(err, "insert user")
		}
		if err := insertGrant(ctx, tx, id, g, 0, now); err != nil {
			return err
		}
		if err := recordGuardianConsent(ctx, tx, id, n, 0, now); err != nil {
			return err
		}
		if also != nil {
			if err := also(ctx, tx, id); err != nil {
				return err
			}
		}
		detail := n.Username + " " + string(g.Role)
		if n.Under16 {
			detail += " guardian_consent"
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.register", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			ActorID: id, ActorName: n.Username, UnitPath: g.UnitPath, Detail: detail})
	})
	if err != nil {
		return User{}, err
	}
	return s.findUser(ctx, s.DB.Reader(), id)
}

// validateGuardian checks the guardian's consent of a child's account.
func (n *NewUser) validateGuardian() error {
	n.GuardianName = strings.Join(strings.Fields(n.GuardianName), " ")
	if !n.Under16 {
		n.GuardianName, n.GuardianConsent = "", false
		return nil
	}
	if n.GuardianName == "" {
		return apperr.InvalidField("guardian_name", "accounts.error.guardian_name")
	}
	if utf8.RuneCountInString(n.GuardianName) > 120 {
		return apperr.InvalidField("guardian_name", "accounts.error.too_long")
	}
	if !n.GuardianConsent {
		return apperr.InvalidField("guardian_consent", "accounts.error.guardian_consent")
	}
	return nil
}

func recordGuardianConsent(ctx context.Context, tx *db.Tx, userID int64, n NewUser, by int64, now int64) error {
	if !n.Under16 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO guardian_consents (user_id, guardian_name, consent, consented_at, recorded_by) VALUES (?, ?, 1, ?, ?)`,
		userID, n.GuardianName, now, db.NullInt(by))
	return apperr.Wrap(err, "record guardian consent")
}

// GuardianConsent is the recorded consent for a child's account.
type GuardianConsent struct {
	GuardianName string `json:"guardian_name"`
	ConsentedAt  int64  `json:"-"`
}

// FindGuardianConsent returns the consent recorded for a user, and whether there is one.
func (s *Service) FindGuardianConsent(ctx context.Context, userID int64) (GuardianConsent, bool, error) {
	var c GuardianConsent
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT guardian_name, consented_at FROM guardian_consents WHERE user_id = ?", userID).Scan(&c.GuardianName, &c.ConsentedAt)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, false, nil
		}
		return c, false, apperr.Wrap(err, "find guardian consent")
	}
	return c, true, nil
}
