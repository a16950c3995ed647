// Package ceremony runs the launch ceremony of the digital transformation movement (Lễ phát động):
// one hybrid event whose main site is the provincial IOC and whose bridge points (điểm cầu) are
// every district and commune of the unit tree. It owns the ceremony and its programme, the bridge
// points with their readiness checklist and attendance, the delegates and their invitations, and
// the launch: one moment, decided once in the database, shown on every screen at the same instant
// through live events (internal/platform/events).
package ceremony

import (
	"embed"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the ceremony module's schema (after units and accounts).
var Migrations = db.MigrationSet{Module: "ceremony", FS: migrations}

// VietnamTime is UTC+7; Vietnam has no daylight saving.
var VietnamTime = time.FixedZone("ICT", 7*3600)

// Timing rules of the launch.
const (
	// LaunchDelay is how far ahead of the press the launch moment is scheduled, so that every
	// screen receives it before it happens and counts down together.
	LaunchDelay = 5 * time.Second
	// WindowBefore is how long before starts_at the launch button works.
	WindowBefore = 30 * time.Minute
	// LostAfter is how long without a heartbeat makes an on-air point "lost".
	LostAfter = 60 * time.Second
	// HeartbeatEvery is how often a screen page reports that it is alive.
	HeartbeatEvery = 10 * time.Second
	// heartbeatPublishEvery limits the live events heartbeats cause: a point's heartbeat is
	// broadcast when the previous broadcast one is older than this.
	heartbeatPublishEvery = 20 * time.Second
)

// Limits on text fields, in characters.
const (
	MaxTitle = 300
	MaxText  = 500
	MaxLink  = 1000
	MaxSteps = 20
	// MaxMCLines and MaxNotes bound a step's MC lines (lời dẫn) and notes; MaxDuration its
	// planned duration in minutes.
	MaxMCLines  = 4000
	MaxNotes    = 2000
	MaxDuration = 600
)

// Status is where a ceremony stands besides its launch (which stays derived from launch_at).
type Status string

// The statuses of a ceremony: scheduled (the usual one), cancelled (it will not take place: it
// cannot be launched or edited), archived (kept for the record: read-only, left out of current
// lists and of the public portal).
const (
	Scheduled Status = "scheduled"
	Cancelled Status = "cancelled"
	Archived  Status = "archived"
)

// Ceremony is one launch ceremony.
type Ceremony struct {
	ID int64 `json:"id"`
	// Province is the GSO code of the province that holds the ceremony: its bridge points come from
	// that province's tree, and only its administrators run it.
	Province   string    `json:"province_code"`
	Title      string    `json:"title"`
	StartsAt   time.Time `json:"starts_at"`
	Venue      string    `json:"venue"`
	VCProvider string    `json:"vc_provider"`
	RoomLink   string    `json:"room_link"`
	// LivestreamURL is the public livestream (any video platform), shown on the public portal.
	LivestreamURL string `json:"livestream_url"`
	// CurrentStep is the position (1-based) of the programme step under way; 0 before it starts.
	CurrentStep int    `json:"current_step"`
	Steps       []Step `json:"steps"`
	// Status is scheduled, cancelled or archived.
	Status Status `json:"status"`
	// LaunchAt is the launch moment; zero until the button is pressed.
	LaunchAt  time.Time `json:"launch_at,omitzero"`
	LeaderIDs []int64   `json:"leader_ids"`
	CreatedAt time.Time `json:"created_at"`
	// HostPath is the unit path of the host of a hosted ceremony, a district's or a commune's live
	// screen for its own launch event; "" for the province's own ceremony. HostOrgPath is the host
	// organisation's path when an organisation hosts it (HostPath is then the unit it lies in), and
	// EventID the launch event the ceremony serves (0 for none).
	HostPath    string `json:"host_path,omitempty"`
	HostOrgPath string `json:"host_org_path,omitempty"`
	EventID     int64  `json:"event_id,omitempty"`
}

// Hosted tells whether the ceremony is hosted below the province (a launch event's live screen):
// hosted ceremonies are never the province's ceremony (its public page, its campaign, its reports).
func (c Ceremony) Hosted() bool { return c.HostPath != "" }

// OrgHosted tells whether an organisation hosts the ceremony: it has its main site only, no
// bridge points (an organisation has no unit tree below it).
func (c Ceremony) OrgHosted() bool { return c.HostOrgPath != "" }

// Launched tells whether the launch button has been pressed.
func (c Ceremony) Launched() bool { return !c.LaunchAt.IsZero() }

// Step is one item of the programme.
type Step struct {
	Position  int       `json:"position"`
	Title     string    `json:"title"`
	PlannedAt time.Time `json:"planned_at,omitzero"`
	// Speaker is who speaks or acts in the step ("Đồng chí Chủ tịch UBND tỉnh").
	Speaker string `json:"speaker"`
	// DurationMin is the planned duration in minutes; 0 when not planned.
	DurationMin int `json:"duration_min"`
	// MCLines are the MC's lines (lời dẫn) for the step; Notes are the organisers' notes.
	MCLines string `json:"mc_lines"`
	Notes   string `json:"notes"`
}

// sameAs tells whether two steps say the same thing (positions aside).
func (s Step) sameAs(o Step) bool {
	return s.Title == o.Title && s.PlannedAt.Equal(o.PlannedAt) && s.Speaker == o.Speaker && s.DurationMin == o.DurationMin &&
		s.MCLines == o.MCLines && s.Notes == o.Notes
}

// clean trims the step's texts as they are stored: the title and speaker on one line, the MC lines
// and notes keep their line breaks.
func (s Step) clean() Step {
	s.Title = strings.Join(strings.Fields(s.Title), " ")
	s.Speaker = strings.Join(strings.Fields(s.Speaker), " ")
	s.MCLines = strings.TrimSpace(strings.ReplaceAll(s.MCLines, "\r\n", "\n"))
	s.Notes = strings.TrimSpace(strings.ReplaceAll(s.Notes, "\r\n", "\n"))
	return s
}

// DefaultSteps is the programme of the plan (section II.5.a).
var DefaultSteps = []string{
	"Tuyên bố lý do và giới thiệu đại biểu",
	"Thông qua Chương trình Lễ phát động phong trào",
	"Lãnh đạo UBND tỉnh phát biểu phát động Phong trào chuyển đổi số",
	"Nghi lễ nhấn nút phát động phong trào",
	"Kết thúc Lễ phát động phong trào",
}

// LaunchStep is the position of the button ceremony in the default programme.
const LaunchStep = 4

// Window is when the launch button works: from WindowBefore before the start to the end of the
// start's day, Vietnam time.
func (c Ceremony) Window() (from, to time.Time) {
	local := c.StartsAt.In(VietnamTime)
	y, m, d := local.Date()
	return c.StartsAt.Add(-WindowBefore), time.Date(y, m, d+1, 0, 0, 0, 0, VietnamTime)
}

// Validate checks a ceremony's own fields.
func (c Ceremony) Validate() error {
	if t := strings.TrimSpace(c.Title); t == "" {
		return apperr.InvalidField("title", "ceremony.error.title_required")
	} else if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTitle {
		return apperr.InvalidField("title", "ceremony.error.too_long", MaxTitle)
	}
	if c.StartsAt.IsZero() {
		return apperr.InvalidField("starts_at", "ceremony.error.starts_at")
	}
	if y := c.StartsAt.Year(); y < 2000 || y > 2100 {
		return apperr.InvalidField("starts_at", "ceremony.error.starts_at")
	}
	for field, v := range map[string]string{"venue": c.Venue, "vc_provider": c.VCProvider} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
			return apperr.InvalidField(field, "ceremony.error.too_long", MaxText)
		}
	}
	if err := validLink("room_link", c.RoomLink); err != nil {
		return err
	}
	if err := validLink("livestream_url", c.LivestreamURL); err != nil {
		return err
	}
	return validSteps(c.Steps)
}

func validSteps(steps []Step) error {
	if len(steps) == 0 || len(steps) > MaxSteps {
		return apperr.InvalidField("steps", "ceremony.error.steps_count", MaxSteps)
	}
	for i, s := range steps {
		t := strings.TrimSpace(s.Title)
		if t == "" {
			return apperr.InvalidField("steps", "ceremony.error.step_title")
		}
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTitle {
			return apperr.InvalidField("steps", "ceremony.error.too_long", MaxTitle)
		}
		for _, f := range []struct {
			name, v string
			max     int
		}{{"speaker", s.Speaker, MaxText}, {"mc_lines", s.MCLines, MaxMCLines}, {"notes", s.Notes, MaxNotes}} {
			if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
				return apperr.InvalidField(f.name, "ceremony.error.step_too_long", i+1, f.max)
			}
		}
		if s.DurationMin < 0 || s.DurationMin > MaxDuration {
			return apperr.InvalidField("duration_min", "ceremony.error.step_duration", i+1, MaxDuration)
		}
	}
	return nil
}

// validLink accepts an empty link or an http(s) URL: the video-conference room of any provider.
func validLink(field, link string) error {
	if link == "" {
		return nil
	}
	if len(link) > MaxLink {
		return apperr.InvalidField(field, "ceremony.error.too_long", MaxLink)
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return apperr.InvalidField(field, "ceremony.error.link")
	}
	return nil
}

// Level is the kind of a bridge point.
type Level string

// The levels of bridge points.
const (
	Main     Level = "main"
	District Level = "district"
	Commune  Level = "commune"
)

// State is a bridge point's readiness as the control room shows it.
type State string

// The states of a bridge point.
const (
	NotReady State = "not_ready"
	Ready    State = "ready"
	OnAir    State = "on_air"
	Lost     State = "lost"
)

// Checklist is the technical checklist an operator works through.
type Checklist struct {
	Line       bool `json:"line"`
	Camera     bool `json:"camera"`
	Microphone bool `json:"microphone"`
	Screen     bool `json:"screen"`
	Sound      bool `json:"sound"`
	Rehearsal  bool `json:"rehearsal"`
}

// ChecklistItems names the items in order (their message keys are ceremony.check.<name>).
var ChecklistItems = []string{"line", "camera", "microphone", "screen", "sound", "rehearsal"}

// Complete tells whether every item is ticked.
func (c Checklist) Complete() bool {
	return c.Line && c.Camera && c.Microphone && c.Screen && c.Sound && c.Rehearsal
}

// Item reads one item by name.
func (c Checklist) Item(name string) bool {
	switch name {
	case "line":
		return c.Line
	case "camera":
		return c.Camera
	case "microphone":
		return c.Microphone
	case "screen":
		return c.Screen
	case "sound":
		return c.Sound
	case "rehearsal":
		return c.Rehearsal
	}
	return false
}

// Done counts the ticked items.
func (c Checklist) Done() int {
	n := 0
	for _, it := range ChecklistItems {
		if c.Item(it) {
			n++
		}
	}
	return n
}

// Groups are the delegate groups of each level, from the plan's composition (section II.6 a–c);
// their labels are the message keys ceremony.group.<key>.
var Groups = map[Level][]string{
	Main:     {"province_leaders", "steering_committee", "department_heads", "union_leaders"},
	District: {"district_leaders", "district_departments", "youth_union", "district_team"},
	Commune:  {"commune_leaders", "commune_officials", "commune_team"},
}

// validGroup tells whether key is a delegate group of level.
func validGroup(level Level, key string) bool {
	for _, g := range Groups[level] {
		if g == key {
			return true
		}
	}
	return false
}

// Attendance is one delegate group's expected and confirmed numbers at a point.
type Attendance struct {
	Group    string `json:"group"`
	Expected int    `json:"expected"`
	Actual   int    `json:"actual"`
}

// MaxAttendance bounds one group's numbers at one point.
const MaxAttendance = 10000

// Point is one bridge point (điểm cầu).
type Point struct {
	ID           int64     `json:"id"`
	CeremonyID   int64     `json:"ceremony_id"`
	UnitCode     string    `json:"unit_code"`
	UnitPath     string    `json:"-"`
	DistrictCode string    `json:"district_code,omitempty"`
	Level        Level     `json:"level"`
	Name         string    `json:"name"`
	Address      string    `json:"address"`
	RoomLink     string    `json:"room_link"`
	ContactName  string    `json:"contact_name"`
	ContactPhone string    `json:"contact_phone"`
	Checklist    Checklist `json:"checklist"`
	OnAir        bool      `json:"on_air"`
	// LastHeartbeat is when the point's screen last reported; zero when never.
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
	// LastChasedAt is when an administrator last sent the point a reminder; zero when never.
	LastChasedAt time.Time    `json:"last_chased_at,omitzero"`
	Retired      bool         `json:"retired"`
	Attendance   []Attendance `json:"attendance"`
	// State is derived at read time from the checklist, on-air flag and heartbeat.
	State State `json:"state"`
}

// StateAt derives the point's state at now: an on-air point whose screen has gone silent for
// LostAfter is lost.
func (p Point) StateAt(now time.Time) State {
	switch {
	case p.OnAir && now.Sub(p.LastHeartbeat) > LostAfter:
		return Lost
	case p.OnAir:
		return OnAir
	case p.Checklist.Complete():
		return Ready
	default:
		return NotReady
	}
}

// ExpectedTotal and ActualTotal sum the attendance.
func (p Point) ExpectedTotal() (n int) {
	for _, a := range p.Attendance {
		n += a.Expected
	}
	return n
}

// ActualTotal sums the confirmed attendance.
func (p Point) ActualTotal() (n int) {
	for _, a := range p.Attendance {
		n += a.Actual
	}
	return n
}

// PointDetails are the fields of a point its people fill in.
type PointDetails struct {
	Address      string         `json:"address"`
	RoomLink     string         `json:"room_link"`
	ContactName  string         `json:"contact_name"`
	ContactPhone string         `json:"contact_phone"`
	Expected     map[string]int `json:"expected"`
}

// Validate checks the details against the point's level.
func (d PointDetails) Validate(level Level) error {
	for field, v := range map[string]string{"address": d.Address, "contact_name": d.ContactName} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
			return apperr.InvalidField(field, "ceremony.error.too_long", MaxText)
		}
	}
	if err := validPhone(d.ContactPhone); err != nil {
		return err
	}
	if err := validLink("room_link", d.RoomLink); err != nil {
		return err
	}
	return validCounts("expected", level, d.Expected)
}

func validPhone(p string) error {
	if len(p) > 20 {
		return apperr.InvalidField("contact_phone", "ceremony.error.phone")
	}
	for _, r := range p {
		if !strings.ContainsRune("0123456789+ .-()", r) {
			return apperr.InvalidField("contact_phone", "ceremony.error.phone")
		}
	}
	return nil
}

func validCounts(field string, level Level, m map[string]int) error {
	for k, n := range m {
		if !validGroup(level, k) {
			return apperr.InvalidField(field, "ceremony.error.group", k)
		}
		if n < 0 || n > MaxAttendance {
			return apperr.InvalidField(field, "ceremony.error.count", MaxAttendance)
		}
	}
	return nil
}

// Rehearsal is a technical rehearsal the province schedules.
type Rehearsal struct {
	ID       int64     `json:"id"`
	StartsAt time.Time `json:"starts_at"`
	Note     string    `json:"note"`
}

// Delegate is one invited person.
type Delegate struct {
	ID           int64     `json:"id"`
	CeremonyID   int64     `json:"ceremony_id"`
	PointID      int64     `json:"point_id"`
	FullName     string    `json:"full_name"`
	Position     string    `json:"position"`
	Organisation string    `json:"organisation"`
	Group        string    `json:"group"`
	Phone        string    `json:"phone"`
	Token        string    `json:"-"`
	CheckedInAt  time.Time `json:"checked_in_at,omitzero"`
	// The invitation that goes out (invitations.go): its contact and channel, its number and the
	// answer to it.
	Email            string    `json:"email,omitempty"`
	Channel          string    `json:"channel,omitempty"`
	InvitationNo     int       `json:"invitation_no,omitempty"`
	InvitationSeries string    `json:"invitation_series,omitempty"`
	InvitationYear   int       `json:"invitation_year,omitempty"`
	InvitedAt        time.Time `json:"invited_at,omitzero"`
	Sends            int       `json:"sends,omitempty"`
	RSVP             RSVP      `json:"rsvp"`
	RSVPAt           time.Time `json:"rsvp_at,omitzero"`
	DeputyName       string    `json:"deputy_name,omitempty"`
	DeputyPosition   string    `json:"deputy_position,omitempty"`
}

// Validate checks a delegate's fields against the point's level.
func (d Delegate) Validate(level Level) error {
	if strings.TrimSpace(d.FullName) == "" {
		return apperr.InvalidField("full_name", "ceremony.error.name_required")
	}
	for field, v := range map[string]string{"full_name": d.FullName, "position": d.Position, "organisation": d.Organisation} {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
			return apperr.InvalidField(field, "ceremony.error.too_long", MaxText)
		}
	}
	if !validGroup(level, d.Group) {
		return apperr.InvalidField("group", "ceremony.error.group", d.Group)
	}
	if err := validPhone(d.Phone); err != nil {
		return apperr.InvalidField("phone", "ceremony.error.phone")
	}
	return nil
}
