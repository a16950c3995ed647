package portal

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

// MediaChannel is the kind of communication a unit or organisation recorded.
type MediaChannel string

// The channels of communication the plan asks for.
const (
	Article   MediaChannel = "article"   // bài báo, tin bài
	Broadcast MediaChannel = "broadcast" // phát thanh, truyền hình, loa truyền thanh
	Banner    MediaChannel = "banner"    // băng rôn, pa-nô, khẩu hiệu
	Social    MediaChannel = "social"    // bài đăng mạng xã hội, Zalo, fanpage
	OtherItem MediaChannel = "other"
)

// MediaChannels lists every channel in display order.
var MediaChannels = []MediaChannel{Article, Broadcast, Banner, Social, OtherItem}

// Valid tells whether c is a known channel.
func (c MediaChannel) Valid() bool {
	for _, x := range MediaChannels {
		if x == c {
			return true
		}
	}
	return false
}

// MediaItem is one piece of communication about the movement.
type MediaItem struct {
	ID          int64        `json:"id"`
	UnitCode    string       `json:"unit_code,omitempty"`
	UnitName    string       `json:"unit_name,omitempty"`
	OrgID       int64        `json:"org_id,omitempty"`
	OrgName     string       `json:"org_name,omitempty"`
	Channel     MediaChannel `json:"channel"`
	Title       string       `json:"title"`
	Link        string       `json:"link,omitempty"`
	PublishedOn string       `json:"published_on"` // YYYY-MM-DD
	// Province is the province of the unit (or of the organisation's unit): the tenant that owns
	// the item. It is derived, never taken from input.
	Province  string    `json:"province_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the fields that need no database.
func (m *MediaItem) Validate(today string) error {
	m.Title = strings.Join(strings.Fields(m.Title), " ")
	m.Link = strings.TrimSpace(m.Link)
	if (m.UnitCode == "") == (m.OrgID == 0) {
		return apperr.InvalidField("unit_code", "portal.error.media_owner")
	}
	if !m.Channel.Valid() {
		return apperr.InvalidField("channel", "portal.error.media_channel")
	}
	if m.Title == "" || utf8.RuneCountInString(m.Title) > 300 {
		return apperr.InvalidField("title", "portal.error.media_title")
	}
	if m.Link != "" && (len(m.Link) > 1000 || !(strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://")) || strings.ContainsAny(m.Link, " \r\n\"<>")) {
		return apperr.InvalidField("link", "portal.error.media_link")
	}
	d, err := time.Parse("2006-01-02", m.PublishedOn)
	if err != nil || d.Year() < 2020 || m.PublishedOn > today {
		return apperr.InvalidField("published_on", "portal.error.media_date")
	}
	return nil
}

// RecordMedia stores a piece of communication for a unit the actor administers or an
// organisation they administer.
func (s *Service) RecordMedia(ctx context.Context, m MediaItem) (MediaItem, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return MediaItem{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	now := s.Now()
	if err := m.Validate(now.In(vietnam).Format("2006-01-02")); err != nil {
		return MediaItem{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var unitPath, orgPath, orgUnitPath string
		if m.UnitCode != "" {
			if err := tx.QueryRowContext(ctx, "SELECT path, name FROM units WHERE code = ? AND valid_to = ''", m.UnitCode).Scan(&unitPath, &m.UnitName); err != nil {
				return apperr.InvalidField("unit_code", "units.error.not_found", m.UnitCode)
			}
			if !actor.AdministersUnit(unitPath) {
				return apperr.New(apperr.Forbidden, "error.forbidden")
			}
		} else {
			var validTo string
			if err := tx.QueryRowContext(ctx, "SELECT path, unit_path, name, valid_to FROM orgs WHERE id = ?", m.OrgID).Scan(&orgPath, &orgUnitPath, &m.OrgName, &validTo); err != nil {
				return apperr.InvalidField("org_id", "orgs.error.not_found", m.OrgID)
			}
			if validTo != "" {
				// A merged organisation records nothing new: its successor does.
				return apperr.InvalidField("org_id", "orgs.error.retired", m.OrgName)
			}
			if !actor.AdministersOrg(orgPath, orgUnitPath) {
				return apperr.New(apperr.Forbidden, "error.forbidden")
			}
			unitPath = orgUnitPath
		}
		m.Province = authz.ProvinceOfPath(unitPath)
		var err error
		m.ID, err = tx.InsertID(ctx, `INSERT INTO portal_media_items (unit_code, org_id, unit_path, org_path, channel, title, link, published_on, province_code, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, db.NullString(m.UnitCode), db.NullInt(m.OrgID), unitPath, orgPath,
			string(m.Channel), m.Title, m.Link, m.PublishedOn, m.Province, db.NullInt(actor.UserID), db.Millis(now))
		if err != nil {
			return apperr.Wrap(err, "insert media item")
		}
		m.CreatedAt = now
		return audit.Record(ctx, tx, audit.Entry{Action: "portal.media.record", ObjectType: "media_item", ObjectID: strconv.FormatInt(m.ID, 10),
			UnitPath: unitPath, Detail: string(m.Channel) + " " + m.Title})
	})
	return m, err
}

var vietnam = time.FixedZone("ICT", 7*3600)

// MediaFilter narrows communication items and counts. From and To are dates (YYYY-MM-DD,
// inclusive; empty means open). Scope follows the actor: what they administer (a province
// administrator their province, a unit or organisation administrator their subtree); a national
// administrator reads every province. Province narrows to one province ("" keeps the scope).
type MediaFilter struct {
	From, To string
	Channel  MediaChannel
	Province string
	// View is "now" ("" too: an item counts under the unit in force its unit rolls up to and the
	// organisation its organisation merged into) or "was" (where it was recorded). The actor's
	// scope and Province apply where the item counts today, so that today's administrators read
	// their units' and organisations' history.
	View  string
	Limit int
}

// mediaItems is portal_media_items (alias m) with unit_path and org_path where each item counts
// today, and was_unit_path, was_org_path where it was recorded.
var mediaItems = `(SELECT x.id, x.unit_code, x.org_id, x.channel, x.title, x.link, x.published_on, x.province_code, x.created_at,
	x.unit_path AS was_unit_path, x.org_path AS was_org_path, ` + units.PathNow("x.unit_path") + ` AS unit_path,
	CASE WHEN x.org_path = '' THEN '' ELSE ` + orgs.PathNow("x.org_path") + ` END AS org_path
	FROM portal_media_items x) m`

func (f MediaFilter) where(actor *authz.Actor) (string, []any, error) {
	if actor == nil {
		return "", nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	// An item recorded for a unit carries the unit's path; one recorded for an organisation its
	// path and the path of the unit it lies in: the scope's organisation condition covers both.
	scope := actor.AdminScope().Orgs("m.org_path", "m.unit_path")
	if scope.Empty() {
		return "", nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	conds, args := scope.And(nil, nil)
	for _, d := range []string{f.From, f.To} {
		if d != "" {
			if _, err := time.Parse("2006-01-02", d); err != nil {
				return "", nil, apperr.InvalidField("from", "portal.error.media_date")
			}
		}
	}
	if f.View != "" && f.View != "now" && f.View != "was" {
		return "", nil, apperr.InvalidField("view", "portal.error.media_view")
	}
	if f.Province != "" {
		conds = append(conds, "m.unit_path LIKE ?")
		args = append(args, authz.ProvincePath(f.Province)+"%")
	}
	if f.From != "" {
		conds = append(conds, "m.published_on >= ?")
		args = append(args, f.From)
	}
	if f.To != "" {
		conds = append(conds, "m.published_on <= ?")
		args = append(args, f.To)
	}
	if f.Channel != "" {
		conds = append(conds, "m.channel = ?")
		args = append(args, string(f.Channel))
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// ListMedia returns recorded items, newest first.
func (s *Service) ListMedia(ctx context.Context, f MediaFilter) ([]MediaItem, error) {
	where, args, err := f.where(authz.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 200
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT m.id, COALESCE(m.unit_code, ''), COALESCE(u.name, ''), COALESCE(m.org_id, 0), COALESCE(o.name, ''),
		m.channel, m.title, m.link, m.published_on, m.province_code, m.created_at
		FROM `+mediaItems+` LEFT JOIN units u ON m.unit_code IS NOT NULL AND u.path = m.was_unit_path LEFT JOIN orgs o ON o.id = m.org_id`+where+
		" ORDER BY m.published_on DESC, m.id DESC LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, apperr.Wrap(err, "list media")
	}
	defer rows.Close()
	var out []MediaItem
	for rows.Next() {
		var m MediaItem
		var created int64
		if err := rows.Scan(&m.ID, &m.UnitCode, &m.UnitName, &m.OrgID, &m.OrgName, &m.Channel, &m.Title, &m.Link, &m.PublishedOn, &m.Province, &created); err != nil {
			return nil, apperr.Wrap(err, "scan media")
		}
		m.CreatedAt = db.FromMillis(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MediaCount is how many items one unit or organisation recorded, per channel.
type MediaCount struct {
	UnitCode  string                 `json:"unit_code,omitempty"`
	OrgID     int64                  `json:"org_id,omitempty"`
	Name      string                 `json:"name"`
	ByChannel map[MediaChannel]int64 `json:"by_channel"`
	Total     int64                  `json:"total"`
}

// MediaCounts counts communication by unit or organisation and channel, within the actor's scope
// and f's dates. The reports module calls it for its dashboards; the rows come sorted by total,
// largest first.
func (s *Service) MediaCounts(ctx context.Context, f MediaFilter) ([]MediaCount, error) {
	where, args, err := f.where(authz.ActorFrom(ctx))
	if err != nil {
		return nil, err
	}
	// Rows are the unit or organisation an item counts under in the view: today's (a merged
	// department's items under its successor) or the one it was recorded by.
	unitKey, orgKey := "m.unit_path", "m.org_path"
	if f.View == "was" {
		unitKey, orgKey = "m.was_unit_path", "m.was_org_path"
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT COALESCE(u.code, ''), COALESCE(o.id, 0), COALESCE(u.name, o.name, ''), m.channel, COUNT(*)
		FROM `+mediaItems+` LEFT JOIN units u ON m.unit_code IS NOT NULL AND u.path = `+unitKey+` LEFT JOIN orgs o ON m.org_id IS NOT NULL AND o.path = `+orgKey+where+`
		GROUP BY u.code, o.id, u.name, o.name, m.channel`, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "count media")
	}
	defer rows.Close()
	idx := map[string]int{}
	var out []MediaCount
	for rows.Next() {
		var c MediaCount
		var ch MediaChannel
		var n int64
		if err := rows.Scan(&c.UnitCode, &c.OrgID, &c.Name, &ch, &n); err != nil {
			return nil, apperr.Wrap(err, "scan media count")
		}
		key := c.UnitCode + "|" + strconv.FormatInt(c.OrgID, 10)
		i, ok := idx[key]
		if !ok {
			c.ByChannel = map[MediaChannel]int64{}
			out = append(out, c)
			i = len(out) - 1
			idx[key] = i
		}
		out[i].ByChannel[ch] += n
		out[i].Total += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortCounts(out)
	return out, nil
}

func sortCounts(c []MediaCount) {
	slices.SortFunc(c, func(a, b MediaCount) int {
		if a.Total != b.Total {
			return cmp.Compare(b.Total, a.Total)
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// ChannelCounts counts the communication recorded for the units under unitPath (by the units
// themselves and by the organisations based there), published on or before asOf (Vietnam date),
// by channel; every channel is present. These are aggregate figures for the reports and
// dashboards: no actor is needed and no item is shown.
func (s *Service) ChannelCounts(ctx context.Context, unitPath string, asOf time.Time) (map[MediaChannel]int64, error) {
	out := make(map[MediaChannel]int64, len(MediaChannels))
	for _, c := range MediaChannels {
		out[c] = 0
	}
	day := asOf.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT channel, COUNT(*) FROM portal_media_items x WHERE "+units.PathNow("x.unit_path")+" LIKE ? AND published_on <= ? GROUP BY channel", unitPath+"%", day)
	if err != nil {
		return nil, apperr.Wrap(err, "count media by channel")
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return nil, apperr.Wrap(err, "scan media count")
		}
		out[MediaChannel(c)] = n
	}
	return out, rows.Err()
}
