package ceremony

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/units"
)

// LaunchHook runs inside the launch transaction, once, when a ceremony is launched: the outreach
// module starts its campaign clock here. An error aborts the launch.
type LaunchHook func(ctx context.Context, tx *db.Tx, c Ceremony, launchAt time.Time) error

// Service runs ceremonies. Every method takes the actor from ctx and checks it. A ceremony belongs
// to a province (Ceremony.Province): its main site is that province, its bridge points come from
// that province's tree, its administrators run it, and the people of other provinces do not see
// it at all (not found). A national administrator reads every province's ceremonies and changes
// none.
type Service struct {
	DB    *db.DB
	Units *units.Service
	Bus   events.Bus
	Now   func() time.Time
	// onLaunch hooks run inside the launch transaction, in order.
	onLaunch []LaunchHook
	// notify is the outbox that carries reminders to points that are not ready (nil: chasing is
	// unavailable); baseURL the site's public address for the links in them.
	notify  *notify.Service
	baseURL string
}

// ServiceOption configures a Service at construction. The hooks and the outbox are given there
// and cannot be attached later, so that no caller can forget one once the service is in use.
type ServiceOption func(*Service)

// WithNotify carries the reminders to points that are not ready through n, with links under
// baseURL (the site's public address; "" leaves the reminders without a link).
func WithNotify(n *notify.Service, baseURL string) ServiceOption {
	return func(s *Service) { s.notify, s.baseURL = n, baseURL }
}

// WithLaunchHooks adds hooks that run inside the launch transaction, after those given before.
func WithLaunchHooks(hooks ...LaunchHook) ServiceOption {
	return func(s *Service) { s.onLaunch = append(s.onLaunch, hooks...) }
}

// NewService returns a service over d; every ceremony names its own province.
func NewService(d *db.DB, u *units.Service, bus events.Bus, opts ...ServiceOption) *Service {
	s := &Service{DB: d, Units: u, Bus: bus, Now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Topic is the events topic of a ceremony.
func Topic(id int64) string { return "ceremony:" + strconv.FormatInt(id, 10) }

func forbidden() error { return apperr.New(apperr.Forbidden, "error.forbidden") }

func notFound() error { return apperr.New(apperr.NotFound, "ceremony.error.not_found") }

// provincePath is the unit path of the ceremony's province.
func (c Ceremony) provincePath() string { return authz.ProvincePath(c.Province) }

// scopePath is the unit path the ceremony is run from and its audit entries hang on: its host
// unit's for a hosted ceremony, else its province's.
func (c Ceremony) scopePath() string {
	if c.Hosted() {
		return c.HostPath
	}
	return c.provincePath()
}

// object is what the ceremony is as a scope check sees it: the province, or its host (a unit, or
// an organisation in the unit it lies in).
func (c Ceremony) object() authz.Object {
	switch {
	case c.OrgHosted():
		return authz.Object{OrgPath: c.HostOrgPath, OrgUnitPath: c.HostPath}
	case c.Hosted():
		return authz.Object{UnitPath: c.HostPath}
	}
	return authz.ProvinceObject(c.Province)
}

// mayChange tells whether the actor may change the ceremony itself (its fields, programme,
// leaders, rehearsals, points' generation, programme step): the administrators of its province,
// and for a hosted ceremony those of its host (who administer a unit above the host too).
func mayChange(a *authz.Actor, c Ceremony) bool { return a.MayChange(c.object()) }

// MayManage tells whether the actor runs ceremony c (mayChange), for pages that show its controls.
func MayManage(a *authz.Actor, c Ceremony) bool { return mayChange(a, c) }

// findToChange loads a ceremony inside tx for a change by the actor: another province's ceremony
// is not found (its existence is not disclosed); one the actor reads but may not change (its
// province's other people, a national administrator) is forbidden; a cancelled or archived one
// is refused (409): it is read-only.
func (s *Service) findToChange(ctx context.Context, q db.Querier, id int64) (Ceremony, error) {
	c, err := s.findManaged(ctx, q, id)
	if err != nil {
		return Ceremony{}, err
	}
	if err := c.editable(); err != nil {
		return Ceremony{}, err
	}
	return c, nil
}

// editable refuses changes to a cancelled or archived ceremony.
func (c Ceremony) editable() error {
	switch c.Status {
	case Cancelled:
		return apperr.New(apperr.Conflict, "ceremony.error.cancelled")
	case Archived:
		return apperr.New(apperr.Conflict, "ceremony.error.archived")
	}
	return nil
}

// findManaged loads a ceremony its province's administrators manage, whatever its status (to read
// what only they read, or to change its status).
func (s *Service) findManaged(ctx context.Context, q db.Querier, id int64) (Ceremony, error) {
	c, err := s.find(ctx, q, id)
	if err != nil {
		return Ceremony{}, err
	}
	if !mayChange(authz.ActorFrom(ctx), c) {
		return Ceremony{}, forbidden()
	}
	return c, nil
}

// provinceFor decides the province of a new ceremony: the one asked for, else the one province
// the actor administers, else the deployment's only province. An unknown code is invalid; a
// province the actor does not administer is forbidden.
func (s *Service) provinceFor(ctx context.Context, a *authz.Actor, code string) (units.Unit, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		if mine := a.AdminProvinces(); len(mine) == 1 {
			code = mine[0]
		} else if list, err := s.Units.List(ctx, units.Filter{Level: units.Province, Limit: 2}); err != nil {
			return units.Unit{}, err
		} else if len(list) == 1 && a.AdministersProvince(list[0].Code) {
			code = list[0].Code
		}
	}
	if code == "" {
		return units.Unit{}, apperr.InvalidField("province_code", "ceremony.error.province_required")
	}
	p, err := s.Units.Find(ctx, code)
	if apperr.Is(err, apperr.NotFound) || (err == nil && (p.Level != units.Province || p.ValidTo != "")) {
		return units.Unit{}, apperr.InvalidField("province_code", "ceremony.error.province_unknown", code)
	}
	if err != nil {
		return units.Unit{}, err
	}
	if !a.MayChange(authz.ProvinceObject(p.Code)) {
		return units.Unit{}, apperr.New(apperr.Forbidden, "ceremony.error.province_forbidden", units.InSentence(p.Name))
	}
	return p, nil
}

// defaultSteps is the plan's programme for a province: its People's Committee by the province's
// own kind ("UBND tỉnh", "UBND thành phố").
func defaultSteps(province units.Unit) []string {
	kind := provinceKind(province)
	out := make([]string, len(DefaultSteps))
	for i, t := range DefaultSteps {
		if kind != "" {
			t = strings.ReplaceAll(t, "UBND tỉnh", "UBND "+kind)
		}
		out[i] = t
	}
	return out
}

// Create records a new ceremony; without steps it gets the plan's five.
func (s *Service) Create(ctx context.Context, c Ceremony) (Ceremony, error) {
	actor := authz.ActorFrom(ctx)
	if len(actor.AdminProvinces()) == 0 && !actor.AdministersUnit("/") {
		return Ceremony{}, forbidden()
	}
	province, err := s.provinceFor(ctx, actor, c.Province)
	if err != nil {
		return Ceremony{}, err
	}
	c.Province = province.Code
	if err := c.prepare(defaultSteps(province)); err != nil {
		return Ceremony{}, err
	}
	now := s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		c.ID, err = tx.InsertID(ctx, `INSERT INTO ceremonies (province_code, title, starts_at, venue, vc_provider, room_link, livestream_url, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Province, c.Title, db.Millis(c.StartsAt), c.Venue, c.VCProvider, c.RoomLink, c.LivestreamURL, db.NullInt(actor.UserID), db.Millis(now), db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "insert ceremony")
		}
		if err := writeSteps(ctx, tx, c.ID, c.Steps); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.create", ObjectType: "ceremony", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: province.Path, Detail: c.Title})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, c.ID)
}

// prepare trims a new ceremony's texts, gives it the programme defaults when it has none (the
// first step planned at the start) and validates it.
func (c *Ceremony) prepare(defaults []string) error {
	c.Title = strings.Join(strings.Fields(c.Title), " ")
	c.Venue, c.VCProvider, c.RoomLink = strings.TrimSpace(c.Venue), strings.TrimSpace(c.VCProvider), strings.TrimSpace(c.RoomLink)
	c.LivestreamURL = strings.TrimSpace(c.LivestreamURL)
	if len(c.Steps) == 0 {
		for i, t := range defaults {
			st := Step{Position: i + 1, Title: t}
			if i == 0 {
				st.PlannedAt = c.StartsAt
			}
			c.Steps = append(c.Steps, st)
		}
	}
	return c.Validate()
}

// Changes are the ceremony fields an update sets; nil fields are left as they are.
type Changes struct {
	Title         *string
	StartsAt      *time.Time
	Venue         *string
	VCProvider    *string
	RoomLink      *string
	LivestreamURL *string
}

// Update changes the ceremony's own fields (not its programme). The start cannot move once the
// ceremony has launched; the links and texts can still be corrected (the livestream, for one,
// often changes to the recording afterwards).
func (s *Service) Update(ctx context.Context, id int64, ch Changes) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		var changed []string
		set := func(name string, dst *string, v *string, clean func(string) string) {
			if v != nil && clean(*v) != *dst {
				*dst = clean(*v)
				changed = append(changed, name)
			}
		}
		fields := func(v string) string { return strings.Join(strings.Fields(v), " ") }
		set("title", &c.Title, ch.Title, fields)
		set("venue", &c.Venue, ch.Venue, strings.TrimSpace)
		set("vc_provider", &c.VCProvider, ch.VCProvider, strings.TrimSpace)
		set("room_link", &c.RoomLink, ch.RoomLink, strings.TrimSpace)
		set("livestream_url", &c.LivestreamURL, ch.LivestreamURL, strings.TrimSpace)
		if ch.StartsAt != nil && !ch.StartsAt.Equal(c.StartsAt) {
			if c.Launched() {
				return apperr.New(apperr.Conflict, "ceremony.error.launched_start")
			}
			c.StartsAt = *ch.StartsAt
			changed = append(changed, "starts_at")
		}
		if err := c.Validate(); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ceremonies SET title = ?, starts_at = ?, venue = ?, vc_provider = ?, room_link = ?, livestream_url = ?, updated_at = ? WHERE id = ?",
			c.Title, db.Millis(c.StartsAt), c.Venue, c.VCProvider, c.RoomLink, c.LivestreamURL, db.Millis(s.Now()), id); err != nil {
			return apperr.Wrap(err, "update ceremony")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.update", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: strings.Join(changed, ",")})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

func writeSteps(ctx context.Context, tx *db.Tx, id int64, steps []Step) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM ceremony_steps WHERE ceremony_id = ?", id); err != nil {
		return apperr.Wrap(err, "delete steps")
	}
	for i, st := range steps {
		st = st.clean()
		if _, err := tx.ExecContext(ctx, "INSERT INTO ceremony_steps (ceremony_id, position, title, planned_at, speaker, duration_min, mc_lines, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			id, i+1, st.Title, db.Millis(st.PlannedAt), st.Speaker, st.DurationMin, st.MCLines, st.Notes); err != nil {
			return apperr.Wrap(err, "insert step")
		}
	}
	return nil
}

const ceremonyColumns = "id, province_code, title, starts_at, venue, vc_provider, room_link, livestream_url, current_step, launch_at, created_at, status, host_path, host_org_path, event_id"

func scanCeremony(row interface{ Scan(...any) error }) (Ceremony, error) {
	var c Ceremony
	var starts, launch, created int64
	err := row.Scan(&c.ID, &c.Province, &c.Title, &starts, &c.Venue, &c.VCProvider, &c.RoomLink, &c.LivestreamURL, &c.CurrentStep, &launch, &created, &c.Status, &c.HostPath, &c.HostOrgPath, &c.EventID)
	c.StartsAt, c.LaunchAt, c.CreatedAt = db.FromMillis(starts), db.FromMillis(launch), db.FromMillis(created)
	return c, err
}

// Find returns a ceremony with its programme and designated leaders. A ceremony is public
// information for every signed-in user of its province (and for national administrators);
// another province's is not found, so that its existence is not disclosed.
func (s *Service) Find(ctx context.Context, id int64) (Ceremony, error) {
	return s.find(ctx, s.DB.Reader(), id)
}

// MaySee tells whether the actor may read ceremony c: anyone who takes part in its province, and
// national administrators.
func MaySee(a *authz.Actor, c Ceremony) bool { return a.SeesProvince(c.Province, false) }

// find loads a ceremony the actor of ctx may see (the command line sees all); internal readers
// without an actor (the public summary) use load.
func (s *Service) find(ctx context.Context, q db.Querier, id int64) (Ceremony, error) {
	c, err := s.load(ctx, q, id)
	if err != nil {
		return Ceremony{}, err
	}
	if !MaySee(authz.ActorFrom(ctx), c) {
		return Ceremony{}, apperr.Hidden("ceremony.error.not_found")
	}
	return c, nil
}

func (s *Service) load(ctx context.Context, q db.Querier, id int64) (Ceremony, error) {
	c, err := scanCeremony(q.QueryRowContext(ctx, "SELECT "+ceremonyColumns+" FROM ceremonies WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Ceremony{}, notFound()
	}
	if err != nil {
		return Ceremony{}, apperr.Wrap(err, "find ceremony")
	}
	rows, err := q.QueryContext(ctx, "SELECT position, title, planned_at, speaker, duration_min, mc_lines, notes FROM ceremony_steps WHERE ceremony_id = ? ORDER BY position", id)
	if err != nil {
		return Ceremony{}, apperr.Wrap(err, "list steps")
	}
	defer rows.Close()
	for rows.Next() {
		var st Step
		var planned int64
		if err := rows.Scan(&st.Position, &st.Title, &planned, &st.Speaker, &st.DurationMin, &st.MCLines, &st.Notes); err != nil {
			return Ceremony{}, apperr.Wrap(err, "scan step")
		}
		st.PlannedAt = db.FromMillis(planned)
		c.Steps = append(c.Steps, st)
	}
	if err := rows.Err(); err != nil {
		return Ceremony{}, apperr.Wrap(err, "list steps")
	}
	lrows, err := q.QueryContext(ctx, "SELECT user_id FROM ceremony_leaders WHERE ceremony_id = ? ORDER BY user_id", id)
	if err != nil {
		return Ceremony{}, apperr.Wrap(err, "list leaders")
	}
	defer lrows.Close()
	c.LeaderIDs = []int64{}
	for lrows.Next() {
		var uid int64
		if err := lrows.Scan(&uid); err != nil {
			return Ceremony{}, apperr.Wrap(err, "scan leader")
		}
		c.LeaderIDs = append(c.LeaderIDs, uid)
	}
	return c, lrows.Err()
}

// List returns the current ceremonies of the provinces the actor takes part in (every province's
// for a national administrator), latest first: archived ones are left out (ListArchived has them),
// and so are hosted ones (a launch event's live screen, ListHosted has them): List and ListArchived
// are the provinces' own ceremonies, those the portal, the campaigns and the reports follow.
func (s *Service) List(ctx context.Context) ([]Ceremony, error) {
	return s.list(ctx, false)
}

// ListArchived returns the archived ceremonies the actor may see, latest first.
func (s *Service) ListArchived(ctx context.Context) ([]Ceremony, error) {
	return s.list(ctx, true)
}

func (s *Service) list(ctx context.Context, archived bool) ([]Ceremony, error) {
	vis := authz.ActorFrom(ctx).VisibleProvinces("province_code", false)
	if vis.Empty() {
		return nil, nil
	}
	cmp := "<>"
	if archived {
		cmp = "="
	}
	return s.query(ctx, "host_path = '' AND status "+cmp+" '"+string(Archived)+"' AND "+vis.SQL, vis.Args...)
}

// query lists the ceremonies that meet cond, latest first (at most 200), without their programmes.
func (s *Service) query(ctx context.Context, cond string, args ...any) ([]Ceremony, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+ceremonyColumns+" FROM ceremonies WHERE "+cond+" ORDER BY starts_at DESC, id DESC LIMIT 200", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list ceremonies")
	}
	defer rows.Close()
	var out []Ceremony
	for rows.Next() {
		c, err := scanCeremony(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan ceremony")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetLeaders names the users (besides province administrators) who may press the launch button.
func (s *Service) SetLeaders(ctx context.Context, id int64, userIDs []int64) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(userIDs) > 50 {
			return apperr.InvalidField("user_ids", "ceremony.error.leaders_count", 50)
		}
		if c.Launched() {
			return apperr.New(apperr.Conflict, "ceremony.error.launched_locked")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM ceremony_leaders WHERE ceremony_id = ?", id); err != nil {
			return apperr.Wrap(err, "delete leaders")
		}
		seen := map[int64]bool{}
		for _, uid := range userIDs {
			if seen[uid] {
				continue
			}
			seen[uid] = true
			if ok, err := leaderInProvince(ctx, tx, c, uid); err != nil {
				return err
			} else if !ok {
				return apperr.InvalidField("user_ids", "ceremony.error.leader_unknown", uid)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO ceremony_leaders (ceremony_id, user_id) VALUES (?, ?)", id, uid); err != nil {
				return apperr.Wrap(err, "insert leader")
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.leaders", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: fmt.Sprint(userIDs)})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

// leaderInProvince tells whether a user may be named a leader of c: an active account holding a
// role in the ceremony's province (the province's own leaders, never another province's people).
func leaderInProvince(ctx context.Context, q db.Querier, c Ceremony, userID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = ? AND u.disabled = 0
		AND EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND g.unit_path LIKE ?)`, userID, c.scopePath()+"%").Scan(&n)
	if err != nil {
		return false, apperr.Wrap(err, "find leader")
	}
	return n > 0, nil
}

// MayLaunch tells whether the actor may press the launch button of c: its province's
// administrators and the leaders they designated. A national administrator may not.
func MayLaunch(a *authz.Actor, c Ceremony) bool {
	if mayChange(a, c) {
		return true
	}
	if a == nil || a.UserID == 0 {
		return false
	}
	for _, id := range c.LeaderIDs {
		if id == a.UserID {
			return true
		}
	}
	return false
}

// StepData is the payload of a "step" event.
type StepData struct {
	Step  int    `json:"step"`
	Title string `json:"title"`
}

// SetStep moves the programme to step pos (1-based; 0 = not started) and tells every screen.
func (s *Service) SetStep(ctx context.Context, id int64, pos int) (Ceremony, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if pos < 0 || pos > len(c.Steps) {
			return apperr.InvalidField("step", "ceremony.error.step", len(c.Steps))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ceremonies SET current_step = ?, updated_at = ? WHERE id = ?", pos, db.Millis(s.Now()), id); err != nil {
			return apperr.Wrap(err, "set step")
		}
		data := StepData{Step: pos}
		if pos > 0 {
			data.Title = c.Steps[pos-1].Title
		}
		if err := s.publish(ctx, tx, id, "step", data); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.step", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: strconv.Itoa(pos) + " " + data.Title})
	})
	if err != nil {
		return Ceremony{}, err
	}
	return s.Find(ctx, id)
}

func (s *Service) publish(ctx context.Context, tx *db.Tx, id int64, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return apperr.Wrap(err, "encode event")
	}
	if _, err := s.Bus.PublishTx(ctx, tx, Topic(id), name, data); err != nil {
		return apperr.Wrap(err, "publish event")
	}
	return nil
}

// LaunchData is the payload of the "launch" event: the moment, in RFC 3339 and in Unix
// milliseconds, and the server's clock when it was decided.
type LaunchData struct {
	LaunchAt     string `json:"launch_at"`
	LaunchAtMs   int64  `json:"launch_at_ms"`
	ServerTimeMs int64  `json:"server_time_ms"`
}

var errOutsideWindow = errors.New("outside the launch window")

// Launch presses the button. The moment is decided once, in the database: the first call sets it
// LaunchDelay ahead (to the next whole second), runs the launch hooks and publishes one "launch"
// event, all in one transaction; every later call, from anywhere, answers the same moment and
// publishes nothing. Other roles, and calls outside the window, are refused and audited.
func (s *Service) Launch(ctx context.Context, id int64) (time.Time, error) {
	actor := authz.ActorFrom(ctx)
	c, err := s.Find(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	if !MayLaunch(actor, c) {
		s.refuseLaunch(ctx, c, "role")
		return time.Time{}, apperr.New(apperr.Forbidden, "ceremony.error.launch_role")
	}
	now := s.Now()
	var launchAt time.Time
	var refused Status
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var cur int64
		var status Status
		if err := tx.QueryRowContext(ctx, "SELECT launch_at, status FROM ceremonies WHERE id = ?", id).Scan(&cur, &status); err != nil {
			return apperr.Wrap(err, "read launch")
		}
		if cur != 0 {
			launchAt = db.FromMillis(cur)
			return nil
		}
		if status != Scheduled {
			// A cancelled or archived ceremony is not launched.
			refused = status
			return errOutsideWindow
		}
		if from, to := c.Window(); now.Before(from) || !now.Before(to) {
			return errOutsideWindow
		}
		at := now.Add(LaunchDelay).Truncate(time.Second).Add(time.Second)
		res, err := tx.ExecContext(ctx, "UPDATE ceremonies SET launch_at = ?, launched_by = ?, updated_at = ? WHERE id = ? AND launch_at = 0",
			db.Millis(at), db.NullInt(actor.UserID), db.Millis(now), id)
		if err != nil {
			return apperr.Wrap(err, "launch")
		}
		if n, err := res.RowsAffected(); err != nil {
			return apperr.Wrap(err, "launch")
		} else if n == 0 {
			// Someone else launched between our read and our update: theirs stands.
			if err := tx.QueryRowContext(ctx, "SELECT launch_at FROM ceremonies WHERE id = ?", id).Scan(&cur); err != nil {
				return apperr.Wrap(err, "read launch")
			}
			launchAt = db.FromMillis(cur)
			return nil
		}
		launchAt = at
		// The hooks follow the province's own ceremony (its campaign, its portal page): a hosted
		// ceremony's launch (a district's follow-on event) starts neither.
		hooks := s.onLaunch
		if c.Hosted() {
			hooks = nil
		}
		for _, hook := range hooks {
			if err := hook(ctx, tx, c, at); err != nil {
				return err
			}
		}
		if err := s.publish(ctx, tx, id, "launch", LaunchData{LaunchAt: at.UTC().Format(time.RFC3339), LaunchAtMs: db.Millis(at), ServerTimeMs: db.Millis(now)}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.launch", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: at.UTC().Format(time.RFC3339)})
	})
	if errors.Is(err, errOutsideWindow) && refused != "" {
		s.refuseLaunch(ctx, c, string(refused))
		return time.Time{}, Ceremony{Status: refused}.editable()
	}
	if errors.Is(err, errOutsideWindow) {
		s.refuseLaunch(ctx, c, "window")
		from, to := c.Window()
		return time.Time{}, apperr.New(apperr.Forbidden, "ceremony.error.launch_window",
			from.In(VietnamTime).Format("15:04 02/01/2006"), to.Add(-time.Minute).In(VietnamTime).Format("15:04 02/01/2006"))
	}
	if err != nil {
		return time.Time{}, err
	}
	return launchAt, nil
}

// refuseLaunch records a refused press in its own transaction (the refused one left nothing).
func (s *Service) refuseLaunch(ctx context.Context, c Ceremony, reason string) {
	_ = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.launch_refused", ObjectType: "ceremony", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: c.scopePath(), Detail: reason})
	})
}

// MayWatch tells whether the actor may follow the ceremony's live events: administrators of its
// province, of a district or a commune in it (the control room), its bridge-point operators
// (their screens), the designated leaders, and national administrators (who read every province's
// control room). Other signed-in users (learners, team members, organisation administrators) may
// not, nor anyone of another province.
func MayWatch(a *authz.Actor, c Ceremony) bool {
	if a.IsNational() || MayLaunch(a, c) {
		return true
	}
	scope := c.scopePath()
	for _, p := range a.AdminUnitPaths() {
		if strings.HasPrefix(p, scope) {
			return true
		}
	}
	for _, g := range a.Grants {
		if g.Role == authz.BridgeOperator && strings.HasPrefix(g.UnitPath, scope) {
			return true
		}
	}
	return false
}

// seesAllPoints tells whether the actor reads every point of c: its province's administrators and
// national administrators.
func seesAllPoints(a *authz.Actor, c Ceremony) bool { return a.IsNational() || mayChange(a, c) }

// pointEvent is the payload of a "point" event: the point (without its contact's personal data)
// and its unit path, by which each stream keeps only the points its viewer may see.
type pointEvent struct {
	Point
	UnitPath string `json:"unit_path"`
}

// Subscribe opens the ceremony's live events for a viewer who may watch it (MayWatch): point changes
// ("point", "points"), programme steps ("step"), edits of the programme ("programme") and the launch ("launch"), after afterID (< 0:
// from now). Every stream receives the programme and the launch; "point" events reach a viewer
// only for the points they may see (a district's administrators, their district's; an operator,
// their own), the province receives all.
func (s *Service) Subscribe(ctx context.Context, id int64, afterID int64) (<-chan events.Event, func(), error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return nil, nil, apperr.New(apperr.Unauthenticated, "error.unauthenticated")
	}
	c, err := s.Find(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !MayWatch(a, c) {
		return nil, nil, apperr.New(apperr.Forbidden, "ceremony.error.watch_forbidden")
	}
	if seesAllPoints(a, c) {
		ch, cancel := s.Bus.Subscribe(ctx, Topic(id), afterID)
		return ch, cancel, nil
	}
	ctx, stop := context.WithCancel(ctx)
	ch, busCancel := s.Bus.Subscribe(ctx, Topic(id), afterID)
	cancel := func() { stop(); busCancel() }
	out := make(chan events.Event, 1)
	go func() {
		defer close(out)
		for ev := range ch {
			if ev.Name == "point" {
				var p struct {
					UnitPath string `json:"unit_path"`
					UnitCode string `json:"unit_code"`
				}
				if json.Unmarshal(ev.Data, &p) != nil || !MayTouch(a, Point{UnitPath: p.UnitPath, UnitCode: p.UnitCode}) {
					continue
				}
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				cancel()
				for range ch {
				}
				return
			}
		}
	}()
	return out, cancel, nil
}

// LastEventID is the ID of the ceremony's latest event, for pages that render the current state.
func (s *Service) LastEventID(ctx context.Context, id int64) (int64, error) {
	return s.Bus.LastID(ctx, Topic(id))
}

// Rehearsals lists the technical rehearsals, earliest first.
func (s *Service) Rehearsals(ctx context.Context, id int64) ([]Rehearsal, error) {
	if _, err := s.find(ctx, s.DB.Reader(), id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT id, starts_at, note FROM ceremony_rehearsals WHERE ceremony_id = ? ORDER BY starts_at, id", id)
	if err != nil {
		return nil, apperr.Wrap(err, "list rehearsals")
	}
	defer rows.Close()
	var out []Rehearsal
	for rows.Next() {
		var r Rehearsal
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.Note); err != nil {
			return nil, apperr.Wrap(err, "scan rehearsal")
		}
		r.StartsAt = db.FromMillis(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ScheduleRehearsal adds a technical rehearsal; only the province schedules them.
func (s *Service) ScheduleRehearsal(ctx context.Context, id int64, r Rehearsal) (Rehearsal, error) {
	r.Note = strings.TrimSpace(r.Note)
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.StartsAt.IsZero() || r.StartsAt.Year() < 2000 || r.StartsAt.Year() > 2100 {
			return apperr.InvalidField("starts_at", "ceremony.error.starts_at")
		}
		if len([]rune(r.Note)) > MaxText {
			return apperr.InvalidField("note", "ceremony.error.too_long", MaxText)
		}
		r.ID, err = tx.InsertID(ctx, "INSERT INTO ceremony_rehearsals (ceremony_id, starts_at, note, created_at) VALUES (?, ?, ?, ?) RETURNING id",
			id, db.Millis(r.StartsAt), r.Note, db.Millis(s.Now()))
		if err != nil {
			return apperr.Wrap(err, "insert rehearsal")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.rehearsal", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10), UnitPath: c.scopePath(), Detail: r.StartsAt.UTC().Format(time.RFC3339) + " " + r.Note})
	})
	return r, err
}
