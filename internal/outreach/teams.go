package outreach

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// Team is a Tổ Công nghệ số cộng đồng at district, commune or village level; on the two-tier map
// of 2025 a commune hangs directly under its province, and nothing here assumes a district.
type Team struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	Level    string `json:"level"`
	UnitPath string `json:"unit_path"`
	// UnitRetired is set for a team whose unit left the map and was not merged into one successor
	// (a split unit): it stays there until the province assigns the split unit.
	UnitRetired bool         `json:"unit_retired,omitempty"`
	Members     []TeamMember `json:"members,omitempty"`
	Count       int          `json:"member_count"`
}

// TeamMember is a member of a team; Leader marks the team leader (tổ trưởng).
type TeamMember struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Leader   bool   `json:"leader"`
}

// CreateTeam creates a team on a district, commune or village the actor administers.
func (s *Service) CreateTeam(ctx context.Context, t Team) (Team, error) {
	actor := authz.ActorFrom(ctx)
	t.Name = strings.Join(strings.Fields(t.Name), " ")
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 150 {
		return Team{}, apperr.InvalidField("name", "outreach.error.team_name")
	}
	u, err := s.unit(ctx, t.UnitCode)
	if err != nil {
		return Team{}, apperr.InvalidField("unit_code", "units.error.not_found", t.UnitCode)
	}
	if u.Level == "province" {
		return Team{}, apperr.InvalidField("unit_code", "outreach.error.team_level")
	}
	if u.retired() {
		return Team{}, apperr.InvalidField("unit_code", "outreach.error.unit_retired", u.Name)
	}
	if !actor.AdministersUnit(u.Path) {
		return Team{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		t.ID, err = tx.InsertID(ctx, "INSERT INTO outreach_teams (name, unit_code, unit_path, level, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
			t.Name, u.Code, u.Path, u.Level, db.Millis(s.Now()))
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "outreach.error.team_exists", t.Name)
		}
		if err != nil {
			return apperr.Wrap(err, "insert team")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.team.create", ObjectType: "outreach_team", ObjectID: strconv.FormatInt(t.ID, 10), UnitPath: u.Path, Detail: t.Name})
	})
	if err != nil {
		return Team{}, err
	}
	return s.FindTeam(ctx, t.ID)
}

// teamScope is where the actor reads teams: the units they administer, a member's own area, every
// province for a national administrator.
func teamScope(a *authz.Actor) authz.Scope {
	return a.ScopeOf(authz.ProvinceAdmin, authz.UnitAdmin, authz.TeamMember)
}

// ListTeams lists the teams in the actor's area (administered units, or a member's own area), under
// unitCode when given.
func (s *Service) ListTeams(ctx context.Context, unitCode string) ([]Team, error) {
	where, args, err := s.teamsIn(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	// A team names the unit version it lies in by path (a code can name two versions).
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT t.id, t.name, t.unit_code, COALESCE(u.name, ''), t.level, t.unit_path, COALESCE(u.valid_to, ''),
		(SELECT COUNT(*) FROM outreach_team_members m WHERE m.team_id = t.id)
		FROM outreach_teams t LEFT JOIN units u ON u.path = t.unit_path WHERE `+where+" ORDER BY t.unit_path, t.name LIMIT 5000", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list teams")
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		var validTo string
		if err := rows.Scan(&t.ID, &t.Name, &t.UnitCode, &t.UnitName, &t.Level, &t.UnitPath, &validTo, &t.Count); err != nil {
			return nil, apperr.Wrap(err, "scan team")
		}
		t.UnitRetired = validTo != ""
		out = append(out, t)
	}
	return out, rows.Err()
}

// CountTeams counts the teams ListTeams would list, all of them (the listing stops at 5,000, and a
// province of the national profile has 5,208); withMembers counts only those with a member.
func (s *Service) CountTeams(ctx context.Context, unitCode string, withMembers bool) (int, error) {
	where, args, err := s.teamsIn(ctx, unitCode)
	if err != nil {
		return 0, err
	}
	if withMembers {
		where += " AND EXISTS (SELECT 1 FROM outreach_team_members m WHERE m.team_id = t.id)"
	}
	var n int
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_teams t WHERE "+where, args...).Scan(&n)
	return n, apperr.Wrap(err, "count teams")
}

// teamsIn is the condition on outreach_teams t of the teams in the actor's area, under unitCode
// when given.
func (s *Service) teamsIn(ctx context.Context, unitCode string) (string, []any, error) {
	scope := teamScope(authz.ActorFrom(ctx))
	if scope.Empty() {
		return "", nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	cond := scope.Units("t.unit_path")
	where, args := cond.SQL, cond.Args
	if unitCode != "" {
		u, err := s.unit(ctx, unitCode)
		if err != nil {
			return "", nil, err
		}
		where += " AND t.unit_path LIKE ?"
		args = append(args, u.Path+"%")
	}
	return where, args, nil
}

// FindTeam returns a team with its members, if it lies in the actor's area.
func (s *Service) FindTeam(ctx context.Context, id int64) (Team, error) {
	return s.findTeam(ctx, s.DB.Reader(), id)
}

func (s *Service) findTeam(ctx context.Context, q db.Querier, id int64) (Team, error) {
	var t Team
	var validTo string
	err := q.QueryRowContext(ctx, `SELECT t.id, t.name, t.unit_code, COALESCE(u.name, ''), t.level, t.unit_path, COALESCE(u.valid_to, '') FROM outreach_teams t
		LEFT JOIN units u ON u.path = t.unit_path WHERE t.id = ?`, id).Scan(&t.ID, &t.Name, &t.UnitCode, &t.UnitName, &t.Level, &t.UnitPath, &validTo)
	t.UnitRetired = validTo != ""
	if errors.Is(err, sql.ErrNoRows) {
		return Team{}, apperr.New(apperr.NotFound, "outreach.error.team_not_found")
	}
	if err == nil && !teamScope(authz.ActorFrom(ctx)).HasUnit(t.UnitPath) {
		return Team{}, apperr.Hidden("outreach.error.team_not_found")
	}
	if err != nil {
		return Team{}, apperr.Wrap(err, "find team")
	}
	rows, err := q.QueryContext(ctx, `SELECT m.user_id, us.username, us.display_name, m.leader FROM outreach_team_members m JOIN users us ON us.id = m.user_id
		WHERE m.team_id = ? ORDER BY m.leader DESC, us.display_name, us.username`, id)
	if err != nil {
		return Team{}, apperr.Wrap(err, "team members")
	}
	defer rows.Close()
	for rows.Next() {
		var m TeamMember
		var leader int
		if err := rows.Scan(&m.UserID, &m.Username, &m.Name, &leader); err != nil {
			return Team{}, apperr.Wrap(err, "scan member")
		}
		m.Leader = leader == 1
		t.Members = append(t.Members, m)
	}
	t.Count = len(t.Members)
	return t, rows.Err()
}

// AddMember puts an existing user in a team, giving them the team_member role on the team's unit
// when they do not hold it there yet. A person may be in several teams.
func (s *Service) AddMember(ctx context.Context, teamID int64, username string, leader bool) (Team, error) {
	actor := authz.ActorFrom(ctx)
	t, err := s.FindTeam(ctx, teamID)
	if err != nil {
		return Team{}, err
	}
	if !actor.AdministersUnit(t.UnitPath) {
		return Team{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if t.UnitRetired {
		return Team{}, apperr.New(apperr.Conflict, "outreach.error.team_unit_retired", t.UnitName)
	}
	u, err := s.Accounts.FindByUsername(ctx, accounts.NormalizeUsername(username))
	if err != nil {
		return Team{}, apperr.InvalidField("username", "outreach.error.user_unknown", username)
	}
	if err := s.ensureMemberGrant(ctx, u, t); err != nil {
		return Team{}, err
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error { return s.linkMember(ctx, tx, t, u.ID, leader) })
	if err != nil {
		return Team{}, err
	}
	return s.FindTeam(ctx, teamID)
}

func (s *Service) ensureMemberGrant(ctx context.Context, u accounts.User, t Team) error {
	for _, g := range u.Grants {
		if g.Role == authz.TeamMember && g.UnitPath == t.UnitPath {
			return nil
		}
	}
	_, err := s.Accounts.AddGrant(ctx, u.ID, authz.TeamMember, t.UnitCode, 0)
	if apperr.Is(err, apperr.Conflict) {
		return nil
	}
	return err
}

func (s *Service) linkMember(ctx context.Context, tx *db.Tx, t Team, userID int64, leader bool) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO outreach_team_members (team_id, user_id, leader, added_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (team_id, user_id) DO UPDATE SET leader = excluded.leader`, t.ID, userID, boolInt(leader), db.Millis(s.Now())); err != nil {
		return apperr.Wrap(err, "add member")
	}
	detail := "user=" + strconv.FormatInt(userID, 10)
	if leader {
		detail += " leader"
	}
	return audit.Record(ctx, tx, audit.Entry{Action: "outreach.team.member", ObjectType: "outreach_team", ObjectID: strconv.FormatInt(t.ID, 10), UnitPath: t.UnitPath, Detail: detail})
}

// RemoveMember takes a user out of a team; their grant and their records stay.
func (s *Service) RemoveMember(ctx context.Context, teamID, userID int64) error {
	t, err := s.FindTeam(ctx, teamID)
	if err != nil {
		return err
	}
	if !authz.ActorFrom(ctx).AdministersUnit(t.UnitPath) {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM outreach_team_members WHERE team_id = ? AND user_id = ?", teamID, userID)
		if err != nil {
			return apperr.Wrap(err, "remove member")
		}
		if affected(res) == 0 {
			return apperr.New(apperr.NotFound, "outreach.error.member_not_found")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "outreach.team.remove", ObjectType: "outreach_team", ObjectID: strconv.FormatInt(teamID, 10), UnitPath: t.UnitPath,
			Detail: "user=" + strconv.FormatInt(userID, 10)})
	})
}

// RosterRow is one member line of an imported roster.
type RosterRow struct {
	Line     int    `json:"line"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Leader   bool   `json:"leader"`
	// Password is the one-time password of an account the import created, for the printed list:
	// empty for a linked account and for one whose password went to its phone (SentBy).
	Password string `json:"password,omitempty"`
	Created  bool   `json:"created"`
	// Phone is the member's phone, masked (Decree 13: lists show no whole number); SentBy the
	// channel the one-time password went through ("sms", "zalo"), when it went to the phone.
	Phone   string         `json:"phone,omitempty"`
	SentBy  notify.Channel `json:"sent_by,omitempty"`
	phone   string
	channel notify.Channel
}

// RosterResult is what an import did.
type RosterResult struct {
	Team    Team        `json:"team"`
	Rows    []RosterRow `json:"rows"`
	Created int         `json:"created"`
	Linked  int         `json:"linked"`
	// Sent counts the new members whose one-time password went to their phone.
	Sent int `json:"sent"`
}

// rosterColumns maps accepted header spellings (folded) to fields.
var rosterColumns = map[string]string{
	"username": "username", "tai khoan": "username", "ten dang nhap": "username",
	"name": "name", "ho ten": "name", "ho va ten": "name", "display_name": "name",
	"email": "email", "thu dien tu": "email",
	"leader": "leader", "to truong": "leader", "truong to": "leader",
	"phone": "phone", "so dien thoai": "phone", "sdt": "phone", "dien thoai": "phone",
	"channel": "channel", "nhan qua": "channel", "kenh": "channel", "kenh nhan": "channel",
}

// RosterColumns is the roster template's header, in its order.
var RosterColumns = []string{"tai_khoan", "ho_ten", "email", "to_truong", "so_dien_thoai", "nhan_qua"}

// RosterTemplate is the documented roster template (xlsx or CSV) with two example lines: one
// member whose one-time password goes by SMS, one by Zalo.
func RosterTemplate(format string) ([]byte, error) {
	t := sheet.Table{Name: "Danh sách Tổ CNSCĐ", Header: RosterColumns, Rows: [][]any{
		{"nguyen.van.an", "Nguyễn Văn An", "", "x", "0905123123", "sms"},
		{"tran.thi.binh", "Trần Thị Bình", "", "", "0398765432", "zalo"},
		{"le.van.cuong", "Lê Văn Cường", "", "", "", ""},
	}}
	var buf bytes.Buffer
	var err error
	if format == "xlsx" {
		err = sheet.WriteXLSX(&buf, t)
	} else {
		err = sheet.WriteCSV(&buf, t)
	}
	return buf.Bytes(), err
}

// ImportRoster reads a roster (xlsx or CSV: tài khoản, họ tên, email, tổ trưởng, số điện thoại,
// nhận qua) into a team. The whole file is checked first and any bad line refuses the import with a
// message per line; then unknown usernames become accounts (created through accounts.CreateUser with
// the importer as actor) and every line is linked to the team. A new member with a phone gets the
// one-time password by SMS or Zalo through the outbox; the others' passwords are returned once,
// for the printed list. A phone on a member already registered is added to their account when the
// importer manages it and it has no other.
func (s *Service) ImportRoster(ctx context.Context, teamID int64, r io.Reader) (RosterResult, error) {
	actor := authz.ActorFrom(ctx)
	t, err := s.FindTeam(ctx, teamID)
	if err != nil {
		return RosterResult{}, err
	}
	if !actor.AdministersUnit(t.UnitPath) {
		return RosterResult{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if t.UnitRetired {
		return RosterResult{}, apperr.New(apperr.Conflict, "outreach.error.team_unit_retired", t.UnitName)
	}
	if r == nil { // no file sent: said after the access check, which comes first
		return RosterResult{}, apperr.InvalidField("file", "import.error.no_file")
	}
	header, rows, err := sheet.ReadTable(r, sheet.DefaultLimits)
	if err != nil {
		return RosterResult{}, apperr.New(apperr.Invalid, "outreach.error.roster_file", err.Error())
	}
	col := map[string]int{}
	for i, h := range header {
		if f, ok := rosterColumns[strings.ReplaceAll(textfold.Fold(h), "_", " ")]; ok {
			col[f] = i
		} else if f, ok := rosterColumns[textfold.Fold(h)]; ok {
			col[f] = i
		}
	}
	if _, ok := col["username"]; !ok || len(rows) == 0 {
		return RosterResult{}, apperr.New(apperr.Invalid, "outreach.error.roster_header")
	}
	get := func(row []string, f string) string {
		if i, ok := col[f]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var res RosterResult
	var details []apperr.Detail
	seen := map[string]int{}
	phones := map[string]int{}
	existing := map[string]accounts.User{}
	for _, row := range rows {
		rr := RosterRow{Line: row.Line, Username: accounts.NormalizeUsername(get(row.Fields, "username")), Name: strings.Join(strings.Fields(get(row.Fields, "name")), " "),
			Email: get(row.Fields, "email")}
		if rr.phone, err = accounts.NormalizePhone("phone", get(row.Fields, "phone")); err == nil {
			rr.channel, err = accounts.ParsePhoneChannel("channel", get(row.Fields, "channel"))
		}
		if err != nil {
			ae := apperr.As(err)
			details = append(details, apperr.Detail{Line: row.Line, Field: ae.Field, Key: ae.Key, Args: ae.Args})
			continue
		}
		if prev, dup := phones[rr.phone]; dup && rr.phone != "" {
			details = append(details, apperr.Detail{Line: row.Line, Field: "phone", Key: "outreach.error.roster_phone_duplicate", Args: []any{prev}})
			continue
		}
		if rr.phone != "" {
			phones[rr.phone] = row.Line
			rr.Phone = accounts.MaskPhone(rr.phone)
		}
		switch strings.ToLower(textfold.Fold(get(row.Fields, "leader"))) {
		case "", "0", "khong", "no":
		case "x", "1", "co", "yes", "true", "to truong":
			rr.Leader = true
		default:
			details = append(details, apperr.Detail{Line: row.Line, Field: "leader", Key: "outreach.error.roster_leader"})
			continue
		}
		if prev, dup := seen[rr.Username]; dup && rr.Username != "" {
			details = append(details, apperr.Detail{Line: row.Line, Field: "username", Key: "outreach.error.roster_duplicate", Args: []any{prev}})
			continue
		}
		seen[rr.Username] = row.Line
		if u, err := s.Accounts.FindByUsername(ctx, rr.Username); err == nil {
			if rr.phone != "" {
				if err := s.Accounts.CheckPhone(ctx, u.ID, rr.phone, "phone"); err != nil {
					ae := apperr.As(err)
					if ae.Kind == apperr.Internal {
						return RosterResult{}, err
					}
					details = append(details, apperr.Detail{Line: row.Line, Field: ae.Field, Key: ae.Key, Args: ae.Args})
					continue
				}
			}
			existing[rr.Username] = u
			res.Rows = append(res.Rows, rr)
			continue
		}
		if rr.phone != "" {
			taken, err := s.Accounts.PhoneTaken(ctx, []string{rr.phone})
			if err != nil {
				return RosterResult{}, err
			}
			if taken[rr.phone] {
				details = append(details, apperr.Detail{Line: row.Line, Field: "phone", Key: "accounts.error.phone_taken", Args: []any{rr.Phone}})
				continue
			}
		}
		n := accounts.NewUser{Username: rr.Username, DisplayName: rr.Name, Email: rr.Email, Password: "placeholder-password-1", Role: authz.TeamMember, UnitCode: t.UnitCode}
		if err := n.Validate(); err != nil {
			ae := apperr.As(err)
			details = append(details, apperr.Detail{Line: row.Line, Field: ae.Field, Key: ae.Key, Args: ae.Args})
			continue
		}
		if rr.Name == "" {
			details = append(details, apperr.Detail{Line: row.Line, Field: "name", Key: "outreach.error.roster_name"})
			continue
		}
		rr.Created = true
		res.Rows = append(res.Rows, rr)
	}
	if len(details) > 0 {
		e := apperr.New(apperr.Invalid, "outreach.error.roster_lines", len(details))
		e.Details = details
		return RosterResult{}, e
	}
	for i := range res.Rows {
		rr := &res.Rows[i]
		var u accounts.User
		if rr.Created {
			rr.Password = onetimePassword()
			u, err = s.Accounts.CreateUser(ctx, accounts.NewUser{Username: rr.Username, DisplayName: rr.Name, Email: rr.Email, Password: rr.Password,
				Role: authz.TeamMember, UnitCode: t.UnitCode, MustChangePassword: true, Phone: rr.phone, PhoneChannel: rr.channel})
			if err != nil {
				ae := apperr.As(err)
				e := apperr.New(apperr.Invalid, "outreach.error.roster_lines", 1)
				e.Details = []apperr.Detail{{Line: rr.Line, Field: ae.Field, Key: ae.Key, Args: ae.Args}}
				return res, e
			}
			res.Created++
			if rr.phone != "" && s.Accounts.SendsMessages() {
				// The password went to the phone with the account (queued in its transaction): it
				// is not printed.
				rr.Password, rr.SentBy = "", rr.channel
				res.Sent++
			}
		} else {
			u = existing[rr.Username]
			if err := s.ensureMemberGrant(ctx, u, t); err != nil {
				return res, err
			}
			if rr.phone != "" {
				if err := s.Accounts.SetPhone(ctx, u.ID, rr.phone, rr.channel, "phone"); err != nil {
					return res, err
				}
			}
			res.Linked++
		}
		existing[rr.Username] = u
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		for _, rr := range res.Rows {
			if err := s.linkMember(ctx, tx, t, existing[rr.Username].ID, rr.Leader); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Team, err = s.FindTeam(ctx, teamID)
	return res, err
}

// onetimePassword makes a readable 16-character password for a new member's first login.
func onetimePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:8]) + "-" + string(b[8:12]) + "-" + string(b[12:])
}
