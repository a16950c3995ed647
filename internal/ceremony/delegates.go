package ceremony

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// MaxDelegatesPerPoint bounds one point's invitation list.
const MaxDelegatesPerPoint = 500

const delegateColumns = `id, ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, checked_in_at,
	email, channel, invitation_no, invitation_series, invitation_year, invited_at, sends, rsvp, rsvp_at, deputy_name, deputy_position`

func scanDelegate(row interface{ Scan(...any) error }) (Delegate, error) {
	var d Delegate
	var at, invited, answered int64
	err := row.Scan(&d.ID, &d.CeremonyID, &d.PointID, &d.FullName, &d.Position, &d.Organisation, &d.Group, &d.Phone, &d.Token, &at,
		&d.Email, &d.Channel, &d.InvitationNo, &d.InvitationSeries, &d.InvitationYear, &invited, &d.Sends, &d.RSVP, &answered, &d.DeputyName, &d.DeputyPosition)
	d.CheckedInAt, d.InvitedAt, d.RSVPAt = db.FromMillis(at), db.FromMillis(invited), db.FromMillis(answered)
	return d, err
}

// AddDelegate invites one person to a point; its people (administrators, operator) may.
func (s *Service) AddDelegate(ctx context.Context, id, pid int64, d Delegate) (Delegate, error) {
	a := authz.ActorFrom(ctx)
	d.FullName = strings.Join(strings.Fields(d.FullName), " ")
	d.Position, d.Organisation, d.Phone = strings.TrimSpace(d.Position), strings.TrimSpace(d.Organisation), strings.TrimSpace(d.Phone)
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return Delegate{}, apperr.Wrap(err, "token")
	}
	d.Token, d.CeremonyID, d.PointID = hex.EncodeToString(tok[:]), id, pid
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if err := s.refuseArchived(ctx, tx, id); err != nil {
			return err
		}
		p, err := s.loadPoint(ctx, tx, id, pid)
		if err != nil {
			return err
		}
		if !MayTouch(a, p) {
			return refuseTouch(a, "ceremony.error.point_not_found")
		}
		if err := d.Validate(p.Level); err != nil {
			return err
		}
		if err := validContact(&d); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ceremony_delegates WHERE point_id = ?", pid).Scan(&n); err != nil {
			return apperr.Wrap(err, "count delegates")
		}
		if n >= MaxDelegatesPerPoint {
			return apperr.New(apperr.Invalid, "ceremony.error.delegates_full", MaxDelegatesPerPoint)
		}
		d.ID, err = tx.InsertID(ctx, `INSERT INTO ceremony_delegates (ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, created_at, email, channel)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, pid, d.FullName, d.Position, d.Organisation, d.Group, d.Phone, d.Token, db.Millis(s.Now()), d.Email, d.Channel)
		if err != nil {
			return apperr.Wrap(err, "insert delegate")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.delegate_add", ObjectType: "delegate", ObjectID: strconv.FormatInt(d.ID, 10), UnitPath: p.UnitPath, Detail: d.FullName})
	})
	return d, err
}

// refuseArchived refuses changes to the delegates of an archived ceremony, which is read-only, as
// the import does. A cancelled one still takes them: it may be reinstated, and nothing is sent
// while it stays cancelled.
func (s *Service) refuseArchived(ctx context.Context, q db.Querier, id int64) error {
	c, err := s.find(ctx, q, id)
	if err != nil {
		return err
	}
	if c.Status == Archived {
		return apperr.New(apperr.Conflict, "ceremony.error.archived")
	}
	return nil
}

// Delegates lists a point's delegates, for those who may read the point.
func (s *Service) Delegates(ctx context.Context, id, pid int64) ([]Delegate, error) {
	if _, err := s.FindPoint(ctx, id, pid); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+delegateColumns+" FROM ceremony_delegates WHERE ceremony_id = ? AND point_id = ? ORDER BY id", id, pid)
	if err != nil {
		return nil, apperr.Wrap(err, "list delegates")
	}
	defer rows.Close()
	var out []Delegate
	for rows.Next() {
		d, err := scanDelegate(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan delegate")
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// findDelegate returns a delegate of a ceremony the actor may see whose point the actor may touch
// (or, with read set, read).
func (s *Service) findDelegate(ctx context.Context, q db.Querier, id int64, where string, arg any, read bool) (Delegate, Point, error) {
	if _, err := s.find(ctx, q, id); err != nil {
		return Delegate{}, Point{}, err
	}
	d, err := scanDelegate(q.QueryRowContext(ctx, "SELECT "+delegateColumns+" FROM ceremony_delegates WHERE ceremony_id = ? AND "+where, id, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Delegate{}, Point{}, apperr.New(apperr.NotFound, "ceremony.error.delegate_not_found")
	}
	if err != nil {
		return Delegate{}, Point{}, apperr.Wrap(err, "find delegate")
	}
	p, err := s.loadPoint(ctx, q, id, d.PointID)
	if err != nil {
		return Delegate{}, Point{}, err
	}
	a := authz.ActorFrom(ctx)
	if read && MayRead(a, p) {
		return d, p, nil
	}
	if !MayTouch(a, p) {
		return Delegate{}, Point{}, refuseTouch(a, "ceremony.error.delegate_not_found")
	}
	return d, p, nil
}

// DelegateByToken finds the delegate of an invitation's QR code, for the check-in page.
func (s *Service) DelegateByToken(ctx context.Context, id int64, token string) (Delegate, Point, error) {
	if len(token) != 32 {
		return Delegate{}, Point{}, apperr.New(apperr.NotFound, "ceremony.error.delegate_not_found")
	}
	return s.findDelegate(ctx, s.DB.Reader(), id, "token = ?", token, false)
}

// CheckIn records a delegate's arrival from the QR code of their invitation. Checking in twice
// keeps the first time; already tells so.
func (s *Service) CheckIn(ctx context.Context, id int64, token string) (d Delegate, already bool, err error) {
	if len(token) != 32 {
		return Delegate{}, false, apperr.New(apperr.NotFound, "ceremony.error.delegate_not_found")
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var p Point
		var err error
		d, p, err = s.findDelegate(ctx, tx, id, "token = ?", token, false)
		if err != nil {
			return err
		}
		if !d.CheckedInAt.IsZero() {
			already = true
			return nil
		}
		now := s.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE ceremony_delegates SET checked_in_at = ? WHERE id = ? AND checked_in_at = 0", db.Millis(now), d.ID); err != nil {
			return apperr.Wrap(err, "check in")
		}
		d.CheckedInAt = now
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.checkin", ObjectType: "delegate", ObjectID: strconv.FormatInt(d.ID, 10), UnitPath: p.UnitPath, Detail: d.FullName})
	})
	return d, already, err
}

// CheckInURL is the address an invitation's QR code opens.
func CheckInURL(base string, d Delegate) string {
	return strings.TrimRight(base, "/") + "/ceremonies/" + strconv.FormatInt(d.CeremonyID, 10) + "/checkin/" + d.Token
}

// provinceKind is the kind of a province as a sentence reads it, from its official name: "Tỉnh
// Quảng Ngãi" → "tỉnh", "Thành phố Hà Nội" → "thành phố".
func provinceKind(province units.Unit) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimSuffix(province.Name, units.PlaceName(province.Name))))
}

// UpdateDelegate corrects a delegate's name, position, organisation, group and phone; the
// invitation's QR code (its token) and the check-in stay. Its point's people may.
func (s *Service) UpdateDelegate(ctx context.Context, id, did int64, in Delegate) (Delegate, error) {
	in.FullName = strings.Join(strings.Fields(in.FullName), " ")
	in.Position, in.Organisation, in.Phone = strings.TrimSpace(in.Position), strings.TrimSpace(in.Organisation), strings.TrimSpace(in.Phone)
	var out Delegate
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		d, p, err := s.findDelegate(ctx, tx, id, "id = ?", did, false)
		if err != nil {
			return err
		}
		if err := s.refuseArchived(ctx, tx, id); err != nil {
			return err
		}
		if p.Retired {
			return apperr.New(apperr.Conflict, "ceremony.error.point_retired")
		}
		if err := in.Validate(p.Level); err != nil {
			return err
		}
		if err := validContact(&in); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ceremony_delegates SET full_name = ?, position = ?, organisation = ?, group_key = ?, phone = ?, email = ?, channel = ? WHERE id = ?",
			in.FullName, in.Position, in.Organisation, in.Group, in.Phone, in.Email, in.Channel, did); err != nil {
			return apperr.Wrap(err, "update delegate")
		}
		d.FullName, d.Position, d.Organisation, d.Group, d.Phone = in.FullName, in.Position, in.Organisation, in.Group, in.Phone
		d.Email, d.Channel = in.Email, in.Channel
		out = d
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.delegate_update", ObjectType: "delegate", ObjectID: strconv.FormatInt(did, 10), UnitPath: p.UnitPath, Detail: d.FullName})
	})
	return out, err
}

// DeleteDelegate withdraws an invitation. A delegate who has checked in stays on the record
// (the attendance report counts them): deleting them is refused.
func (s *Service) DeleteDelegate(ctx context.Context, id, did int64) error {
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		d, p, err := s.findDelegate(ctx, tx, id, "id = ?", did, false)
		if err != nil {
			return err
		}
		if err := s.refuseArchived(ctx, tx, id); err != nil {
			return err
		}
		if !d.CheckedInAt.IsZero() {
			return apperr.New(apperr.Conflict, "ceremony.error.delegate_checked_in")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM ceremony_delegates WHERE id = ?", did); err != nil {
			return apperr.Wrap(err, "delete delegate")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.delegate_delete", ObjectType: "delegate", ObjectID: strconv.FormatInt(did, 10), UnitPath: p.UnitPath, Detail: d.FullName})
	})
}

// FindDelegate returns one delegate whose point the actor may touch, with the point, for its
// correction or withdrawal.
func (s *Service) FindDelegate(ctx context.Context, id, did int64) (Delegate, Point, error) {
	return s.findDelegate(ctx, s.DB.Reader(), id, "id = ?", did, false)
}
