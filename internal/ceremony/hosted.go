package ceremony

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// Host names who holds a hosted ceremony: the live screen a unit or an organisation opens for its
// own launch event (issue 19, item 1), run with the province ceremony's machinery (programme,
// bridge points, control room, screens, launch) but scoped to the host.
type Host struct {
	// UnitPath is the host unit's path, or the path of the unit an organisation lies in.
	UnitPath string
	// OrgPath is the host organisation's path; "" when a unit hosts.
	OrgPath string
	// Name is the host's name, for the default programme.
	Name string
	// EventID is the launch event the ceremony serves: one live screen per event.
	EventID int64
}

func (h Host) object() authz.Object {
	if h.OrgPath != "" {
		return authz.Object{OrgPath: h.OrgPath, OrgUnitPath: h.UnitPath}
	}
	return authz.Object{UnitPath: h.UnitPath}
}

// hostedSteps is the programme of a follow-on launch: the plan's, with the host's leaders speaking.
func hostedSteps(host string) []string {
	return []string{
		DefaultSteps[0],
		"Thông qua Chương trình",
		"Lãnh đạo " + host + " phát biểu phát động hưởng ứng Phong trào chuyển đổi số",
		"Nghi lễ nhấn nút phát động",
		"Kết thúc chương trình",
	}
}

// hostUnit is the unit a ceremony's bridge points hang from: its host unit, else its province.
func (s *Service) hostUnit(ctx context.Context, c Ceremony) (units.Unit, error) {
	if c.Hosted() {
		return s.Units.FindPath(ctx, c.HostPath)
	}
	return s.Units.Find(ctx, c.Province)
}

// CreateHosted opens the live screen of a host's launch event: a ceremony of the host's province
// whose host is h, run by the host's administrators (and those above it), with the default
// programme of a follow-on launch unless steps are given. A unit host gets its bridge points at
// once, from its own subtree (the main site is the host unit, the points its districts and
// communes); an organisation's screen has its main site only. Asked again for the same event, it
// returns the screen already opened. A host outside the actor's scope is refused.
func (s *Service) CreateHosted(ctx context.Context, h Host, c Ceremony) (Ceremony, error) {
	actor := authz.ActorFrom(ctx)
	h.UnitPath, h.OrgPath = strings.TrimSpace(h.UnitPath), strings.TrimSpace(h.OrgPath)
	if h.UnitPath == "" {
		return Ceremony{}, apperr.InvalidField("host", "ceremony.error.host_unknown")
	}
	unit, err := s.Units.FindPath(ctx, h.UnitPath)
	if apperr.Is(err, apperr.NotFound) || (err == nil && unit.ValidTo != "") {
		return Ceremony{}, apperr.InvalidField("host", "ceremony.error.host_unknown")
	}
	if err != nil {
		return Ceremony{}, err
	}
	if !actor.MayChange(h.object()) {
		return Ceremony{}, apperr.Hidden("ceremony.error.not_found")
	}
	c.Province = authz.ProvinceOfPath(unit.Path)
	c.HostPath, c.HostOrgPath, c.EventID = unit.Path, h.OrgPath, h.EventID
	name := strings.TrimSpace(h.Name)
	if name == "" {
		name = unit.Name
	}
	if err := c.prepare(hostedSteps(name)); err != nil {
		return Ceremony{}, err
	}
	now := s.Now()
	created := false
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		if c.EventID != 0 {
			var id int64
			err := tx.QueryRowContext(ctx, "SELECT id FROM ceremonies WHERE event_id = ?", c.EventID).Scan(&id)
			if err == nil {
				// The screen is open already (a form sent twice): it is the one.
				c.ID = id
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return apperr.Wrap(err, "find event ceremony")
			}
		}
		var err error
		c.ID, err = tx.InsertID(ctx, `INSERT INTO ceremonies (province_code, host_path, host_org_path, event_id, title, starts_at, venue, vc_provider, room_link, livestream_url, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Province, c.HostPath, c.HostOrgPath, c.EventID, c.Title, db.Millis(c.StartsAt), c.Venue, c.VCProvider,
			c.RoomLink, c.LivestreamURL, db.NullInt(actor.UserID), db.Millis(now), db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "insert hosted ceremony")
		}
		if err := writeSteps(ctx, tx, c.ID, c.Steps); err != nil {
			return err
		}
		created = true
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.create", ObjectType: "ceremony", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: c.HostPath,
			Detail: "event=" + strconv.FormatInt(c.EventID, 10) + " " + c.Title})
	})
	if err != nil {
		return Ceremony{}, err
	}
	if created && c.HostOrgPath == "" {
		if _, err := s.GeneratePoints(ctx, c.ID); err != nil {
			return Ceremony{}, err
		}
	}
	return s.Find(ctx, c.ID)
}

// FindByEvent returns the live screen of a launch event, or a not-found error when the event has
// none; the actor must see the ceremony as Find asks.
func (s *Service) FindByEvent(ctx context.Context, eventID int64) (Ceremony, error) {
	var id int64
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT id FROM ceremonies WHERE event_id = ? AND event_id <> 0", eventID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Ceremony{}, notFound()
	}
	if err != nil {
		return Ceremony{}, apperr.Wrap(err, "find event ceremony")
	}
	return s.Find(ctx, id)
}

// ListHosted returns the hosted ceremonies (launch events' live screens) the actor runs or
// follows (MayWatch), not archived, latest first: the province's ceremony list shows them apart.
func (s *Service) ListHosted(ctx context.Context) ([]Ceremony, error) {
	a := authz.ActorFrom(ctx)
	vis := a.VisibleProvinces("province_code", false)
	if vis.Empty() {
		return nil, nil
	}
	list, err := s.query(ctx, "host_path <> '' AND status <> '"+string(Archived)+"' AND "+vis.SQL, vis.Args...)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, c := range list {
		if MayWatch(a, c) {
			out = append(out, c)
		}
	}
	return out, nil
}
