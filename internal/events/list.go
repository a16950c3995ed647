package events

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/units"
)

// Filter narrows a listing of events. UnitCode reads the subtree of a unit (the events of the unit,
// of the units below it and of the organisations located there); Province narrows to one province;
// From and To are Vietnam dates (YYYY-MM-DD, inclusive; empty means open).
type Filter struct {
	UnitCode string
	// OrgID reads the subtree of an organisation: its events and those of the organisations below it.
	OrgID    int64
	Province string
	Kind     Kind
	From, To string
	Limit    int
}

// MaxList bounds a listing and an export.
const MaxList = 5000

func dayStart(d string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", d, vietnam)
	return t, err == nil
}

// where builds the listing's conditions in the actor's scope: what they administer; a national
// administrator reads every province.
func (s *Service) where(ctx context.Context, a *authz.Actor, f Filter) ([]string, []any, error) {
	scope := a.AdminScope()
	if scope.Empty() {
		return nil, nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	conds, args := scope.Orgs("e.org_path", "e.unit_path").And(nil, nil)
	if f.Kind != "" {
		if !f.Kind.Valid() {
			return nil, nil, apperr.InvalidField("kind", "events.error.kind")
		}
		conds, args = append(conds, "e.kind = ?"), append(args, string(f.Kind))
	}
	if f.UnitCode != "" {
		var path string
		if err := s.DB.Reader().QueryRowContext(ctx, "SELECT path FROM units WHERE code = ? AND valid_to = ''", f.UnitCode).Scan(&path); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil, apperr.New(apperr.NotFound, "units.error.not_found", f.UnitCode)
			}
			return nil, nil, apperr.Wrap(err, "find unit")
		}
		if !scope.HasUnit(path) {
			return nil, nil, apperr.Hidden("units.error.not_found", f.UnitCode)
		}
		under, underArgs := units.UnderNow("e.unit_path", path)
		conds, args = append(conds, under), append(args, underArgs...)
	}
	if f.OrgID != 0 {
		var path, unitPath string
		if err := s.DB.Reader().QueryRowContext(ctx, "SELECT path, unit_path FROM orgs WHERE id = ?", f.OrgID).Scan(&path, &unitPath); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil, apperr.New(apperr.NotFound, "orgs.error.not_found", f.OrgID)
			}
			return nil, nil, apperr.Wrap(err, "find organisation")
		}
		if !scope.HasOrg(path, unitPath) {
			return nil, nil, apperr.Hidden("orgs.error.not_found", f.OrgID)
		}
		conds, args = append(conds, "e.org_path LIKE ?"), append(args, path+"%")
	}
	if f.Province != "" {
		conds, args = append(conds, "e.province_code = ?"), append(args, f.Province)
	}
	if f.From != "" {
		t, ok := dayStart(f.From)
		if !ok {
			return nil, nil, apperr.InvalidField("from", "events.error.date")
		}
		conds, args = append(conds, "e.starts_at >= ?"), append(args, t.UnixMilli())
	}
	if f.To != "" {
		t, ok := dayStart(f.To)
		if !ok {
			return nil, nil, apperr.InvalidField("to", "events.error.date")
		}
		conds, args = append(conds, "e.starts_at < ?"), append(args, t.AddDate(0, 0, 1).UnixMilli())
	}
	return conds, args, nil
}

// List returns the events in the actor's scope that f selects, the latest first, with their photos.
func (s *Service) List(ctx context.Context, f Filter) ([]Event, error) {
	a, err := actorOf(ctx)
	if err != nil {
		return nil, err
	}
	conds, args, err := s.where(ctx, a, f)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = 200
	}
	q := selectEvent
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return s.query(ctx, q+" ORDER BY e.starts_at DESC, e.id DESC LIMIT ?", append(args, f.Limit)...)
}

func (s *Service) query(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list launch events")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan launch event")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ptrs := make([]*Event, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.photos(ctx, ptrs)
}

// Calendar is a province's events for its public portal: those from today on, soonest first, and
// those before today, latest first, at most limit of each. It needs no actor: events are public.
func (s *Service) Calendar(ctx context.Context, province string, now time.Time, limit int) (upcoming, past []Event, err error) {
	y, m, d := now.In(vietnam).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, vietnam).UnixMilli()
	if upcoming, err = s.query(ctx, selectEvent+" WHERE e.province_code = ? AND e.starts_at >= ? ORDER BY e.starts_at, e.id LIMIT ?", province, today, limit); err != nil {
		return nil, nil, err
	}
	past, err = s.query(ctx, selectEvent+" WHERE e.province_code = ? AND e.starts_at < ? ORDER BY e.starts_at DESC, e.id DESC LIMIT ?", province, today, limit)
	return upcoming, past, err
}

// PublicFind returns an event of province for its portal page; another province's is not found.
func (s *Service) PublicFind(ctx context.Context, province string, id int64) (Event, error) {
	list, err := s.query(ctx, selectEvent+" WHERE e.id = ? AND e.province_code = ?", id, province)
	if err != nil {
		return Event{}, err
	}
	if len(list) == 0 {
		return Event{}, apperr.New(apperr.NotFound, "events.error.not_found")
	}
	return list[0], nil
}

// OrgCount is what one organisation held.
type OrgCount struct {
	OrgID        int64        `json:"org_id"`
	Name         string       `json:"name"`
	Events       int64        `json:"events"`
	Participants Participants `json:"participants"`
}

// Summary is what was held in a subtree.
type Summary struct {
	// Held counts the events that started by the moment asked; Upcoming those after it.
	Held         int64           `json:"held"`
	Upcoming     int64           `json:"upcoming"`
	ByKind       map[Kind]int64  `json:"by_kind"`
	ByLevel      map[Level]int64 `json:"by_level"`
	Participants Participants    `json:"participants"`
	// ByOrg is the organisations that held events, most events first.
	ByOrg []OrgCount `json:"by_org"`
}

// Summarise counts the events held in the subtree at unitPath (its units' and the organisations
// located there, where they count today after a map switch) that started in [from, asOf]; zero from
// is open. These are aggregate figures for the reports and the workspaces: no actor is needed and
// no event is shown.
func (s *Service) Summarise(ctx context.Context, unitPath string, from, asOf time.Time) (Summary, error) {
	under, args := units.UnderNow("e.unit_path", unitPath)
	return s.summarise(ctx, under, args, from, asOf)
}

// SummariseOrg is Summarise for the subtree of an organisation (its path): its events and those of
// the organisations below it (a provincial youth union's district unions).
func (s *Service) SummariseOrg(ctx context.Context, orgPath string, from, asOf time.Time) (Summary, error) {
	if orgPath == "" {
		return Summary{}, apperr.New(apperr.Invalid, "orgs.error.not_found", 0)
	}
	return s.summarise(ctx, "e.org_path LIKE ?", []any{orgPath + "%"}, from, asOf)
}

func (s *Service) summarise(ctx context.Context, cond string, condArgs []any, from, asOf time.Time) (Summary, error) {
	sum := Summary{ByKind: map[Kind]int64{}, ByLevel: map[Level]int64{}}
	for _, k := range Kinds {
		sum.ByKind[k] = 0
	}
	for _, l := range Levels {
		sum.ByLevel[l] = 0
	}
	lo := int64(-1 << 62)
	if !from.IsZero() {
		lo = from.UnixMilli()
	}
	args := append(append([]any{}, condArgs...), lo, asOf.UnixMilli())
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT e.kind, e.level, COALESCE(e.org_id, 0), COALESCE(o.name, ''),
		COUNT(*), SUM(e.officials), SUM(e.youth_members), SUM(e.pupils), SUM(e.citizens)
		FROM launch_events e LEFT JOIN orgs o ON o.id = e.org_id
		WHERE `+cond+` AND e.starts_at >= ? AND e.starts_at <= ? GROUP BY e.kind, e.level, e.org_id, o.name`, args...)
	if err != nil {
		return sum, apperr.Wrap(err, "summarise launch events")
	}
	defer rows.Close()
	orgIdx := map[int64]int{}
	for rows.Next() {
		var k Kind
		var l Level
		var orgID, n int64
		var name string
		var p Participants
		if err := rows.Scan(&k, &l, &orgID, &name, &n, &p.Officials, &p.YouthMembers, &p.Pupils, &p.Citizens); err != nil {
			return sum, apperr.Wrap(err, "scan launch event summary")
		}
		sum.Held += n
		sum.ByKind[k] += n
		sum.ByLevel[l] += n
		sum.Participants.add(p)
		if orgID != 0 {
			i, ok := orgIdx[orgID]
			if !ok {
				sum.ByOrg = append(sum.ByOrg, OrgCount{OrgID: orgID, Name: name})
				i = len(sum.ByOrg) - 1
				orgIdx[orgID] = i
			}
			sum.ByOrg[i].Events += n
			sum.ByOrg[i].Participants.add(p)
		}
	}
	if err := rows.Err(); err != nil {
		return sum, err
	}
	sortOrgs(sum.ByOrg)
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM launch_events e WHERE "+cond+" AND e.starts_at > ?",
		append(append([]any{}, condArgs...), asOf.UnixMilli())...).Scan(&sum.Upcoming)
	return sum, apperr.Wrap(err, "count upcoming launch events")
}

func sortOrgs(list []OrgCount) {
	slices.SortFunc(list, func(a, b OrgCount) int {
		if a.Events != b.Events {
			return cmp.Compare(b.Events, a.Events)
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// Export writes the events f selects in the actor's scope as a workbook, one line an event.
func (s *Service) Export(ctx context.Context, f Filter, t i18n.Translator, w io.Writer) error {
	f.Limit = MaxList
	list, err := s.List(ctx, f)
	if err != nil {
		return err
	}
	tab := sheet.Table{Name: t("events.sheet"), Header: []string{t("events.field.starts_at"), t("events.field.kind"), t("events.field.title"),
		t("events.field.owner"), t("events.field.level"), t("events.field.place"), t("events.field.host")}}
	for _, g := range Groups {
		tab.Header = append(tab.Header, t("events.group."+g))
	}
	tab.Header = append(tab.Header, t("events.field.total"), t("events.field.outcome"), t("events.field.photos"))
	for _, e := range list {
		row := []any{e.StartsAt.In(vietnam).Format("02/01/2006 15:04"), t("events.kind." + string(e.Kind)), e.Title, e.Owner(),
			t("events.level." + string(e.Level)), e.Place, e.Host}
		for _, g := range Groups {
			row = append(row, e.Participants.Of(g))
		}
		tab.Rows = append(tab.Rows, append(row, e.ParticipantsTotal, e.Outcome, len(e.Photos)))
	}
	return sheet.WriteXLSX(w, tab)
}
