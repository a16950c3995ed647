// Package events records the launch events held at every level after the province's ceremony
// (plan II.5b, IV.4, IV.6, IV.9): a department's, a union's or a commune's follow-on launch
// ("phát động hưởng ứng"), the youth union's "ra quân", a community "ngày hội". An event has a date,
// a place, a host, the people who took part by group, an outcome note and photos, which are stored
// through the portal's image handling and linked here.
//
// Scope is the two trees, as for the communication items: an event hangs on a unit (a province,
// district or commune: its administrators create and edit it) or on an organisation (its
// administrators, and those of the unit it lies in). Everyone administering a subtree reads the
// events in it, so the levels above see the events below them; other provinces never do, and an
// event outside the actor's scope reads as not found. The portal shows every event of its province
// on its public calendar: events are public by nature (they are reported in the press).
package events

import (
	"embed"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the launch events module's schema. The module is named "launch_events": "events" is
// the live event log's (platform/events).
var Migrations = db.MigrationSet{Module: "launch_events", FS: migrations}

// Kind is what sort of event it is.
type Kind string

// The kinds the plan names.
const (
	FollowOn     Kind = "huong_ung"     // lễ phát động hưởng ứng: a unit's or organisation's own launch
	YouthLaunch  Kind = "ra_quan"       // lễ ra quân: the youth union's volunteers set out
	CommunityDay Kind = "community_day" // ngày hội chuyển đổi số: a day of guidance for the people
)

// Kinds lists every kind in display order.
var Kinds = []Kind{FollowOn, YouthLaunch, CommunityDay}

// Valid tells whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Level is the level that held an event: the host unit's level, or "org" for an organisation.
type Level string

// The levels events are counted by.
const (
	ProvinceLevel Level = "province"
	DistrictLevel Level = "district"
	CommuneLevel  Level = "commune"
	OrgLevel      Level = "org"
)

// Levels lists every level, from the top.
var Levels = []Level{ProvinceLevel, DistrictLevel, CommuneLevel, OrgLevel}

// Participants counts the people who took part, by group. The groups are the plan's: officials
// (cán bộ, công chức, viên chức), youth union members (đoàn viên, hội viên), pupils and students,
// and the people (người dân). No one is named: an event records counts only.
type Participants struct {
	Officials    int64 `json:"officials"`
	YouthMembers int64 `json:"youth_members"`
	Pupils       int64 `json:"pupils"`
	Citizens     int64 `json:"citizens"`
}

// Groups are the participant groups in display order, as the keys of Participants' JSON.
var Groups = []string{"officials", "youth_members", "pupils", "citizens"}

// Total is everyone who took part.
func (p Participants) Total() int64 { return p.Officials + p.YouthMembers + p.Pupils + p.Citizens }

// Of returns the count of a group named as in Groups.
func (p Participants) Of(group string) int64 {
	switch group {
	case "officials":
		return p.Officials
	case "youth_members":
		return p.YouthMembers
	case "pupils":
		return p.Pupils
	case "citizens":
		return p.Citizens
	}
	return 0
}

func (p *Participants) add(o Participants) {
	p.Officials += o.Officials
	p.YouthMembers += o.YouthMembers
	p.Pupils += o.Pupils
	p.Citizens += o.Citizens
}

// Photo is a picture of an event, served by the portal at URL.
type Photo struct {
	ImageID int64  `json:"image_id"`
	URL     string `json:"url"`
}

// Event is one launch event.
type Event struct {
	ID       int64  `json:"id"`
	Kind     Kind   `json:"kind"`
	Title    string `json:"title"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	OrgID    int64  `json:"org_id,omitempty"`
	OrgName  string `json:"org_name,omitempty"`
	Level    Level  `json:"level"`
	// Province is the tenant that owns the event, derived from the host unit, never taken from input.
	Province     string       `json:"province_code"`
	StartsAt     time.Time    `json:"starts_at"`
	Place        string       `json:"place"`
	Host         string       `json:"host,omitempty"`
	Outcome      string       `json:"outcome,omitempty"`
	Participants Participants `json:"participants"`
	// ParticipantsTotal is Participants.Total, for clients that do not add.
	ParticipantsTotal int64     `json:"participants_total"`
	Photos            []Photo   `json:"photos"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	// UnitPath and OrgPath place the event in the trees.
	UnitPath string `json:"-"`
	OrgPath  string `json:"-"`
}

// Owner names who holds the event: the organisation, else the unit.
func (e Event) Owner() string {
	if e.OrgName != "" {
		return e.OrgName
	}
	return e.UnitName
}

// Past tells whether the event started before now.
func (e Event) Past(now time.Time) bool { return e.StartsAt.Before(now) }

// Limits of an event's fields, in characters, and of its counts and photos.
const (
	MaxTitle       = 200
	MaxPlace       = 300
	MaxHost        = 300
	MaxOutcome     = 4000
	MaxGroupCount  = 1_000_000
	MaxPhotos      = 12
	earliestYear   = 2020
	latestYearsOut = 2
)

// Input is what a person gives to create or edit an event. StartsAt is RFC 3339 ("2026-12-10T08:00:00+07:00")
// or a local date and time in Vietnam ("2026-12-10T08:00", as a form's datetime-local sends it).
// The owner (UnitCode or OrgID, one of them) is fixed at creation: an edit leaves it.
type Input struct {
	Title        string       `json:"title"`
	Kind         Kind         `json:"kind"`
	UnitCode     string       `json:"unit_code,omitempty"`
	OrgID        int64        `json:"org_id,omitempty"`
	StartsAt     string       `json:"starts_at"`
	Place        string       `json:"place"`
	Host         string       `json:"host,omitempty"`
	Outcome      string       `json:"outcome,omitempty"`
	Participants Participants `json:"participants"`
}

var vietnam = time.FixedZone("ICT", 7*3600)

// ParseStart reads an event's start as Input.StartsAt allows.
func ParseStart(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// oneLine folds runs of white space, line breaks included, into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clean checks the fields that need no database and returns the start; creating checks the owner
// too.
func (in *Input) clean(now time.Time, creating bool) (time.Time, error) {
	in.Title, in.Place, in.Host = oneLine(in.Title), oneLine(in.Place), oneLine(in.Host)
	in.Outcome = strings.TrimSpace(strings.ReplaceAll(in.Outcome, "\r\n", "\n"))
	in.UnitCode = strings.TrimSpace(in.UnitCode)
	for _, f := range []struct{ name, value string }{{"title", in.Title}, {"place", in.Place}, {"host", in.Host}, {"outcome", in.Outcome}} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0) {
			return time.Time{}, apperr.InvalidField(f.name, "events.error.text")
		}
	}
	if creating && (in.UnitCode == "") == (in.OrgID == 0) {
		return time.Time{}, apperr.InvalidField("unit_code", "events.error.owner")
	}
	if !in.Kind.Valid() {
		return time.Time{}, apperr.InvalidField("kind", "events.error.kind")
	}
	if in.Title == "" {
		return time.Time{}, apperr.InvalidField("title", "events.error.title_required")
	}
	if n := utf8.RuneCountInString(in.Title); n > MaxTitle {
		return time.Time{}, apperr.InvalidField("title", "events.error.too_long", MaxTitle, n)
	}
	start, ok := ParseStart(in.StartsAt)
	if !ok {
		return time.Time{}, apperr.InvalidField("starts_at", "events.error.starts_at")
	}
	if y := start.In(vietnam).Year(); y < earliestYear || start.After(now.AddDate(latestYearsOut, 0, 0)) {
		return time.Time{}, apperr.InvalidField("starts_at", "events.error.starts_at_range", earliestYear, latestYearsOut)
	}
	if in.Place == "" {
		return time.Time{}, apperr.InvalidField("place", "events.error.place_required")
	}
	if n := utf8.RuneCountInString(in.Place); n > MaxPlace {
		return time.Time{}, apperr.InvalidField("place", "events.error.too_long", MaxPlace, n)
	}
	if n := utf8.RuneCountInString(in.Host); n > MaxHost {
		return time.Time{}, apperr.InvalidField("host", "events.error.too_long", MaxHost, n)
	}
	if n := utf8.RuneCountInString(in.Outcome); n > MaxOutcome {
		return time.Time{}, apperr.InvalidField("outcome", "events.error.too_long", MaxOutcome, n)
	}
	for _, g := range Groups {
		if c := in.Participants.Of(g); c < 0 || c > MaxGroupCount {
			return time.Time{}, apperr.InvalidField("participants."+g, "events.error.participants", MaxGroupCount)
		}
	}
	return start, nil
}
