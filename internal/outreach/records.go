package outreach

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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

// Record is a stored guidance record. Phone is masked unless the viewer may see it.
type Record struct {
	ID         int64   `json:"id"`
	ClientID   string  `json:"client_id"`
	CampaignID int64   `json:"campaign_id"`
	MemberID   int64   `json:"member_id"`
	MemberName string  `json:"member_name,omitempty"`
	UnitCode   string  `json:"unit_code"`
	UnitPath   string  `json:"-"`
	Citizen    Citizen `json:"citizen"`
	// Subject is "citizen" or "enterprise"; Enterprise is set on an enterprise's record only.
	Subject        Audience    `json:"subject"`
	Enterprise     *Enterprise `json:"enterprise,omitempty"`
	Skills         []string    `json:"skills"`
	Platforms      []string    `json:"platforms"`
	Evidence       string      `json:"evidence,omitempty"`
	Location       string      `json:"location,omitempty"`
	ConsentVersion string      `json:"consent_version,omitempty"`
	GuidedAt       time.Time   `json:"guided_at"`
	CreatedAt      time.Time   `json:"created_at"`
	Flagged        bool        `json:"flagged"`
	Erased         bool        `json:"erased"`
	citizenKey     string
	contentHash    string
}

// Result is the answer to a sent record: the stored record and whether this send created it.
type Result struct {
	Record  Record
	Created bool
}

// errReplay marks a client id another instance stored between our check and our insert.
var errReplay = errors.New("outreach: client id already stored")

// errKnown tells that a record with the client id is already stored.
var errKnown = errors.New("outreach: client id known")

// memberScope is where a member may record: the subtrees of their team_member grants.
func memberScope(actor *authz.Actor) []string { return actor.UnitPaths(authz.TeamMember) }

// SaveRecord stores a guidance record sent by the acting team member, once per client id. The
// insert and every counter it moves share one transaction, committed together with other records
// by the group-commit batcher.
func (s *Service) SaveRecord(ctx context.Context, in RecordInput) (Result, error) {
	actor := authz.ActorFrom(ctx)
	scope := memberScope(actor)
	if len(scope) == 0 {
		return Result{}, apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	now := s.Now()
	if err := in.Normalize(now); err != nil {
		return Result{}, err
	}
	hash := in.Hash()
	skills, campaigns, err := s.catalog(ctx)
	if err != nil {
		return Result{}, err
	}
	// A member records in their own province: its catalogue (the national entries and the
	// province's own) and its campaigns.
	province := authz.ProvinceOfPath(scope[0])
	for _, list := range []struct {
		field string
		codes []string
	}{{"skills", in.Skills}, {"platforms", in.Platforms}} {
		for _, c := range list.codes {
			k, ok := skills[c]
			if !ok || !k.Active || !k.usableIn(province) {
				return Result{}, apperr.InvalidField(list.field, "outreach.error.unknown_skill", c)
			}
			// A citizen is not taught e-invoices, nor an enterprise VNeID: each record names the
			// entries of its own audience, so that the figures by skill mean what they say.
			if k.audienceOf() != in.Subject() {
				return Result{}, apperr.InvalidField(list.field, "outreach.error.skill_audience_"+string(in.Subject()), k.Name)
			}
		}
	}
	camp, err := pickCampaign(campaignsOf(campaigns, province), in.CampaignID, in.GuidedAt)
	if err != nil {
		return Result{}, err
	}
	if in.Consent != nil && in.Consent.Given && in.Consent.Version != camp.ConsentVersion {
		return Result{}, apperr.InvalidField("consent", "outreach.error.consent_version")
	}
	// The record's unit: the village named, which must lie in the member's area, or else the
	// unit of the member's grant.
	home := scope[0]
	unitCode := lastCode(home)
	unitPath := home
	if in.VillageCode != "" {
		u, err := s.villageNow(ctx, in.VillageCode)
		if err != nil {
			return Result{}, err
		}
		if !authz.Under(u.Path, scope) {
			return Result{}, apperr.New(apperr.Forbidden, "outreach.error.out_of_scope", u.Name)
		}
		unitCode, unitPath = u.Code, u.Path
		home = ""
		for _, p := range scope {
			if strings.HasPrefix(unitPath, p) && len(p) > len(home) {
				home = p
			}
		}
	}
	rec := Record{ClientID: in.ClientID, CampaignID: camp.ID, MemberID: actor.UserID, UnitCode: unitCode, UnitPath: unitPath,
		Citizen: in.Citizen, Subject: in.Subject(), Enterprise: in.Enterprise, Skills: in.Skills, Platforms: in.Platforms, Evidence: in.Evidence, Location: in.locationText(),
		ConsentVersion: in.consentVersion(), GuidedAt: in.GuidedAt, CreatedAt: now,
		citizenKey:  in.citizenKey(unitCode),
		contentHash: hash}
	var stored Record
	var replayed bool
	err = s.write(ctx, func(tx *db.Tx) error {
		// The insert comes first and does nothing on a known client id: a new record (the usual
		// case) costs no lookup; a replay reads the stored record.
		stored, replayed = rec, false
		err := s.insertRecord(ctx, tx, &stored, home, camp)
		if !errors.Is(err, errKnown) {
			return err
		}
		r, found, err := s.findByClientID(ctx, tx, in.ClientID)
		if err != nil {
			return err
		}
		if !found {
			return errReplay
		}
		stored, replayed = r, true
		return nil
	})
	if errors.Is(err, errReplay) {
		r, found, ferr := s.findByClientID(ctx, s.DB.Reader(), in.ClientID)
		if ferr != nil || !found {
			return Result{}, apperr.Wrap(errors.Join(err, ferr), "replayed record")
		}
		return s.replay(r, hash, actor)
	}
	if err != nil {
		return Result{}, err
	}
	if replayed {
		return s.replay(stored, hash, actor)
	}
	return Result{Record: stored, Created: true}, nil
}

// villageNow returns where a record or visit named with a village code lies today. A phone that
// was offline across a map switch still sends the village of its cached form: when that village
// left the map with its commune, the record goes to the unit in force the village rolls up to
// (the commune its commune was merged into), where the member's team and grant now are, so
// the record is neither refused nor lost. A village of a split commune has no roll-up and stays.
func (s *Service) villageNow(ctx context.Context, code string) (unitRef, error) {
	u, err := s.unit(ctx, code)
	if err != nil || u.Level != "village" {
		return unitRef{}, apperr.InvalidField("village_code", "outreach.error.village")
	}
	if !u.retired() {
		return u, nil
	}
	var now string
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT current_path FROM unit_rollup WHERE path = ?", u.Path).Scan(&now)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return unitRef{}, apperr.Wrap(err, "village roll-up")
	}
	return s.unit(ctx, now)
}

func (s *Service) replay(r Record, hash string, actor *authz.Actor) (Result, error) {
	if r.MemberID != actor.UserID || r.contentHash != hash {
		return Result{}, apperr.New(apperr.Conflict, "outreach.error.client_id_conflict")
	}
	return Result{Record: r}, nil
}

func pickCampaign(cs []Campaign, id int64, at time.Time) (Campaign, error) {
	if len(cs) == 0 {
		return Campaign{}, apperr.New(apperr.Invalid, "outreach.error.no_campaign")
	}
	for _, c := range cs {
		if id != 0 && c.ID != id {
			continue
		}
		if c.LaunchAt.IsZero() {
			if id != 0 {
				return Campaign{}, apperr.InvalidField("campaign_id", "outreach.error.not_launched")
			}
			continue
		}
		if c.Contains(at) {
			return c, nil
		}
		if id != 0 {
			e := apperr.InvalidField("guided_at", "outreach.error.outside_window",
				c.LaunchAt.In(vietnam).Format("02/01/2006 15:04"), c.End().In(vietnam).Format("02/01/2006 15:04"))
			return Campaign{}, e
		}
	}
	if id != 0 {
		return Campaign{}, apperr.InvalidField("campaign_id", "outreach.error.campaign_not_found")
	}
	return Campaign{}, apperr.InvalidField("guided_at", "outreach.error.no_window")
}

var vietnam = time.FixedZone("ICT", 7*3600)

func lastCode(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}

// ancestors returns the paths of a unit and every unit above it ("/51/", "/51/535/", …).
func ancestors(path string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			out = append(out, path[:i+1])
		}
	}
	return out
}

func (s *Service) insertRecord(ctx context.Context, tx *db.Tx, r *Record, home string, camp Campaign) error {
	var ent Enterprise
	if r.Enterprise != nil {
		ent = *r.Enterprise
	}
	err := tx.QueryRowCached(ctx, `INSERT INTO outreach_records (client_id, content_hash, campaign_id, member_id, unit_code, unit_path, citizen_name, birth_year, phone,
		citizen_key, skills, platforms, evidence, location, consent_version, guided_at, created_at, subject, enterprise_name, tax_code, contact_name, contact_phone)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id) DO NOTHING RETURNING id`,
		r.ClientID, r.contentHash, r.CampaignID, r.MemberID, r.UnitCode, r.UnitPath, r.Citizen.Name, r.Citizen.BirthYear, r.Citizen.Phone,
		r.citizenKey, strings.Join(r.Skills, ","), strings.Join(r.Platforms, ","), r.Evidence, r.Location, r.ConsentVersion, db.Millis(r.GuidedAt), db.Millis(r.CreatedAt),
		string(r.subject()), ent.Name, ent.TaxCode, ent.ContactName, ent.ContactPhone).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return errKnown
	}
	if db.IsUniqueViolation(err) {
		return errReplay
	}
	if err != nil {
		return apperr.Wrap(err, "insert record")
	}
	if r.Enterprise != nil {
		return s.countEnterprise(ctx, tx, r)
	}
	// Distinct citizens: the first record of a citizen in a campaign counts them; a record by a
	// second member flags every record of that citizen by another member for review.
	res, err := tx.ExecCached(ctx, `INSERT INTO outreach_citizens (campaign_id, citizen_key, first_member_id) VALUES (?, ?, ?) ON CONFLICT (campaign_id, citizen_key) DO NOTHING`,
		r.CampaignID, r.citizenKey, r.MemberID)
	if err != nil {
		return apperr.Wrap(err, "insert citizen")
	}
	newCitizen := affected(res) == 1
	flags := map[string]int{}    // unit path → records flagged there
	codes := map[string]string{} // unit path → its code
	if !newCitizen {
		var first int64
		var shared int
		if err := tx.QueryRowContext(ctx, "SELECT first_member_id, shared FROM outreach_citizens WHERE campaign_id = ? AND citizen_key = ?", r.CampaignID, r.citizenKey).Scan(&first, &shared); err != nil {
			return apperr.Wrap(err, "find citizen")
		}
		if first != r.MemberID || shared == 1 {
			if shared == 0 {
				if _, err := tx.ExecContext(ctx, "UPDATE outreach_citizens SET shared = 1 WHERE campaign_id = ? AND citizen_key = ?", r.CampaignID, r.citizenKey); err != nil {
					return apperr.Wrap(err, "share citizen")
				}
			}
			rows, err := tx.QueryContext(ctx, "UPDATE outreach_records SET flagged = 1 WHERE campaign_id = ? AND citizen_key = ? AND flagged = 0 RETURNING unit_code, unit_path", r.CampaignID, r.citizenKey)
			if err != nil {
				return apperr.Wrap(err, "flag records")
			}
			for rows.Next() {
				var code, path string
				if err := rows.Scan(&code, &path); err != nil {
					rows.Close()
					return apperr.Wrap(err, "scan flagged")
				}
				flags[path]++
				codes[path] = code
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return apperr.Wrap(err, "flag records")
			}
			r.Flagged = true
		}
	}
	res, err = tx.ExecCached(ctx, `INSERT INTO outreach_member_citizens (campaign_id, member_id, citizen_key) VALUES (?, ?, ?) ON CONFLICT (campaign_id, member_id, citizen_key) DO NOTHING`,
		r.CampaignID, r.MemberID, r.citizenKey)
	if err != nil {
		return apperr.Wrap(err, "insert member citizen")
	}
	newForMember := affected(res)
	if err := audit.Record(ctx, tx, audit.Entry{Action: "outreach.record.create", ObjectType: "outreach_record", ObjectID: strconv.FormatInt(r.ID, 10),
		UnitPath: r.UnitPath, At: r.CreatedAt}); err != nil {
		return err
	}
	// The counters this record moves are added up for the whole transaction (a group-commit
	// batch) and written just before it commits, once this write has succeeded.
	rc := *r
	tx.OnSuccess(func() {
		c := pendingCounts(tx)
		c.member(rc.CampaignID, rc.MemberID, home, 1, newForMember, db.Millis(rc.GuidedAt))
		for path, n := range flags {
			c.unit(rc.CampaignID, codes[path], path, 0, 0, n)
		}
		c.unit(rc.CampaignID, rc.UnitCode, rc.UnitPath, 1, boolInt(newCitizen), 0)
		for _, k := range rc.Skills {
			c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, "skill:"+k)
		}
		for _, k := range rc.Platforms {
			c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, "platform:"+k)
		}
		// Records per day (Vietnam time), for the dashboards' progress over the campaign days.
		c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, DayDim(rc.GuidedAt))
	})
	return nil
}

// countEnterprise counts an enterprise's record apart from citizens: the first record of a tax
// code in a campaign counts the enterprise; neither moves a member's citizens nor records, so
// enterprises never make up a member's "7 citizens". Several members may help one enterprise
// with different things (its accountant, its owner), so a second member is not flagged.
func (s *Service) countEnterprise(ctx context.Context, tx *db.Tx, r *Record) error {
	res, err := tx.ExecCached(ctx, `INSERT INTO outreach_enterprises (campaign_id, tax_code, first_member_id) VALUES (?, ?, ?) ON CONFLICT (campaign_id, tax_code) DO NOTHING`,
		r.CampaignID, r.Enterprise.TaxCode, r.MemberID)
	if err != nil {
		return apperr.Wrap(err, "insert enterprise")
	}
	newEnterprise := affected(res)
	if err := audit.Record(ctx, tx, audit.Entry{Action: "outreach.record.create", ObjectType: "outreach_record", ObjectID: strconv.FormatInt(r.ID, 10),
		UnitPath: r.UnitPath, At: r.CreatedAt}); err != nil {
		return err
	}
	rc := *r
	tx.OnSuccess(func() {
		c := pendingCounts(tx)
		c.enterprise(rc.CampaignID, rc.UnitCode, rc.UnitPath, 1, newEnterprise)
		for _, k := range rc.Skills {
			c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, "skill:"+k)
		}
		for _, k := range rc.Platforms {
			c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, "platform:"+k)
		}
		// Enterprises by day apart from citizens' records by day ("day:"), which the dashboards
		// read as the citizens' progress.
		c.dim(rc.CampaignID, rc.UnitCode, rc.UnitPath, "e"+DayDim(rc.GuidedAt))
	})
	return nil
}

// subject is who the record is about.
func (r *Record) subject() Audience {
	if r.Enterprise != nil {
		return AudienceEnterprise
	}
	return AudienceCitizen
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func affected(res sql.Result) int {
	n, _ := res.RowsAffected()
	return int(n)
}

const recordColumns = `r.id, r.client_id, r.content_hash, r.campaign_id, r.member_id, COALESCE(u.display_name, ''), r.unit_code, r.unit_path, r.citizen_name,
	r.birth_year, r.phone, r.citizen_key, r.skills, r.platforms, r.evidence, r.location, r.consent_version, r.guided_at, r.created_at, r.flagged, r.erased_at,
	r.subject, r.enterprise_name, r.tax_code, r.contact_name, r.contact_phone`

const recordFrom = " FROM outreach_records r LEFT JOIN users u ON u.id = r.member_id"

func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var skills, platforms string
	var guided, created, erased int64
	var flagged int
	var e Enterprise
	err := row.Scan(&r.ID, &r.ClientID, &r.contentHash, &r.CampaignID, &r.MemberID, &r.MemberName, &r.UnitCode, &r.UnitPath, &r.Citizen.Name,
		&r.Citizen.BirthYear, &r.Citizen.Phone, &r.citizenKey, &skills, &platforms, &r.Evidence, &r.Location, &r.ConsentVersion, &guided, &created, &flagged, &erased,
		&r.Subject, &e.Name, &e.TaxCode, &e.ContactName, &e.ContactPhone)
	if r.Subject == AudienceEnterprise {
		r.Enterprise = &e
	}
	r.Skills, r.Platforms = splitCodes(skills), splitCodes(platforms)
	r.GuidedAt, r.CreatedAt = db.FromMillis(guided), db.FromMillis(created)
	r.Flagged, r.Erased = flagged == 1, erased != 0
	return r, err
}

func splitCodes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func (s *Service) findByClientID(ctx context.Context, q db.Querier, clientID string) (Record, bool, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, "SELECT "+recordColumns+recordFrom+" WHERE r.client_id = ?", clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, apperr.Wrap(err, "find record")
	}
	return r, true, nil
}

// MaySeePhones tells whether the actor sees unmasked the phone numbers of citizens guided in the
// unit at unitPath, in lists and exports: the administrator of the unit's province, who verifies
// results by calling citizens back. Their list views are audited as views of personal data.
func MaySeePhones(a *authz.Actor, unitPath string) bool {
	return a.AdministersProvince(authz.ProvinceOfPath(unitPath))
}

// recordScope is the part of the unit tree whose records the actor administers: a province's,
// district's or commune's administrators their units'. Citizens' personal data stays in their
// province (Decree 13/2023/NĐ-CP): a national administrator, who reads every province's figures,
// reads no guidance record; the command line reads all.
func recordScope(a *authz.Actor) authz.Scope {
	if a.IsNational() && !a.AdministersUnit("/") {
		return authz.Scope{}
	}
	return a.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin)
}

// viewScope is where the actor may read records: what they administer, plus, for a member, their
// own records.
func viewScope(a *authz.Actor) (scope authz.Scope, ownID int64) {
	if a.Has(authz.TeamMember) {
		ownID = a.UserID
	}
	return recordScope(a), ownID
}

// above tells whether path is an ancestor of one of paths.
func above(path string, paths []string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, path) {
			return true
		}
	}
	return false
}

// RecordFilter narrows a listing of records.
type RecordFilter struct {
	CampaignID int64
	UnitCode   string
	MemberID   int64
	// Mine lists only the actor's own records.
	Mine        bool
	FlaggedOnly bool
	Limit       int
	BeforeID    int64
}

// ListRecords lists records in the actor's scope, newest first, phones masked for most viewers.
func (s *Service) ListRecords(ctx context.Context, f RecordFilter) ([]Record, error) {
	actor := authz.ActorFrom(ctx)
	admin, own := viewScope(actor)
	var conds []string
	var args []any
	var scope []string
	if f.Mine {
		if own == 0 {
			return nil, apperr.New(apperr.Forbidden, "outreach.error.not_member")
		}
		scope = append(scope, "r.member_id = ?")
		args = append(args, own)
	} else {
		if c := admin.Units("r.unit_path"); !c.Empty() {
			scope = append(scope, c.SQL)
			args = append(args, c.Args...)
		}
		if own != 0 {
			scope = append(scope, "r.member_id = ?")
			args = append(args, own)
		}
	}
	if len(scope) == 0 {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	conds = append(conds, "("+strings.Join(scope, " OR ")+")")
	if f.CampaignID != 0 {
		conds = append(conds, "r.campaign_id = ?")
		args = append(args, f.CampaignID)
	}
	if f.UnitCode != "" {
		u, err := s.unit(ctx, f.UnitCode)
		if err != nil {
			return nil, err
		}
		// A unit outside the viewer's units is refused as progress refuses it, rather than
		// answered with an empty list that reads as "no records there". A unit above the
		// viewer's (the district, for a commune official) just narrows nothing.
		if !f.Mine && own == 0 && !admin.HasUnit(u.Path) && !above(u.Path, admin.UnitRoots()) {
			return nil, apperr.New(apperr.Forbidden, "outreach.error.progress_scope")
		}
		// A unit in force lists its records as it is now: those of the earlier units that roll up
		// into it too (a 2023 record of Xã Nghĩa Dõng under Xã An Phú); a retired unit its own.
		if u.retired() {
			conds = append(conds, "r.unit_path LIKE ?")
			args = append(args, u.Path+"%")
		} else {
			cond, cargs := units.UnderNow("r.unit_path", u.Path)
			conds = append(conds, cond)
			args = append(args, cargs...)
		}
	}
	if f.MemberID != 0 {
		conds = append(conds, "r.member_id = ?")
		args = append(args, f.MemberID)
	}
	if f.FlaggedOnly {
		conds = append(conds, "r.flagged = 1")
	}
	if f.BeforeID > 0 {
		conds = append(conds, "r.id < ?")
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+recordColumns+recordFrom+" WHERE "+strings.Join(conds, " AND ")+" ORDER BY r.id DESC LIMIT ?", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list records")
	}
	defer rows.Close()
	var out []Record
	full := 0
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan record")
		}
		if MaySeePhones(actor, r.UnitPath) {
			full++
		} else {
			r.Citizen.Phone = MaskPhone(r.Citizen.Phone)
			if r.Enterprise != nil {
				r.Enterprise.ContactPhone = MaskPhone(r.Enterprise.ContactPhone)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if full > 0 {
		if err := audit.RecordView(ctx, s.DB, audit.Entry{Action: "outreach.record.list_view", ObjectType: "outreach_record", UnitPath: authz.ProvincePath(authz.ProvinceOfPath(out[0].UnitPath)),
			Detail: "records=" + strconv.Itoa(len(out)) + " unit=" + f.UnitCode}); err != nil {
			return nil, apperr.Wrap(err, "audit view")
		}
	}
	return out, nil
}

// ViewRecord shows one record with the citizen's full details, to the member who made it and the
// administrators of its unit. Every view is written to the audit log.
func (s *Service) ViewRecord(ctx context.Context, id int64) (Record, error) {
	actor := authz.ActorFrom(ctx)
	r, err := scanRecord(s.DB.Reader().QueryRowContext(ctx, "SELECT "+recordColumns+recordFrom+" WHERE r.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, apperr.New(apperr.NotFound, "outreach.error.record_not_found")
	}
	if err != nil {
		return Record{}, apperr.Wrap(err, "find record")
	}
	admin, own := viewScope(actor)
	if !(own != 0 && r.MemberID == own) && !admin.HasUnit(r.UnitPath) {
		return Record{}, apperr.Hidden("outreach.error.record_not_found")
	}
	if err := audit.RecordView(ctx, s.DB, audit.Entry{Action: "outreach.citizen.view", ObjectType: "outreach_record", ObjectID: strconv.FormatInt(id, 10), UnitPath: r.UnitPath}); err != nil {
		return Record{}, apperr.Wrap(err, "audit view")
	}
	return r, nil
}

// VisitInput is one household visit as the phone sends it; like records it is stored once per
// client id.
type VisitInput struct {
	ClientID    string    `json:"client_id"`
	Household   string    `json:"household"`
	Outcome     Outcome   `json:"outcome"`
	Note        string    `json:"note,omitempty"`
	VisitedAt   time.Time `json:"visited_at"`
	VillageCode string    `json:"village_code,omitempty"`
}

// Visit is a stored household visit.
type Visit struct {
	ID         int64  `json:"id"`
	ClientID   string `json:"client_id"`
	CampaignID int64  `json:"campaign_id"`
	MemberID   int64  `json:"member_id"`
	UnitCode   string `json:"unit_code"`
	// UnitPath names the unit version the visit was made in (a code can name two).
	UnitPath  string    `json:"unit_path"`
	Household string    `json:"household"`
	Outcome   Outcome   `json:"outcome"`
	Note      string    `json:"note,omitempty"`
	VisitedAt time.Time `json:"visited_at"`
}

func (v *VisitInput) normalize(now time.Time) (string, error) {
	v.ClientID = strings.ToLower(strings.TrimSpace(v.ClientID))
	if !uuidRe.MatchString(v.ClientID) {
		return "", apperr.InvalidField("client_id", "outreach.error.client_id")
	}
	v.Household = strings.Join(strings.Fields(v.Household), " ")
	if v.Household == "" || len([]rune(v.Household)) > 200 {
		return "", apperr.InvalidField("household", "outreach.error.household")
	}
	if !v.Outcome.Valid() {
		return "", apperr.InvalidField("outcome", "outreach.error.outcome")
	}
	v.Note = strings.Join(strings.Fields(v.Note), " ")
	if len([]rune(v.Note)) > 500 {
		return "", apperr.InvalidField("note", "outreach.error.note_long")
	}
	if v.VisitedAt.IsZero() {
		return "", apperr.InvalidField("visited_at", "outreach.error.guided_at")
	}
	if v.VisitedAt.After(now.Add(2 * time.Minute)) {
		return "", apperr.InvalidField("visited_at", "outreach.error.future")
	}
	v.VisitedAt = v.VisitedAt.UTC().Truncate(time.Millisecond)
	return strings.Join([]string{v.Household, string(v.Outcome), v.Note, strconv.FormatInt(v.VisitedAt.UnixMilli(), 10), v.VillageCode}, "\x1f"), nil
}

// SaveVisit logs a household visit of the acting member, once per client id.
func (s *Service) SaveVisit(ctx context.Context, in VisitInput) (Visit, bool, error) {
	actor := authz.ActorFrom(ctx)
	scope := memberScope(actor)
	if len(scope) == 0 {
		return Visit{}, false, apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	content, err := in.normalize(s.Now())
	if err != nil {
		return Visit{}, false, err
	}
	_, campaigns, err := s.catalog(ctx)
	if err != nil {
		return Visit{}, false, err
	}
	camp, err := pickCampaign(campaignsOf(campaigns, authz.ProvinceOfPath(scope[0])), 0, in.VisitedAt)
	if err != nil {
		return Visit{}, false, err
	}
	code, path := lastCode(scope[0]), scope[0]
	if in.VillageCode != "" {
		u, err := s.villageNow(ctx, in.VillageCode)
		if err != nil {
			return Visit{}, false, err
		}
		if !authz.Under(u.Path, scope) {
			return Visit{}, false, apperr.New(apperr.Forbidden, "outreach.error.out_of_scope", u.Name)
		}
		code, path = u.Code, u.Path
	}
	v := Visit{ClientID: in.ClientID, CampaignID: camp.ID, MemberID: actor.UserID, UnitCode: code, UnitPath: path, Household: in.Household, Outcome: in.Outcome, Note: in.Note, VisitedAt: in.VisitedAt}
	created := false
	err = s.write(ctx, func(tx *db.Tx) error {
		var id, member int64
		var hash string
		err := tx.QueryRowContext(ctx, "SELECT id, member_id, content_hash FROM outreach_visits WHERE client_id = ?", in.ClientID).Scan(&id, &member, &hash)
		if err == nil {
			if member != actor.UserID || hash != hashText(content) {
				return apperr.New(apperr.Conflict, "outreach.error.client_id_conflict")
			}
			v.ID = id
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return apperr.Wrap(err, "find visit")
		}
		v.ID, err = tx.InsertID(ctx, `INSERT INTO outreach_visits (client_id, content_hash, campaign_id, member_id, unit_code, unit_path, household, outcome, note, visited_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, v.ClientID, hashText(content), v.CampaignID, v.MemberID, code, path, v.Household, string(v.Outcome), v.Note,
			db.Millis(v.VisitedAt), db.Millis(s.Now()))
		if err != nil {
			return apperr.Wrap(err, "insert visit")
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "outreach.visit.create", ObjectType: "outreach_visit", ObjectID: strconv.FormatInt(v.ID, 10), UnitPath: path}); err != nil {
			return err
		}
		created = true
		tx.OnSuccess(func() { pendingCounts(tx).dim(camp.ID, code, path, "visit:"+string(v.Outcome)) })
		return nil
	})
	return v, created, err
}

// MyVisits is a member's own household visits, newest first, with their counts per outcome.
type MyVisits struct {
	Visits []Visit `json:"visits"`
	// Counts has every outcome, in display order, with how many of the member's visits had it.
	Counts []Count `json:"counts"`
	Total  int64   `json:"total"`
}

// ListMyVisits lists the acting member's own household visits (at most limit, 1–500, before the
// visit id beforeID when not 0) with the counts per outcome over all of them. Visits name
// households, so nobody else's are listed here.
func (s *Service) ListMyVisits(ctx context.Context, limit int, beforeID int64) (MyVisits, error) {
	actor := authz.ActorFrom(ctx)
	if len(memberScope(actor)) == 0 {
		return MyVisits{}, apperr.New(apperr.Forbidden, "outreach.error.not_member")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	out := MyVisits{Visits: []Visit{}}
	q := s.DB.Reader()
	counts := map[string]int64{}
	rows, err := q.QueryContext(ctx, "SELECT outcome, COUNT(*) FROM outreach_visits WHERE member_id = ? GROUP BY outcome", actor.UserID)
	if err != nil {
		return out, apperr.Wrap(err, "count visits")
	}
	for rows.Next() {
		var o string
		var n int64
		if err := rows.Scan(&o, &n); err != nil {
			rows.Close()
			return out, apperr.Wrap(err, "scan visit count")
		}
		counts[o] = n
		out.Total += n
	}
	rows.Close()
	for _, o := range Outcomes {
		out.Counts = append(out.Counts, Count{Code: string(o), N: counts[string(o)]})
	}
	args := []any{actor.UserID}
	cond := ""
	if beforeID > 0 {
		cond = " AND id < ?"
		args = append(args, beforeID)
	}
	args = append(args, limit)
	rows, err = q.QueryContext(ctx, `SELECT id, client_id, campaign_id, member_id, unit_code, unit_path, household, outcome, note, visited_at FROM outreach_visits
		WHERE member_id = ?`+cond+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return out, apperr.Wrap(err, "list visits")
	}
	defer rows.Close()
	for rows.Next() {
		var v Visit
		var at int64
		if err := rows.Scan(&v.ID, &v.ClientID, &v.CampaignID, &v.MemberID, &v.UnitCode, &v.UnitPath, &v.Household, &v.Outcome, &v.Note, &at); err != nil {
			return out, apperr.Wrap(err, "scan visit")
		}
		v.VisitedAt = db.FromMillis(at)
		out.Visits = append(out.Visits, v)
	}
	return out, apperr.Wrap(rows.Err(), "list visits")
}
