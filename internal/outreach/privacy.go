package outreach

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// SubjectRequest is a citizen's request about their data (Decree 13/2023/NĐ-CP, art. 14 and 16): a
// copy of it ("export") or its erasure ("erase"). The citizen is found by phone, or by name, year
// of birth and village when they gave no phone.
type SubjectRequest struct {
	Kind        string `json:"kind"`
	Phone       string `json:"phone,omitempty"`
	Name        string `json:"name,omitempty"`
	BirthYear   int    `json:"birth_year,omitempty"`
	VillageCode string `json:"village_code,omitempty"`
	// ReceivedOn is the date the request reached the office (YYYY-MM-DD).
	ReceivedOn string `json:"received_on"`
	Note       string `json:"note,omitempty"`
}

// SubjectResult is what a request did: the request's id and dates, and the records concerned
// (their content for an export, as they were before erasure for an erase).
type SubjectResult struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	ReceivedOn  string    `json:"received_on"`
	CompletedAt time.Time `json:"completed_at"`
	Records     []Record  `json:"records"`
}

var isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// HandleSubjectRequest exports or erases one citizen's records in the actor's administered area.
// Erasure removes the identifying fields and keeps the counts. Both are audited and the request
// is recorded with the date it was received and the moment it was completed.
func (s *Service) HandleSubjectRequest(ctx context.Context, req SubjectRequest) (SubjectResult, error) {
	actor := authz.ActorFrom(ctx)
	admin := recordScope(actor)
	paths := admin.UnitRoots()
	if admin.Empty() {
		return SubjectResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if req.Kind != "export" && req.Kind != "erase" {
		return SubjectResult{}, apperr.InvalidField("kind", "outreach.error.request_kind")
	}
	now := s.Now()
	if !isoDate.MatchString(req.ReceivedOn) {
		return SubjectResult{}, apperr.InvalidField("received_on", "outreach.error.received_on")
	}
	if d, err := time.Parse("2006-01-02", req.ReceivedOn); err != nil || d.After(now) {
		return SubjectResult{}, apperr.InvalidField("received_on", "outreach.error.received_on")
	}
	req.Note = strings.Join(strings.Fields(req.Note), " ")
	if len([]rune(req.Note)) > 500 {
		return SubjectResult{}, apperr.InvalidField("note", "outreach.error.note_long")
	}
	var key string
	// contact is the phone as an enterprise's contact person's: theirs is personal data too, found
	// by the same request (a contact is named only with a phone or by the enterprise).
	contact := "\x00"
	if req.Phone != "" {
		p, ok := NormalizePhone(req.Phone)
		if !ok {
			return SubjectResult{}, apperr.InvalidField("phone", "outreach.error.phone")
		}
		key, contact = CitizenKey("", 0, p, ""), p
	} else {
		name := strings.Join(strings.Fields(req.Name), " ")
		if name == "" || req.BirthYear == 0 || req.VillageCode == "" {
			return SubjectResult{}, apperr.InvalidField("phone", "outreach.error.request_locator")
		}
		key = CitizenKey(name, req.BirthYear, "", req.VillageCode)
	}
	cond := admin.Units("r.unit_path")
	args := append([]any{key, contact}, cond.Args...)
	where := " WHERE (r.citizen_key = ? OR r.contact_phone = ?) AND " + cond.SQL
	home := "/"
	if len(paths) > 0 {
		home = paths[0]
	}
	res := SubjectResult{Kind: req.Kind, ReceivedOn: req.ReceivedOn, CompletedAt: now.UTC()}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+recordColumns+recordFrom+where+" ORDER BY r.id", args...)
		if err != nil {
			return apperr.Wrap(err, "find citizen records")
		}
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return apperr.Wrap(err, "scan record")
			}
			res.Records = append(res.Records, r)
		}
		rows.Close()
		if len(res.Records) == 0 {
			// A citizen recorded only outside the actor's units is a refusal the audit log keeps
			// (someone looking for a person's data elsewhere); one recorded nowhere is not.
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM outreach_records WHERE citizen_key = ? OR contact_phone = ? LIMIT 1", key, contact).Scan(&one); err == nil {
				return apperr.Hidden("outreach.error.citizen_not_found")
			}
			return apperr.New(apperr.NotFound, "outreach.error.citizen_not_found")
		}
		if req.Kind == "erase" {
			for _, r := range res.Records {
				if err := eraseRecord(ctx, tx, r, now); err != nil {
					return err
				}
			}
		}
		res.ID, err = tx.InsertID(ctx, `INSERT INTO outreach_subject_requests (kind, citizen_key, received_on, completed_at, records, actor_id, unit_path, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, req.Kind, key, req.ReceivedOn, db.Millis(now), len(res.Records), db.NullInt(actor.UserID), home, req.Note)
		if err != nil {
			return apperr.Wrap(err, "insert request")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.citizen." + req.Kind, ObjectType: "outreach_subject_request", ObjectID: strconv.FormatInt(res.ID, 10),
			UnitPath: res.Records[0].UnitPath, Detail: "records=" + strconv.Itoa(len(res.Records)) + " received_on=" + req.ReceivedOn})
	})
	return res, err
}

// eraseRecord removes a record's identifying fields; the counters are left as they are.
func eraseRecord(ctx context.Context, tx *db.Tx, r Record, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE outreach_records SET citizen_name = '', birth_year = 0, phone = '', evidence = '', location = '', citizen_key = '', contact_name = '', contact_phone = '',
		erased_at = ? WHERE id = ?`, db.Millis(now), r.ID); err != nil {
		return apperr.Wrap(err, "erase record")
	}
	for _, q := range []string{"DELETE FROM outreach_citizens WHERE campaign_id = ? AND citizen_key = ?", "DELETE FROM outreach_member_citizens WHERE campaign_id = ? AND citizen_key = ?"} {
		if _, err := tx.ExecContext(ctx, q, r.CampaignID, r.citizenKey); err != nil {
			return apperr.Wrap(err, "erase citizen key")
		}
	}
	return nil
}

// RetentionResult tells what ApplyRetention did.
type RetentionResult struct {
	Campaigns []int64 `json:"campaigns"`
	Records   int64   `json:"records"`
}

// ApplyRetention removes the identifying fields (name, year of birth, phone, evidence, location,
// citizen key) of every record of a campaign whose retention period has run out — RetentionDays
// after its window closed — and keeps every count. A province's administrators run it over their
// province's campaigns (the command line over every province's); it is safe to run again.
func (s *Service) ApplyRetention(ctx context.Context) (RetentionResult, error) {
	a := authz.ActorFrom(ctx)
	if len(a.AdminProvinces()) == 0 && !a.AdministersUnit("/") {
		return RetentionResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	now := s.Now()
	all, err := s.listCampaigns(ctx, s.DB.Reader(), authz.Cond{SQL: "1=1"})
	if err != nil {
		return RetentionResult{}, err
	}
	res := RetentionResult{Campaigns: []int64{}}
	for _, c := range all {
		if !a.MayChange(authz.ProvinceObject(c.Province)) {
			continue
		}
		if c.LaunchAt.IsZero() || !c.RetainedAt.IsZero() || now.Before(c.End().Add(time.Duration(c.RetentionDays)*24*time.Hour)) {
			continue
		}
		err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			r, err := tx.ExecContext(ctx, `UPDATE outreach_records SET citizen_name = '', birth_year = 0, phone = '', evidence = '', location = '', citizen_key = '', contact_name = '', contact_phone = '',
				erased_at = ? WHERE campaign_id = ? AND erased_at = 0`, db.Millis(now), c.ID)
			if err != nil {
				return apperr.Wrap(err, "retention")
			}
			n := affected(r)
			res.Records += int64(n)
			for _, q := range []string{"DELETE FROM outreach_citizens WHERE campaign_id = ?", "DELETE FROM outreach_member_citizens WHERE campaign_id = ?"} {
				if _, err := tx.ExecContext(ctx, q, c.ID); err != nil {
					return apperr.Wrap(err, "retention keys")
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE outreach_campaigns SET retained_at = ? WHERE id = ?", db.Millis(now), c.ID); err != nil {
				return apperr.Wrap(err, "retention mark")
			}
			return audit.Record(ctx, tx, audit.Entry{Action: "outreach.retention", ObjectType: "outreach_campaign", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: authz.ProvincePath(c.Province),
				Detail: "records=" + strconv.Itoa(n)})
		})
		if err != nil {
			return res, err
		}
		res.Campaigns = append(res.Campaigns, c.ID)
	}
	s.invalidate()
	return res, nil
}

// provinceAdminScope is the part of the tree the actor administers as a province's administrator:
// their provinces, every province for the command line, none for a national administrator (who
// reads every province and changes none).
func provinceAdminScope(a *authz.Actor) authz.Scope {
	var gs []authz.Grant
	for _, g := range a.Grants {
		if g.Role == authz.ProvinceAdmin {
			gs = append(gs, g)
		}
	}
	return (&authz.Actor{Grants: gs}).ScopeOf(authz.ProvinceAdmin)
}

// PurgeResult tells what Purge did (or, in a dry run, would do).
type PurgeResult struct {
	Before  time.Time `json:"before"`
	DryRun  bool      `json:"dry_run"`
	Records int64     `json:"records"`
	Visits  int64     `json:"visits"`
	// Keys is the number of citizen keys dropped from the distinct-citizen tables: those whose
	// every record is now anonymised.
	Keys int64 `json:"keys"`
}

// purgeBatch bounds the rows anonymised per transaction, so that a purge of millions of rows
// never holds the writer for long.
const purgeBatch = 5000

// Purge anonymises the personal data of guidance records guided, and household visits made,
// before the given moment (Decree 13/2023/NĐ-CP: identifying data kept no longer than needed): the
// citizen's name, year of birth, phone, evidence, location and citizen key of a record, the
// household and note of a visit. Every counter is kept, so progress and reports do not change.
// A citizen key leaves the distinct-citizen tables once no record keeps it. A province's
// administrators purge their province's records and visits, the command line (`lantoa outreach
// purge`) every province's; each batch is audited; dryRun only counts.
func (s *Service) Purge(ctx context.Context, before time.Time, dryRun bool) (PurgeResult, error) {
	res := PurgeResult{Before: before.UTC(), DryRun: dryRun}
	a := authz.ActorFrom(ctx)
	scope := provinceAdminScope(a)
	if scope.Empty() {
		return res, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	now := s.Now()
	if before.IsZero() || before.After(now) {
		return res, apperr.InvalidField("before", "outreach.error.purge_before")
	}
	cut := db.Millis(before)
	in := scope.Units("unit_path")
	where := func(cond string) (string, []any) {
		return cond + " AND " + in.SQL, append([]any{cut}, in.Args...)
	}
	home := "/"
	if p := a.AdminProvinces(); len(p) == 1 && !a.AdministersUnit("/") {
		home = authz.ProvincePath(p[0])
	}
	r := s.DB.Reader()
	if dryRun {
		w, args := where("guided_at < ? AND erased_at = 0")
		if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records WHERE "+w, args...).Scan(&res.Records); err != nil {
			return res, apperr.Wrap(err, "count records")
		}
		w, args = where("visited_at < ? AND (household <> '' OR note <> '')")
		if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_visits WHERE "+w, args...).Scan(&res.Visits); err != nil {
			return res, apperr.Wrap(err, "count visits")
		}
		return res, nil
	}
	for {
		var n, keys int64
		err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			w, args := where("guided_at < ? AND erased_at = 0")
			rows, err := tx.QueryContext(ctx, "SELECT id, campaign_id, citizen_key FROM outreach_records WHERE "+w+" ORDER BY id LIMIT ?", append(args, purgeBatch)...)
			if err != nil {
				return apperr.Wrap(err, "purge: find records")
			}
			var ids []any
			type ck struct {
				campaign int64
				key      string
			}
			seen := map[ck]bool{}
			var cks []ck
			for rows.Next() {
				var id int64
				var c ck
				if err := rows.Scan(&id, &c.campaign, &c.key); err != nil {
					rows.Close()
					return apperr.Wrap(err, "purge: scan")
				}
				ids = append(ids, id)
				if c.key != "" && !seen[c] {
					seen[c] = true
					cks = append(cks, c)
				}
			}
			rows.Close()
			if len(ids) == 0 {
				return nil
			}
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
			set := append([]any{db.Millis(now)}, ids...)
			if _, err := tx.ExecContext(ctx, `UPDATE outreach_records SET citizen_name = '', birth_year = 0, phone = '', evidence = '', location = '', citizen_key = '', contact_name = '', contact_phone = '',
				erased_at = ? WHERE id IN (`+ph+")", set...); err != nil {
				return apperr.Wrap(err, "purge: anonymise")
			}
			for _, c := range cks {
				var left int
				if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records WHERE campaign_id = ? AND citizen_key = ?", c.campaign, c.key).Scan(&left); err != nil {
					return apperr.Wrap(err, "purge: remaining")
				}
				if left > 0 {
					continue // a later record still names the citizen: their key stays
				}
				for _, q := range []string{"DELETE FROM outreach_citizens WHERE campaign_id = ? AND citizen_key = ?", "DELETE FROM outreach_member_citizens WHERE campaign_id = ? AND citizen_key = ?"} {
					if _, err := tx.ExecContext(ctx, q, c.campaign, c.key); err != nil {
						return apperr.Wrap(err, "purge: keys")
					}
				}
				keys++
			}
			n = int64(len(ids))
			return audit.Record(ctx, tx, audit.Entry{Action: "outreach.purge", ObjectType: "outreach_record", UnitPath: home,
				Detail: "before=" + before.UTC().Format(time.RFC3339) + " records=" + strconv.FormatInt(n, 10) + " keys=" + strconv.FormatInt(keys, 10)})
		})
		if err != nil {
			return res, err
		}
		res.Records, res.Keys = res.Records+n, res.Keys+keys
		if n < purgeBatch {
			break
		}
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		w, args := where("visited_at < ? AND (household <> '' OR note <> '')")
		x, err := tx.ExecContext(ctx, "UPDATE outreach_visits SET household = '', note = '' WHERE "+w, args...)
		if err != nil {
			return apperr.Wrap(err, "purge: visits")
		}
		res.Visits = int64(affected(x))
		if res.Visits == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.purge", ObjectType: "outreach_visit", UnitPath: home,
			Detail: "before=" + before.UTC().Format(time.RFC3339) + " visits=" + strconv.FormatInt(res.Visits, 10)})
	})
	return res, err
}
