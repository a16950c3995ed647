package outreach

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Service runs teams, campaigns, records and progress.
type Service struct {
	DB       *db.DB
	Accounts *accounts.Service
	Now      func() time.Time

	batcher *db.Batcher
	retries atomic.Int64

	// The catalogue and the campaigns are read on every record; they change rarely, so they are
	// cached briefly. Writes through this service drop the cache at once; another instance's
	// writes are seen within cacheTTL.
	mu         sync.RWMutex
	cachedAt   time.Time
	skills     map[string]Skill
	campaigns  []Campaign
	unitsMu    sync.RWMutex
	unitsCache map[string]unitRef
	unitsAt    time.Time
}

// unitRef is one unit version; ValidTo is ” for a unit in force.
type unitRef struct {
	Code, Path, Level, Name, ValidTo string
}

// retired tells whether the unit version has left the map.
func (u unitRef) retired() bool { return u.ValidTo != "" }

const cacheTTL = 10 * time.Second

// NewService returns a Service for the engine: on SQLite records go through the group-commit
// batcher (one writer; the cost is the fsync, shared by a batch); on PostgreSQL each record is its
// own transaction, run concurrently (the cost is network round trips, which a single batching
// goroutine would serialise).
func NewService(d *db.DB, acc *accounts.Service) *Service {
	if d.Engine == db.Postgres {
		return NewServiceBatch(d, acc, 0)
	}
	return NewServiceBatch(d, acc, 256)
}

// NewServiceBatch is NewService with a chosen batch size: 0 writes each record in a transaction
// of its own, concurrently; 1 or more goes through the batcher (1 commits every record on its own,
// one at a time).
func NewServiceBatch(d *db.DB, acc *accounts.Service, maxBatch int) *Service {
	s := &Service{DB: d, Accounts: acc, Now: time.Now, unitsCache: map[string]unitRef{}, unitsAt: time.Now()}
	if maxBatch > 0 {
		s.batcher = d.NewBatcher(maxBatch, 0)
	}
	return s
}

// write runs fn through the batcher, or in a transaction of its own when there is none. On
// PostgreSQL, where records are concurrent transactions, a transaction chosen as a deadlock victim
// (SQLSTATE 40P01) or failing serialisation (40001) is rolled back whole and run again, a few
// times with a short random pause: fn must be safe to re-run, which SaveRecord is (its insert is
// keyed by the client id, so a retry never stores a record twice).
func (s *Service) write(ctx context.Context, fn func(tx *db.Tx) error) error {
	if s.batcher != nil {
		return s.batcher.Do(ctx, fn)
	}
	var err error
	for attempt := range maxWriteAttempts {
		if err = s.DB.WriteTx(ctx, fn); !isRetryable(err) {
			return err
		}
		s.retries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(1+rand.IntN(5<<attempt)) * time.Millisecond): // #nosec G404 -- retry jitter, not a secret
		}
	}
	return err
}

// maxWriteAttempts bounds the retries of a deadlocked write.
const maxWriteAttempts = 6

// isRetryable tells a PostgreSQL deadlock or serialisation failure.
func isRetryable(err error) bool {
	var st interface{ SQLState() string }
	if err == nil || !errors.As(err, &st) {
		return false
	}
	return st.SQLState() == "40P01" || st.SQLState() == "40001"
}

// Retries tells how many write transactions were run again after a deadlock or a serialisation
// failure since the service started.
func (s *Service) Retries() int64 { return s.retries.Load() }

// Close stops the batcher after the queued writes.
func (s *Service) Close() {
	if s.batcher != nil {
		s.batcher.Close()
	}
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.cachedAt = time.Time{}
	s.mu.Unlock()
}

// catalog returns the cached catalogue and campaigns, reloading them when stale.
func (s *Service) catalog(ctx context.Context) (map[string]Skill, []Campaign, error) {
	s.mu.RLock()
	if time.Since(s.cachedAt) < cacheTTL {
		sk, cs := s.skills, s.campaigns
		s.mu.RUnlock()
		return sk, cs, nil
	}
	s.mu.RUnlock()
	list, err := s.listSkills(ctx, s.DB.Reader())
	if err != nil {
		return nil, nil, err
	}
	cs, err := s.listCampaigns(ctx, s.DB.Reader(), authz.Cond{SQL: "1=1"})
	if err != nil {
		return nil, nil, err
	}
	sk := make(map[string]Skill, len(list))
	for _, x := range list {
		sk[x.Code] = x
	}
	s.mu.Lock()
	s.skills, s.campaigns, s.cachedAt = sk, cs, time.Now()
	s.mu.Unlock()
	return sk, cs, nil
}

// unit returns a unit version by code or by path. A code names the unit in force, or, when no unit
// in force holds it, the latest retired version (a commune merged away in 2025, asked for "as it
// was"); a path ("/51/522/21034/") names one version exactly, in force or retired, which is how a
// retired unit whose code was reused (21034, Xã Nghĩa Dũng in 2023, Xã An Phú since 2025) is
// reached. Lookups are cached for unitCacheTTL: a map switch made by the command line in another
// process changes which version a code names, and every instance sees it within that time.
func (s *Service) unit(ctx context.Context, key string) (unitRef, error) {
	s.unitsMu.RLock()
	u, ok := s.unitsCache[key]
	fresh := time.Since(s.unitsAt) < unitCacheTTL
	s.unitsMu.RUnlock()
	if ok && fresh {
		return u, nil
	}
	q := "SELECT code, path, level, name, valid_to FROM units WHERE code = ? ORDER BY CASE WHEN valid_to = '' THEN 0 ELSE 1 END, valid_from DESC LIMIT 1"
	if strings.HasPrefix(key, "/") {
		q = "SELECT code, path, level, name, valid_to FROM units WHERE path = ?"
	}
	err := s.DB.Reader().QueryRowContext(ctx, q, key).Scan(&u.Code, &u.Path, &u.Level, &u.Name, &u.ValidTo)
	if errors.Is(err, sql.ErrNoRows) {
		return unitRef{Code: key}, apperr.New(apperr.NotFound, "units.error.not_found", key)
	}
	if err != nil {
		return u, apperr.Wrap(err, "find unit")
	}
	s.unitsMu.Lock()
	if len(s.unitsCache) > 50000 || !fresh {
		s.unitsCache, s.unitsAt = map[string]unitRef{}, time.Now()
	}
	s.unitsCache[key] = u
	s.unitsMu.Unlock()
	return u, nil
}

// unitCacheTTL bounds how long a unit lookup is reused.
const unitCacheTTL = cacheTTL

// dropUnitCache forgets every unit lookup, after this process switched the map.
func (s *Service) dropUnitCache() {
	s.unitsMu.Lock()
	s.unitsCache, s.unitsAt = map[string]unitRef{}, time.Now()
	s.unitsMu.Unlock()
}

// SeedSkills adds the plan's catalogue entries that are missing, as national entries; it runs at
// start.
func (s *Service) SeedSkills(ctx context.Context) error {
	now := db.Millis(s.Now())
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		for _, k := range DefaultSkills {
			if _, err := tx.ExecContext(ctx, `INSERT INTO outreach_skills (code, name, kind, audience, sort_order, active, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (code) DO NOTHING`, k.Code, k.Name, string(k.Kind), string(k.audienceOf()), k.Order, now, now); err != nil {
				return apperr.Wrap(err, "seed skills")
			}
		}
		return nil
	})
	s.invalidate()
	return err
}

// Skills lists the catalogue of a province in display order: the national entries and the
// province's own (only the national ones for province ""); inactive entries only when all is true.
// The catalogue is public.
func (s *Service) Skills(ctx context.Context, province string, all bool) ([]Skill, error) {
	list, err := s.listSkills(ctx, s.DB.Reader())
	if err != nil {
		return nil, err
	}
	out := list[:0:0]
	for _, k := range list {
		if (k.Active || all) && k.usableIn(province) {
			out = append(out, k)
		}
	}
	return out, nil
}

// usableIn tells whether the entry belongs to the catalogue of province: a national entry, or the
// province's own.
func (k Skill) usableIn(province string) bool { return k.Province == "" || k.Province == province }

func (s *Service) listSkills(ctx context.Context, q db.Querier) ([]Skill, error) {
	rows, err := q.QueryContext(ctx, "SELECT province_code, code, name, kind, audience, sort_order, active FROM outreach_skills ORDER BY sort_order, code")
	if err != nil {
		return nil, apperr.Wrap(err, "list skills")
	}
	defer rows.Close()
	var out []Skill
	for rows.Next() {
		var k Skill
		var active int
		if err := rows.Scan(&k.Province, &k.Code, &k.Name, &k.Kind, &k.Audience, &k.Order, &active); err != nil {
			return nil, apperr.Wrap(err, "scan skill")
		}
		k.Active = active == 1
		out = append(out, k)
	}
	return out, rows.Err()
}

// SaveSkill creates or updates a catalogue entry: a province's administrators their province's
// additions (the province asked for, else the one they administer), a national administrator the
// national entries. A code is one entry everywhere: the national entries are refused to a
// province, and a code another province already uses is taken. An entry is retired by saving it
// inactive, never deleted, so old records keep meaning.
func (s *Service) SaveSkill(ctx context.Context, k Skill) (Skill, error) {
	a := authz.ActorFrom(ctx)
	if len(a.AdminProvinces()) == 0 && !a.IsNational() {
		return Skill{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	province, err := s.provinceFor(ctx, a, k.Province, true)
	if err != nil {
		return Skill{}, err
	}
	k.Province = province
	if err := k.Validate(); err != nil {
		return Skill{}, err
	}
	now := db.Millis(s.Now())
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var owner string
		var audience Audience
		err := tx.QueryRowContext(ctx, "SELECT province_code, audience FROM outreach_skills WHERE code = ?", k.Code).Scan(&owner, &audience)
		// An entry saved without an audience (a client from before there were two) keeps its own:
		// e-invoices must not become a citizens' skill by an edit of their name.
		if k.Audience == "" {
			k.Audience = audience
		}
		if k.Audience == "" {
			k.Audience = AudienceCitizen
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return apperr.Wrap(err, "find skill")
		case owner == "" && province != "":
			return apperr.New(apperr.Forbidden, "outreach.error.skill_national", k.Code)
		case owner != province:
			return apperr.InvalidField("code", "outreach.error.skill_code_taken", k.Code)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outreach_skills (province_code, code, name, kind, audience, sort_order, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, audience = excluded.audience, sort_order = excluded.sort_order, active = excluded.active, updated_at = excluded.updated_at
			WHERE outreach_skills.province_code = excluded.province_code`,
			k.Province, k.Code, k.Name, string(k.Kind), string(k.Audience), k.Order, boolInt(k.Active), now, now); err != nil {
			return apperr.Wrap(err, "save skill")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.skill.save", ObjectType: "outreach_skill", ObjectID: k.Code, UnitPath: authz.ProvincePath(k.Province), Detail: k.Name})
	})
	s.invalidate()
	return k, err
}

// provinceFor decides the province of a new campaign or catalogue entry: the one asked for, else
// the one province the actor administers; else, with national set, a national entry for a national
// administrator, and otherwise the deployment's only province. An unknown province is invalid; one
// the actor may not change is forbidden.
func (s *Service) provinceFor(ctx context.Context, a *authz.Actor, code string, national bool) (string, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		switch mine := a.AdminProvinces(); {
		case len(mine) == 1:
			code = mine[0]
		case national && a.IsNational():
			return "", nil
		default:
			var list []string
			rows, err := s.DB.Reader().QueryContext(ctx, "SELECT code FROM units WHERE level = 'province' AND valid_to = '' ORDER BY code LIMIT 2")
			if err != nil {
				return "", apperr.Wrap(err, "provinces")
			}
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					rows.Close()
					return "", apperr.Wrap(err, "provinces")
				}
				list = append(list, c)
			}
			rows.Close()
			if len(list) == 1 && a.AdministersProvince(list[0]) {
				code = list[0]
			}
		}
	}
	if code == "" {
		return "", apperr.InvalidField("province_code", "outreach.error.province_required")
	}
	if u, err := s.unit(ctx, code); err != nil || u.Level != "province" || u.retired() {
		return "", apperr.InvalidField("province_code", "outreach.error.province_unknown", code)
	}
	if !a.MayChange(authz.ProvinceObject(code)) {
		return "", apperr.New(apperr.Forbidden, "outreach.error.province_forbidden")
	}
	return code, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const campaignColumns = "id, province_code, name, launch_at, days, target, follow_ceremony, consent_version, consent_text, retention_days, retained_at"

func scanCampaign(row interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var launch, retained int64
	var follow int
	err := row.Scan(&c.ID, &c.Province, &c.Name, &launch, &c.Days, &c.Target, &follow, &c.ConsentVersion, &c.ConsentText, &c.RetentionDays, &retained)
	c.LaunchAt, c.RetainedAt, c.FollowCeremony = db.FromMillis(launch), db.FromMillis(retained), follow == 1
	return c, err
}

// listCampaigns lists the campaigns that meet cond (every campaign: authz.Cond "1=1"), newest first.
func (s *Service) listCampaigns(ctx context.Context, q db.Querier, cond authz.Cond) ([]Campaign, error) {
	if cond.Empty() {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT "+campaignColumns+" FROM outreach_campaigns WHERE "+cond.SQL+" ORDER BY id DESC", cond.Args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list campaigns")
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan campaign")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Campaigns lists the campaigns of the provinces the actor takes part in (every province's for a
// national administrator), newest first. Campaigns are public within their province: every
// signed-in user of it may see them.
func (s *Service) Campaigns(ctx context.Context) ([]Campaign, error) {
	return s.listCampaigns(ctx, s.DB.Reader(), authz.ActorFrom(ctx).VisibleProvinces("province_code", false))
}

// FindCampaign returns one campaign of a province the actor takes part in; another province's is
// not found.
func (s *Service) FindCampaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := findCampaign(ctx, s.DB.Reader(), id)
	if err != nil {
		return Campaign{}, err
	}
	if !authz.ActorFrom(ctx).SeesProvince(c.Province, false) {
		return Campaign{}, apperr.Hidden("outreach.error.campaign_not_found")
	}
	return c, nil
}

// findToChange loads a campaign for a change by the actor: another province's is not found, one
// the actor reads but may not change (a national administrator's, a district's) is forbidden.
func findToChange(ctx context.Context, q db.Querier, id int64) (Campaign, error) {
	c, err := findCampaign(ctx, q, id)
	if err != nil {
		return Campaign{}, err
	}
	a := authz.ActorFrom(ctx)
	if !a.SeesProvince(c.Province, false) {
		return Campaign{}, apperr.Hidden("outreach.error.campaign_not_found")
	}
	if !a.MayChange(authz.ProvinceObject(c.Province)) {
		return Campaign{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return c, nil
}

func findCampaign(ctx context.Context, q db.Querier, id int64) (Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, "SELECT "+campaignColumns+" FROM outreach_campaigns WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.New(apperr.NotFound, "outreach.error.campaign_not_found")
	}
	return c, apperr.Wrap(err, "find campaign")
}

// Current returns the province's campaign whose window contains now, else its latest one; ok is
// false when the province has no campaign at all. Another province's campaigns never count.
func (s *Service) Current(ctx context.Context, province string) (Campaign, bool, error) {
	_, all, err := s.catalog(ctx)
	if err != nil {
		return Campaign{}, false, err
	}
	cs := campaignsOf(all, province)
	if len(cs) == 0 {
		return Campaign{}, false, nil
	}
	now := s.Now()
	for _, c := range cs {
		if c.Contains(now) {
			return c, true, nil
		}
	}
	return cs[0], true, nil
}

// campaignsOf keeps the campaigns of one province, in their order.
func campaignsOf(cs []Campaign, province string) []Campaign {
	var out []Campaign
	for _, c := range cs {
		if c.Province == province && province != "" {
			out = append(out, c)
		}
	}
	return out
}

// CreateCampaign adds a campaign of a province: the one asked for (c.Province), else the one the
// actor administers. Only a province's administrators run its campaigns.
func (s *Service) CreateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	a := authz.ActorFrom(ctx)
	if len(a.AdminProvinces()) == 0 && !a.AdministersUnit("/") {
		return Campaign{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	province, err := s.provinceFor(ctx, a, c.Province, false)
	if err != nil {
		return Campaign{}, err
	}
	c.Province = province
	if err := c.Validate(); err != nil {
		return Campaign{}, err
	}
	now := db.Millis(s.Now())
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		c.ID, err = tx.InsertID(ctx, `INSERT INTO outreach_campaigns (province_code, name, launch_at, days, target, follow_ceremony, consent_version, consent_text, retention_days, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Province, c.Name, db.Millis(c.LaunchAt), c.Days, c.Target, boolInt(c.FollowCeremony),
			c.ConsentVersion, c.ConsentText, c.RetentionDays, now, now)
		if err != nil {
			return apperr.Wrap(err, "insert campaign")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.campaign.create", ObjectType: "outreach_campaign", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: authz.ProvincePath(c.Province), Detail: c.Name})
	})
	s.invalidate()
	if err != nil {
		return Campaign{}, err
	}
	return s.FindCampaign(ctx, c.ID)
}

// SetLaunch sets (or, with a zero time, clears) a campaign's launch moment. Once records exist the
// window may not move, as it would turn accepted records into records outside the window.
func (s *Service) SetLaunch(ctx context.Context, id int64, at time.Time) (Campaign, error) {
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records WHERE campaign_id = ?", id).Scan(&n); err != nil {
			return apperr.Wrap(err, "count records")
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "outreach.error.launch_locked", n)
		}
		return s.setLaunch(ctx, tx, c, at)
	})
	s.invalidate()
	if err != nil {
		return Campaign{}, err
	}
	return s.FindCampaign(ctx, id)
}

func (s *Service) setLaunch(ctx context.Context, tx *db.Tx, c Campaign, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE outreach_campaigns SET launch_at = ?, updated_at = ? WHERE id = ?", db.Millis(at), db.Millis(s.Now()), c.ID); err != nil {
		return apperr.Wrap(err, "set launch")
	}
	return audit.Record(ctx, tx, audit.Entry{Action: "outreach.campaign.launch", ObjectType: "outreach_campaign", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: authz.ProvincePath(c.Province),
		Detail: at.UTC().Format(time.RFC3339)})
}

// StartFromLaunch is the ceremony's launch hook: inside the ceremony's own transaction it sets the
// launch of every campaign of the ceremony's province marked to follow the ceremony that has no
// records yet. Other provinces' campaigns follow their own ceremonies.
func (s *Service) StartFromLaunch(ctx context.Context, tx *db.Tx, province string, launchAt time.Time) error {
	if province == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+campaignColumns+` FROM outreach_campaigns c WHERE c.province_code = ? AND c.follow_ceremony = 1
		AND NOT EXISTS (SELECT 1 FROM outreach_records r WHERE r.campaign_id = c.id)`, province)
	if err != nil {
		return apperr.Wrap(err, "campaigns following the ceremony")
	}
	var cs []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return apperr.Wrap(err, "scan campaign")
		}
		cs = append(cs, c)
	}
	rows.Close()
	for _, c := range cs {
		if err := s.setLaunch(ctx, tx, c, launchAt); err != nil {
			return err
		}
	}
	tx.AfterCommit(s.invalidate)
	return nil
}
