package events

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// ImageStore stores a photo through the portal's image handling (checked, scaled, stripped of its
// metadata, served at /media/{id}) for province and returns the image's id. The caller has checked
// that the actor may add photos to the event.
type ImageStore func(ctx context.Context, data []byte, alt, province string) (int64, error)

// Service records and reads launch events.
type Service struct {
	DB     *db.DB
	Images ImageStore
	Now    func() time.Time
}

// NewService returns the service; images may be nil (photos are then refused).
func NewService(d *db.DB, images ImageStore) *Service {
	return &Service{DB: d, Images: images, Now: time.Now}
}

// owner is where an event hangs in the trees.
type owner struct {
	unitCode, unitPath, unitName string
	orgID                        int64
	orgPath, orgName             string
	level                        Level
}

func (o owner) object() authz.Object {
	if o.orgID != 0 {
		return authz.Object{OrgPath: o.orgPath, OrgUnitPath: o.unitPath}
	}
	return authz.Object{UnitPath: o.unitPath}
}

// findOwner reads the unit (in force) or the organisation (not merged away) an event is created for.
func findOwner(ctx context.Context, q db.Querier, in Input) (owner, error) {
	var o owner
	if in.UnitCode != "" {
		var level string
		err := q.QueryRowContext(ctx, "SELECT path, name, level FROM units WHERE code = ? AND valid_to = ''", in.UnitCode).Scan(&o.unitPath, &o.unitName, &level)
		if err != nil {
			return o, apperr.InvalidField("unit_code", "units.error.not_found", in.UnitCode)
		}
		switch units.Level(level) {
		case units.Province, units.District, units.Commune:
			o.level = Level(level)
		default:
			return o, apperr.InvalidField("unit_code", "events.error.unit_level")
		}
		o.unitCode = in.UnitCode
		return o, nil
	}
	var validTo string
	err := q.QueryRowContext(ctx, "SELECT o.path, o.unit_path, o.name, o.valid_to, COALESCE(o.unit_code, ''), COALESCE(u.name, '') FROM orgs o LEFT JOIN units u ON u.path = o.unit_path WHERE o.id = ?", in.OrgID).
		Scan(&o.orgPath, &o.unitPath, &o.orgName, &validTo, &o.unitCode, &o.unitName)
	if err != nil {
		return o, apperr.InvalidField("org_id", "orgs.error.not_found", in.OrgID)
	}
	if validTo != "" {
		// A merged organisation holds nothing new: its successor does.
		return o, apperr.InvalidField("org_id", "orgs.error.retired", o.orgName)
	}
	if o.unitPath == "" || authz.ProvinceOfPath(o.unitPath) == "" {
		return o, apperr.InvalidField("org_id", "events.error.org_unplaced")
	}
	o.orgID, o.level = in.OrgID, OrgLevel
	return o, nil
}

func actorOf(ctx context.Context) (*authz.Actor, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	return a, nil
}

// Create records an event for a unit the actor administers or an organisation they administer.
// The same event sent twice (same host, start and title) is refused as a duplicate.
func (s *Service) Create(ctx context.Context, in Input) (Event, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return Event{}, err
	}
	now := s.Now()
	start, err := in.clean(now, true)
	if err != nil {
		return Event{}, err
	}
	var id int64
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		o, err := findOwner(ctx, tx, in)
		if err != nil {
			return err
		}
		if !a.MayChange(o.object()) {
			return apperr.New(apperr.Forbidden, "events.error.not_yours")
		}
		p := in.Participants
		id, err = tx.InsertID(ctx, `INSERT INTO launch_events (province_code, unit_code, unit_path, org_id, org_path, level, kind, title, starts_at,
			place, host, outcome, officials, youth_members, pupils, citizens, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			authz.ProvinceOfPath(o.unitPath), o.unitCode, o.unitPath, db.NullInt(o.orgID), o.orgPath, string(o.level), string(in.Kind), in.Title,
			db.Millis(start), in.Place, in.Host, in.Outcome, p.Officials, p.YouthMembers, p.Pupils, p.Citizens,
			db.NullInt(a.UserID), db.Millis(now), db.NullInt(a.UserID), db.Millis(now))
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "events.error.duplicate")
		}
		if err != nil {
			return apperr.Wrap(err, "insert launch event")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "launch_event.create", ObjectType: "launch_event", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: o.unitPath, Detail: string(in.Kind) + " " + in.Title})
	})
	if err != nil {
		return Event{}, err
	}
	return s.Find(ctx, id)
}

// Update changes an event the actor may change; its host unit or organisation stays.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Event, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return Event{}, err
	}
	now := s.Now()
	start, err := in.clean(now, false)
	if err != nil {
		return Event{}, err
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		e, err := s.findIn(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.MayChange(e.object()) {
			return apperr.New(apperr.Forbidden, "events.error.not_yours")
		}
		p := in.Participants
		_, err = tx.ExecContext(ctx, `UPDATE launch_events SET kind = ?, title = ?, starts_at = ?, place = ?, host = ?, outcome = ?,
			officials = ?, youth_members = ?, pupils = ?, citizens = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
			string(in.Kind), in.Title, db.Millis(start), in.Place, in.Host, in.Outcome, p.Officials, p.YouthMembers, p.Pupils, p.Citizens,
			db.NullInt(a.UserID), db.Millis(now), id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "events.error.duplicate")
		}
		if err != nil {
			return apperr.Wrap(err, "update launch event")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "launch_event.update", ObjectType: "launch_event", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: e.UnitPath, Detail: string(in.Kind) + " " + in.Title})
	})
	if err != nil {
		return Event{}, err
	}
	return s.Find(ctx, id)
}

func (e Event) object() authz.Object {
	if e.OrgID != 0 {
		return authz.Object{OrgPath: e.OrgPath, OrgUnitPath: e.UnitPath}
	}
	return authz.Object{UnitPath: e.UnitPath}
}

// MayEdit tells whether the actor of ctx may change e and add photos to it.
func MayEdit(ctx context.Context, e Event) bool { return authz.ActorFrom(ctx).MayChange(e.object()) }

// selectEvent reads events (alias e) with their host's names.
const selectEvent = `SELECT e.id, e.kind, e.title, e.unit_code, COALESCE(u.name, ''), COALESCE(e.org_id, 0), COALESCE(o.name, ''), e.level,
	e.province_code, e.starts_at, e.place, e.host, e.outcome, e.officials, e.youth_members, e.pupils, e.citizens, e.created_at, e.updated_at,
	e.unit_path, e.org_path
	FROM launch_events e LEFT JOIN units u ON u.path = e.unit_path LEFT JOIN orgs o ON o.id = e.org_id`

func scanEvent(sc interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var start, created, updated int64
	err := sc.Scan(&e.ID, &e.Kind, &e.Title, &e.UnitCode, &e.UnitName, &e.OrgID, &e.OrgName, &e.Level, &e.Province, &start, &e.Place, &e.Host,
		&e.Outcome, &e.Participants.Officials, &e.Participants.YouthMembers, &e.Participants.Pupils, &e.Participants.Citizens, &created, &updated,
		&e.UnitPath, &e.OrgPath)
	e.StartsAt, e.CreatedAt, e.UpdatedAt = db.FromMillis(start), db.FromMillis(created), db.FromMillis(updated)
	e.ParticipantsTotal = e.Participants.Total()
	e.Photos = []Photo{}
	return e, err
}

// sees tells whether the actor reads the event: it lies in what they administer.
func sees(a *authz.Actor, e Event) bool {
	return a.AdminScope().HasOrg(e.OrgPath, e.UnitPath)
}

func (s *Service) findIn(ctx context.Context, q db.Querier, a *authz.Actor, id int64) (Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, selectEvent+" WHERE e.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, apperr.New(apperr.NotFound, "events.error.not_found")
	}
	if err != nil {
		return Event{}, apperr.Wrap(err, "find launch event")
	}
	if !sees(a, e) {
		// Hidden, so that the probe outside the actor's scope is audited.
		return Event{}, apperr.Hidden("events.error.not_found")
	}
	return e, nil
}

// Find returns an event in the actor's scope, with its photos.
func (s *Service) Find(ctx context.Context, id int64) (Event, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return Event{}, err
	}
	e, err := s.findIn(ctx, s.DB.Reader(), a, id)
	if err != nil {
		return Event{}, err
	}
	return e, s.photos(ctx, []*Event{&e})
}

func (s *Service) photos(ctx context.Context, list []*Event) error {
	if len(list) == 0 {
		return nil
	}
	idx := map[int64]*Event{}
	marks := make([]string, 0, len(list))
	args := make([]any, 0, len(list))
	for _, e := range list {
		idx[e.ID] = e
		marks = append(marks, "?")
		args = append(args, e.ID)
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT event_id, image_id FROM launch_event_photos WHERE event_id IN ("+strings.Join(marks, ", ")+") ORDER BY added_at, image_id", args...)
	if err != nil {
		return apperr.Wrap(err, "read event photos")
	}
	defer rows.Close()
	for rows.Next() {
		var ev, img int64
		if err := rows.Scan(&ev, &img); err != nil {
			return apperr.Wrap(err, "scan event photo")
		}
		idx[ev].Photos = append(idx[ev].Photos, Photo{ImageID: img, URL: "/media/" + strconv.FormatInt(img, 10)})
	}
	return rows.Err()
}

// AddPhoto stores a photo of an event the actor may change and links it; an event holds at most
// MaxPhotos.
func (s *Service) AddPhoto(ctx context.Context, id int64, data []byte, alt string) (Photo, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return Photo{}, err
	}
	e, err := s.findIn(ctx, s.DB.Reader(), a, id)
	if err != nil {
		return Photo{}, err
	}
	if !a.MayChange(e.object()) {
		return Photo{}, apperr.New(apperr.Forbidden, "events.error.not_yours")
	}
	if s.Images == nil {
		return Photo{}, apperr.Wrap(errors.New("no image store wired"), "add event photo")
	}
	var n int
	if err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM launch_event_photos WHERE event_id = ?", id).Scan(&n); err != nil {
		return Photo{}, apperr.Wrap(err, "count event photos")
	}
	if n >= MaxPhotos {
		return Photo{}, apperr.New(apperr.Conflict, "events.error.photos_full", MaxPhotos)
	}
	if strings.TrimSpace(alt) == "" {
		alt = e.Title
	}
	imageID, err := s.Images(ctx, data, alt, e.Province)
	if err != nil {
		return Photo{}, err
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		// Counted again in the transaction: two uploads at once must not pass the limit together.
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM launch_event_photos WHERE event_id = ?", id).Scan(&n); err != nil {
			return apperr.Wrap(err, "count event photos")
		}
		if n >= MaxPhotos {
			return apperr.New(apperr.Conflict, "events.error.photos_full", MaxPhotos)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO launch_event_photos (event_id, image_id, added_by, added_at) VALUES (?, ?, ?, ?)",
			id, imageID, db.NullInt(a.UserID), db.Millis(s.Now())); err != nil {
			return apperr.Wrap(err, "link event photo")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "launch_event.photo_add", ObjectType: "launch_event", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: e.UnitPath, Detail: "image " + strconv.FormatInt(imageID, 10)})
	})
	if err != nil {
		return Photo{}, err
	}
	return Photo{ImageID: imageID, URL: "/media/" + strconv.FormatInt(imageID, 10)}, nil
}

// Delete removes an event the actor may change, with the links to its photos (the images stay,
// as every stored image does: see portal.Image).
func (s *Service) Delete(ctx context.Context, id int64) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		e, err := s.findIn(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.MayChange(e.object()) {
			return apperr.New(apperr.Forbidden, "events.error.not_yours")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM launch_event_photos WHERE event_id = ?", id); err != nil {
			return apperr.Wrap(err, "unlink event photos")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM launch_events WHERE id = ?", id); err != nil {
			return apperr.Wrap(err, "delete launch event")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "launch_event.delete", ObjectType: "launch_event", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: e.UnitPath, Detail: string(e.Kind) + " " + e.Title})
	})
}

// RemovePhoto unlinks a photo from an event the actor may change (a wrong picture); the image itself
// stays stored, as every image does.
func (s *Service) RemovePhoto(ctx context.Context, id, imageID int64) error {
	a, err := actorOf(ctx)
	if err != nil {
		return err
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		e, err := s.findIn(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.MayChange(e.object()) {
			return apperr.New(apperr.Forbidden, "events.error.not_yours")
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM launch_event_photos WHERE event_id = ? AND image_id = ?", id, imageID)
		if err != nil {
			return apperr.Wrap(err, "unlink event photo")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "events.error.photo_not_found")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "launch_event.photo_remove", ObjectType: "launch_event", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: e.UnitPath, Detail: "image " + strconv.FormatInt(imageID, 10)})
	})
}
