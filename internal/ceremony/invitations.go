package ceremony

// Invitations that go out (issue 19, item 3): delegates imported in bulk, invitations numbered in
// the issuing office's series ("Số: 12/GM-UBND"), sent through the outbox by e-mail, SMS or Zalo,
// and answered through an RSVP link that needs no account.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/platform/textfold"
	"github.com/lantoa/lantoa/internal/platform/vnphone"
)

// RSVP is a delegate's answer to the invitation.
type RSVP string

// The answers. A delegate who has not answered has "".
const (
	RSVPNone    RSVP = ""
	RSVPAttend  RSVP = "attend"  // xác nhận tham dự
	RSVPDeputy  RSVP = "deputy"  // cử người dự thay
	RSVPDecline RSVP = "decline" // từ chối
)

// RSVPs lists the answers a delegate may give, in the order the page shows them.
var RSVPs = []RSVP{RSVPAttend, RSVPDeputy, RSVPDecline}

// Key is the answer's i18n key ("ceremony.rsvp.status.none" before an answer).
func (r RSVP) Key() string {
	if r == RSVPNone {
		return "ceremony.rsvp.status.none"
	}
	return "ceremony.rsvp.status." + string(r)
}

// The channels an invitation goes by.
const (
	ChannelEmail = string(notify.Email)
	ChannelSMS   = string(notify.SMS)
	ChannelZalo  = string(notify.Zalo)
)

// DefaultInvitationSeries is the series of the office of the People's Committee, the issuer of
// the province's ceremony invitations.
const DefaultInvitationSeries = "GM-UBND"

// seriesRe is a series as Decree 30 writes a document's symbol after its number: the document's
// kind and the issuer's abbreviation, in capitals, joined by dashes ("GM-UBND", "GM-STTTT").
var seriesRe = regexp.MustCompile(`^[A-ZĐ0-9]{1,10}(-[A-ZĐ0-9]{1,12}){0,3}$`)

// Number is the invitation's number as the letter prints it ("12/GM-UBND"), "" before one is given.
func (d Delegate) Number() string {
	if d.InvitationNo == 0 {
		return ""
	}
	return strconv.Itoa(d.InvitationNo) + "/" + d.InvitationSeries
}

// MaskedPhone is the phone as lists show it (Decree 13): 0905***123.
func (d Delegate) MaskedPhone() string { return vnphone.Mask(d.Phone) }

// Contact is where the invitation goes on its channel ("" when the delegate has none there).
func (d Delegate) Contact() string {
	switch d.Channel {
	case ChannelEmail:
		return d.Email
	case ChannelSMS, ChannelZalo:
		if p, ok := vnphone.Normalize(d.Phone); ok {
			return p
		}
	}
	return ""
}

// contact normalises a delegate's e-mail, phone and channel, as a form or an import gives them. An
// empty channel is e-mail when there is an address, else SMS when there is a mobile number. An
// import (strict) takes mobile numbers only; a form also keeps a landline, which the SMS and Zalo
// channels cannot use. It returns the field at fault and the message's key.
func contact(d *Delegate, strict bool) (field, key string) {
	d.Email = strings.ToLower(strings.TrimSpace(d.Email))
	d.Phone = strings.TrimSpace(d.Phone)
	d.Channel = strings.ToLower(strings.TrimSpace(d.Channel))
	if d.Email != "" {
		a, err := mail.ParseAddress(d.Email)
		if err != nil || a.Address != d.Email || a.Name != "" || len(d.Email) > notify.MaxRecipientLen || strings.ContainsAny(d.Email, " <>,;\"'") {
			return "email", "ceremony.error.email"
		}
	}
	mobile := false
	if d.Phone != "" {
		p, ok := vnphone.Normalize(d.Phone)
		switch {
		case ok:
			d.Phone, mobile = p, true
		case strict:
			return "phone", "ceremony.error.mobile"
		}
	}
	switch d.Channel {
	case "e-mail", "mail", "thư điện tử":
		d.Channel = ChannelEmail
	case "":
		switch {
		case d.Email != "":
			d.Channel = ChannelEmail
		case mobile:
			d.Channel = ChannelSMS
		}
	}
	switch d.Channel {
	case "":
	case ChannelEmail:
		if d.Email == "" {
			return "email", "ceremony.error.email_required"
		}
	case ChannelSMS, ChannelZalo:
		if !mobile {
			return "phone", "ceremony.error.phone_required"
		}
	default:
		return "channel", "ceremony.error.channel"
	}
	return "", ""
}

// validContact checks a delegate's contact for a form, as an apperr on the field.
func validContact(d *Delegate) error {
	if field, key := contact(d, false); key != "" {
		return apperr.InvalidField(field, key)
	}
	return nil
}

// ——— Import ———

// MaxImportBytes bounds an imported delegate list.
const MaxImportBytes = 2 << 20

const maxImportErrors = 200

// DelegateTemplateHeader is the header of the delegate list's template.
var DelegateTemplateHeader = []string{"STT", "Họ tên", "Chức vụ", "Đơn vị/Cơ quan", "E-mail", "Điện thoại", "Kênh (email/sms/zalo)", "Nhóm"}

// Import columns.
const (
	icolName = iota
	icolPosition
	icolOrganisation
	icolEmail
	icolPhone
	icolChannel
	icolGroup
	nImportCols
	icolIgnore = -2
)

// importColumn names the column a header cell holds by its folded words; -1 is unknown, icolIgnore
// a column the list may have and the import does not keep (the line number, notes).
func importColumn(h string) int {
	f := textfold.Fold(strings.TrimPrefix(h, "\ufeff"))
	f = strings.NewReplacer("_", " ", ".", " ", ":", " ").Replace(f)
	f = strings.Join(strings.Fields(f), " ")
	switch {
	case f == "stt" || f == "tt" || f == "so tt" || f == "no" || strings.HasPrefix(f, "ghi chu") || f == "note" || f == "notes":
		return icolIgnore
	case f == "ho ten" || f == "ho va ten" || f == "full name" || f == "name" || f == "ten":
		return icolName
	case f == "chuc vu" || f == "position" || f == "chuc danh":
		return icolPosition
	case strings.HasPrefix(f, "don vi") || strings.HasPrefix(f, "co quan") || f == "organisation" || f == "organization":
		return icolOrganisation
	case f == "e-mail" || f == "email" || f == "thu dien tu" || f == "dia chi e-mail" || f == "dia chi email":
		return icolEmail
	case f == "dien thoai" || f == "so dien thoai" || f == "phone" || f == "dtdd" || f == "di dong":
		return icolPhone
	case strings.HasPrefix(f, "kenh") || f == "channel":
		return icolChannel
	case f == "nhom" || f == "nhom dai bieu" || f == "group":
		return icolGroup
	}
	return -1
}

// DelegateTemplate returns the import template as xlsx (or CSV), with two example lines.
func DelegateTemplate(format string) ([]byte, error) {
	t := sheet.Table{Name: "Đại biểu", Header: DelegateTemplateHeader, Rows: [][]any{
		{1, "Nguyễn Văn An", "Giám đốc", "Sở Thông tin và Truyền thông", "nvan@quangngai.gov.vn", "0905 123 456", "email", ""},
		{2, "Trần Thị Bình", "Phó Chủ tịch", "UBND huyện Ba Tơ", "", "0912 345 678", "sms", ""},
	}}
	var buf bytes.Buffer
	if format == "csv" {
		err := sheet.WriteCSV(&buf, t)
		return buf.Bytes(), err
	}
	err := sheet.WriteXLSX(&buf, t)
	return buf.Bytes(), err
}

// ImportResult tells what an import added.
type ImportResult struct {
	Added int `json:"added"`
}

// groupOf reads a group cell: a group's key or its name in T; blank is the level's first group.
func groupOf(level Level, v string, T i18n.Translator) (string, bool) {
	gs := Groups[level]
	if v == "" {
		if len(gs) == 0 {
			return "", false
		}
		return gs[0], true
	}
	f := textfold.Fold(v)
	for _, g := range gs {
		if v == g || (T != nil && textfold.Fold(T("ceremony.group."+g)) == f) {
			return g, true
		}
	}
	return "", false
}

// ImportDelegates reads a delegate list (xlsx or CSV) into point pid. The whole file is checked
// first: unknown columns, a line without a name, a malformed e-mail or mobile number, a channel
// without its contact, an unknown group, the same person twice in the file or already invited to
// the ceremony (by e-mail or phone; at the point by name and organisation), and more delegates than
// a point holds, are each named by line and nothing is written. T names the groups in the
// reader's language (nil: keys only).
func (s *Service) ImportDelegates(ctx context.Context, id, pid int64, r io.Reader, T i18n.Translator) (ImportResult, error) {
	a := authz.ActorFrom(ctx)
	c, err := s.find(ctx, s.DB.Reader(), id)
	if err != nil {
		return ImportResult{}, err
	}
	p, err := s.loadPoint(ctx, s.DB.Reader(), id, pid)
	if err != nil {
		return ImportResult{}, err
	}
	if !MayTouch(a, p) {
		return ImportResult{}, refuseTouch(a, "ceremony.error.point_not_found")
	}
	// An archived ceremony is read-only. A cancelled one may still take delegates: it may be
	// reinstated, and nothing is sent while it stays cancelled (send).
	if c.Status == Archived {
		return ImportResult{}, apperr.New(apperr.Conflict, "ceremony.error.archived")
	}
	if p.Retired {
		return ImportResult{}, apperr.New(apperr.Conflict, "ceremony.error.point_retired")
	}
	if r == nil {
		return ImportResult{}, apperr.InvalidField("file", "import.error.no_file")
	}
	lim := sheet.DefaultLimits
	lim.MaxBytes, lim.MaxRows = MaxImportBytes, MaxDelegatesPerPoint
	header, rows, err := sheet.ReadTable(r, lim)
	switch {
	case errors.Is(err, sheet.ErrTooLarge):
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.too_large", MaxImportBytes>>20)
	case errors.Is(err, sheet.ErrTooManyRows):
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.too_many", MaxDelegatesPerPoint)
	case err != nil:
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.format")
	}
	if header == nil || len(rows) == 0 {
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.empty")
	}
	var at [nImportCols]int
	for i := range at {
		at[i] = -1
	}
	var unknown []string
	for i, h := range header {
		c := importColumn(h)
		switch {
		case c == icolIgnore:
		case c < 0:
			if strings.TrimSpace(h) != "" {
				unknown = append(unknown, strings.TrimSpace(h))
			}
		case at[c] >= 0:
			return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.header_twice", strings.TrimSpace(header[at[c]]), strings.TrimSpace(h))
		default:
			at[c] = i
		}
	}
	if len(unknown) > 0 {
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.header_unknown", strings.Join(unknown, ", "), strings.Join(DelegateTemplateHeader, ", "))
	}
	if at[icolName] < 0 {
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.header_name", strings.Join(DelegateTemplateHeader, ", "))
	}
	existing, err := s.Delegates(ctx, id, pid)
	if err != nil {
		return ImportResult{}, err
	}
	if len(existing)+len(rows) > MaxDelegatesPerPoint {
		return ImportResult{}, apperr.New(apperr.Invalid, "ceremony.import.too_many_point", len(rows), len(existing), MaxDelegatesPerPoint)
	}
	taken, err := s.ceremonyContacts(ctx, s.DB.Reader(), id)
	if err != nil {
		return ImportResult{}, err
	}
	atPoint := map[string]bool{}
	for _, d := range existing {
		atPoint[personKey(d)] = true
	}
	var bad []apperr.Detail
	fail := func(line int, key string, args ...any) {
		if len(bad) < maxImportErrors {
			bad = append(bad, apperr.Detail{Line: line, Key: key, Args: args})
		}
	}
	cell := func(f []string, c int) string {
		if at[c] < 0 || at[c] >= len(f) {
			return ""
		}
		return strings.TrimSpace(f[at[c]])
	}
	seen := map[string]int{}
	var good []Delegate
	for _, row := range rows {
		d := Delegate{FullName: strings.Join(strings.Fields(cell(row.Fields, icolName)), " "), Position: cell(row.Fields, icolPosition),
			Organisation: cell(row.Fields, icolOrganisation), Email: cell(row.Fields, icolEmail), Phone: cell(row.Fields, icolPhone), Channel: cell(row.Fields, icolChannel)}
		if d.FullName == "" {
			fail(row.Line, "ceremony.import.name_missing")
			continue
		}
		long := false
		for _, v := range []string{d.FullName, d.Position, d.Organisation} {
			if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
				long = true
			}
		}
		if long {
			fail(row.Line, "ceremony.import.too_long", MaxText)
			continue
		}
		rawEmail, rawPhone := d.Email, d.Phone
		if _, key := contact(&d, true); key != "" {
			switch key {
			case "ceremony.error.email":
				fail(row.Line, "ceremony.import.email", rawEmail)
			case "ceremony.error.mobile":
				fail(row.Line, "ceremony.import.phone", rawPhone)
			case "ceremony.error.channel":
				fail(row.Line, "ceremony.import.channel", d.Channel)
			default:
				fail(row.Line, "ceremony.import.contact_missing", d.Channel)
			}
			continue
		}
		g, ok := groupOf(p.Level, cell(row.Fields, icolGroup), T)
		if !ok {
			fail(row.Line, "ceremony.import.group", cell(row.Fields, icolGroup))
			continue
		}
		d.Group = g
		dup := false
		for _, k := range contactKeys(d) {
			if n, ok := seen[k]; ok {
				fail(row.Line, "ceremony.import.duplicate_in_file", n)
				dup = true
				break
			}
			if taken[k] {
				fail(row.Line, "ceremony.import.duplicate_existing", strings.TrimPrefix(strings.TrimPrefix(k, "e:"), "p:"))
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		pk := personKey(d)
		if n, ok := seen[pk]; ok {
			fail(row.Line, "ceremony.import.duplicate_in_file", n)
			continue
		}
		if atPoint[pk] {
			fail(row.Line, "ceremony.import.duplicate_existing", d.FullName)
			continue
		}
		for _, k := range append(contactKeys(d), pk) {
			seen[k] = row.Line
		}
		good = append(good, d)
	}
	if len(bad) > 0 {
		e := apperr.New(apperr.Invalid, "ceremony.import.rejected", len(bad))
		e.Details = bad
		return ImportResult{}, e
	}
	now := db.Millis(s.Now())
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		// Checked again inside the transaction: another import or form may have invited one of them.
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ceremony_delegates WHERE point_id = ?", pid).Scan(&n); err != nil {
			return apperr.Wrap(err, "count delegates")
		}
		if n+len(good) > MaxDelegatesPerPoint {
			return apperr.New(apperr.Invalid, "ceremony.import.too_many_point", len(good), n, MaxDelegatesPerPoint)
		}
		again, err := s.ceremonyContacts(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, d := range good {
			for _, k := range contactKeys(d) {
				if again[k] {
					return apperr.New(apperr.Conflict, "ceremony.import.raced")
				}
			}
		}
		for _, d := range good {
			var tok [16]byte
			if _, err := rand.Read(tok[:]); err != nil {
				return apperr.Wrap(err, "token")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ceremony_delegates (ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, created_at, email, channel)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, pid, d.FullName, d.Position, d.Organisation, d.Group, d.Phone, hex.EncodeToString(tok[:]), now, d.Email, d.Channel); err != nil {
				return apperr.Wrap(err, "insert delegate")
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.delegates_import", ObjectType: "bridge_point", ObjectID: strconv.FormatInt(pid, 10),
			UnitPath: p.UnitPath, Detail: fmt.Sprintf("rows=%d", len(good))})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Added: len(good)}, nil
}

// contactKeys are the keys that make two delegates of a ceremony the same person: the e-mail
// address and the mobile number.
func contactKeys(d Delegate) []string {
	var out []string
	if d.Email != "" {
		out = append(out, "e:"+d.Email)
	}
	if p, ok := vnphone.Normalize(d.Phone); ok {
		out = append(out, "p:"+p)
	}
	return out
}

// personKey makes two delegates of one point the same person: the folded name and organisation.
func personKey(d Delegate) string {
	return "n:" + textfold.Fold(d.FullName) + "|" + textfold.Fold(d.Organisation)
}

// ceremonyContacts returns the contact keys of the ceremony's delegates.
func (s *Service) ceremonyContacts(ctx context.Context, q db.Querier, id int64) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT email, phone FROM ceremony_delegates WHERE ceremony_id = ?", id)
	if err != nil {
		return nil, apperr.Wrap(err, "delegate contacts")
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var d Delegate
		if err := rows.Scan(&d.Email, &d.Phone); err != nil {
			return nil, apperr.Wrap(err, "delegate contacts")
		}
		d.Email = strings.ToLower(d.Email)
		for _, k := range contactKeys(d) {
			out[k] = true
		}
	}
	return out, rows.Err()
}

// ——— The number series ———

// InvitationSeries is the series ceremony id's invitations are numbered in.
func (s *Service) InvitationSeries(ctx context.Context, id int64) (string, error) {
	if _, err := s.find(ctx, s.DB.Reader(), id); err != nil {
		return "", err
	}
	return s.series(ctx, s.DB.Reader(), id)
}

func (s *Service) series(ctx context.Context, q db.Querier, id int64) (string, error) {
	var v string
	if err := q.QueryRowContext(ctx, "SELECT invitation_series FROM ceremonies WHERE id = ?", id).Scan(&v); err != nil {
		return "", apperr.Wrap(err, "invitation series")
	}
	if v == "" {
		v = DefaultInvitationSeries
	}
	return v, nil
}

// SetInvitationSeries sets the series of the ceremony's invitations not numbered yet (the office
// that issues them: "GM-UBND", "GM-STTTT"); the numbers already given keep theirs. The province's
// administrators may.
func (s *Service) SetInvitationSeries(ctx context.Context, id int64, series string) (string, error) {
	series = strings.ToUpper(strings.TrimSpace(series))
	if !seriesRe.MatchString(series) {
		return "", apperr.InvalidField("series", "ceremony.error.series")
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		c, err := s.findToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE ceremonies SET invitation_series = ? WHERE id = ?", series, id); err != nil {
			return apperr.Wrap(err, "set series")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.invitation_series", ObjectType: "ceremony", ObjectID: strconv.FormatInt(id, 10),
			UnitPath: c.provincePath(), Detail: series})
	})
	return series, err
}

// allocateNumber gives delegate did the next number of the province's series for year, inside tx.
// The counter's row is locked by the upsert until tx ends (PostgreSQL) or the whole database is
// (SQLite's one writer), so two senders never get the same number; the numbers table's primary
// key holds even if the counter were set back.
func allocateNumber(ctx context.Context, tx *db.Tx, province, series string, year int, cid, did int64, now time.Time) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO ceremony_invitation_counters (province_code, series, year, last_no) VALUES (?, ?, ?, 1)
		ON CONFLICT (province_code, series, year) DO UPDATE SET last_no = ceremony_invitation_counters.last_no + 1 RETURNING last_no`,
		province, series, year).Scan(&n)
	if err != nil {
		return 0, apperr.Wrap(err, "allocate invitation number")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ceremony_invitation_numbers (province_code, series, year, number, ceremony_id, delegate_id, issued_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, province, series, year, n, cid, did, db.Millis(now)); err != nil {
		return 0, apperr.Wrap(err, "record invitation number")
	}
	return n, nil
}

// ——— Sending ———

// SendResult tells what a sending did.
type SendResult struct {
	// Sent counts the invitations queued; Numbered those that got their number now.
	Sent     int `json:"sent"`
	Numbered int `json:"numbered"`
	// NoContact counts the delegates with no contact on their channel, who were not sent.
	NoContact int `json:"no_contact"`
}

// MaySend tells whether the actor may send the invitations of point p: its unit's administrators
// and those above, who speak for the issuing office. Operators prepare the list only.
func MaySend(a *authz.Actor, p Point) bool { return a.AdministersUnit(p.UnitPath) }

// SendInvitations numbers and sends the invitations of point pid's delegates that were not sent
// yet, one message per delegate on their channel, through the outbox in the same transaction.
// base is the site's address for the links when the service has none configured.
func (s *Service) SendInvitations(ctx context.Context, id, pid int64, base string) (SendResult, error) {
	return s.send(ctx, id, pid, 0, base)
}

// ResendInvitation sends delegate did's invitation again: the same number, a new RSVP link (the
// old one stops working).
func (s *Service) ResendInvitation(ctx context.Context, id, did int64, base string) (SendResult, error) {
	d, _, err := s.findDelegate(ctx, s.DB.Reader(), id, "id = ?", did, false)
	if err != nil {
		return SendResult{}, err
	}
	return s.send(ctx, id, d.PointID, did, base)
}

func (s *Service) send(ctx context.Context, id, pid, only int64, base string) (SendResult, error) {
	a := authz.ActorFrom(ctx)
	if s.notify == nil {
		return SendResult{}, apperr.New(apperr.Conflict, "ceremony.error.no_outbox")
	}
	if s.baseURL != "" {
		base = s.baseURL
	}
	base = strings.TrimRight(base, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return SendResult{}, apperr.New(apperr.Conflict, "ceremony.error.no_base_url")
	}
	var res SendResult
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res = SendResult{}
		c, err := s.find(ctx, tx, id)
		if err != nil {
			return err
		}
		p, err := s.loadPoint(ctx, tx, id, pid)
		if err != nil {
			return err
		}
		if !MaySend(a, p) {
			if MayRead(a, p) {
				return forbidden()
			}
			return refuseTouch(a, "ceremony.error.point_not_found")
		}
		if p.Retired {
			return apperr.New(apperr.Conflict, "ceremony.error.point_retired")
		}
		switch c.Status {
		case Cancelled:
			return apperr.New(apperr.Conflict, "ceremony.error.invitations_cancelled")
		case Archived:
			return apperr.New(apperr.Conflict, "ceremony.error.invitations_archived")
		}
		now := s.Now()
		if !now.Before(c.StartsAt) {
			return apperr.New(apperr.Conflict, "ceremony.error.invitations_closed")
		}
		series, err := s.series(ctx, tx, id)
		if err != nil {
			return err
		}
		where, args := "point_id = ? AND sends = 0", []any{pid}
		if only != 0 {
			where, args = "point_id = ? AND id = ?", []any{pid, only}
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+delegateColumns+" FROM ceremony_delegates WHERE ceremony_id = ? AND "+where+" ORDER BY id", append([]any{id}, args...)...)
		if err != nil {
			return apperr.Wrap(err, "list delegates")
		}
		var list []Delegate
		for rows.Next() {
			d, err := scanDelegate(rows)
			if err != nil {
				rows.Close()
				return apperr.Wrap(err, "scan delegate")
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Wrap(err, "list delegates")
		}
		if only != 0 && len(list) == 0 {
			return apperr.New(apperr.NotFound, "ceremony.error.delegate_not_found")
		}
		province, err := s.Units.Find(ctx, c.Province)
		if err != nil {
			return err
		}
		_, kind := letterhead(province)
		year := now.In(VietnamTime).Year()
		for _, d := range list {
			to := d.Contact()
			if to == "" {
				res.NoContact++
				continue
			}
			if d.InvitationNo == 0 {
				n, err := allocateNumber(ctx, tx, c.Province, series, year, id, d.ID, now)
				if err != nil {
					return err
				}
				d.InvitationNo, d.InvitationSeries, d.InvitationYear = n, series, year
				res.Numbered++
			}
			token, hash, err := newRSVPToken()
			if err != nil {
				return err
			}
			d.Sends++
			if _, err := tx.ExecContext(ctx, `UPDATE ceremony_delegates SET invitation_no = ?, invitation_series = ?, invitation_year = ?, invited_at = ?, sends = ?, rsvp_hash = ?
				WHERE id = ?`, d.InvitationNo, d.InvitationSeries, d.InvitationYear, db.Millis(now), d.Sends, hash, d.ID); err != nil {
				return apperr.Wrap(err, "mark invitation sent")
			}
			if _, err := s.notify.Enqueue(ctx, tx, invitationMessage(c, p, d, kind, to, base, token)); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "ceremony.invitation_send", ObjectType: "delegate", ObjectID: strconv.FormatInt(d.ID, 10),
				UnitPath: p.UnitPath, Detail: fmt.Sprintf("%s %s send=%d", d.Number(), d.Channel, d.Sends)}); err != nil {
				return err
			}
			res.Sent++
		}
		return nil
	})
	return res, err
}

// RSVPURL is the address of a delegate's answer page.
func RSVPURL(base, token string) string { return strings.TrimRight(base, "/") + "/rsvp/" + token }

// invitationMessage is the message that carries delegate d's invitation on their channel: the
// e-mail has the letter's text, a link to the letter (PDF) and the RSVP link; an SMS or a Zalo
// message has a short text and the RSVP link.
func invitationMessage(c Ceremony, p Point, d Delegate, kind, to, base, token string) notify.Message {
	link := RSVPURL(base, token)
	start := c.StartsAt.In(VietnamTime)
	m := notify.Message{Kind: notify.CeremonyInvitation, Channel: notify.Channel(d.Channel), Recipient: to, Link: link, UnitPath: p.UnitPath,
		DedupeKey: fmt.Sprintf("ceremony_invitation:%d:%s:%d", d.ID, d.Channel, d.Sends)}
	where := c.Venue
	if p.Level != Main {
		where = "điểm cầu trực tuyến " + p.Name
		if p.Address != "" {
			where += " (" + p.Address + ")"
		}
	}
	if d.Channel == ChannelEmail {
		m.Subject = "Giấy mời số " + d.Number() + ": " + c.Title
		var b strings.Builder
		fmt.Fprintf(&b, "Số: %s\n\nKính gửi: %s\n\n", d.Number(), salutation(d))
		fmt.Fprintf(&b, "Văn phòng Ủy ban nhân dân %s trân trọng kính mời Ông/Bà tới dự %s.\n\n", kind, c.Title)
		fmt.Fprintf(&b, "Thời gian: %s, ngày %s.\n", start.Format("15 giờ 04"), start.Format("02/01/2006"))
		if where != "" {
			fmt.Fprintf(&b, "Địa điểm: %s.\n", where)
		}
		fmt.Fprintf(&b, "\nGiấy mời (PDF, có mã QR điểm danh): %s/invitation\n", link)
		fmt.Fprintf(&b, "\nĐề nghị Ông/Bà xác nhận tham dự, cử người dự thay hoặc báo vắng trước giờ khai mạc tại:\n%s\n", link)
		b.WriteString("\nMỗi giấy mời chỉ trả lời một lần. Rất mong Ông/Bà thu xếp thời gian tham dự./.\n")
		m.Body = b.String()
	} else {
		m.Body = fmt.Sprintf("UBND %s moi Ong/Ba du %s luc %s. Giay moi so %s. Xac nhan tham du: %s",
			asciiFold(kind), asciiFold(c.Title), start.Format("15:04 02/01/2006"), d.Number(), link)
	}
	return m
}

// newRSVPToken returns a random token for an RSVP link and its hash, the only form stored.
func newRSVPToken() (token, hash string, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", apperr.Wrap(err, "rsvp token")
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashRSVP(token), nil
}

func hashRSVP(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// rsvpTokenRe is the shape of a token newRSVPToken makes.
var rsvpTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

// ——— Answers ———

// Invitee is what the RSVP page shows to whoever holds the link: the delegate, the ceremony and
// the point; nothing else of the ceremony's.
type Invitee struct {
	D Delegate
	C Ceremony
	P Point
	// Closed tells that answers are no longer taken (the ceremony has begun, or was cancelled or
	// archived).
	Closed bool
	// Cancelled tells that the ceremony will not take place: cancelled, or archived after being
	// cancelled (archived before its start, never launched).
	Cancelled bool
}

// Answer is a delegate's answer through the RSVP link.
type Answer struct {
	RSVP           RSVP   `json:"rsvp"`
	DeputyName     string `json:"deputy_name"`
	DeputyPosition string `json:"deputy_position"`
}

// findInvitee loads the invitee of an RSVP token, without an actor: the link is the credential.
// An unknown or malformed token is not found.
func (s *Service) findInvitee(ctx context.Context, q db.Querier, token string) (Invitee, error) {
	if !rsvpTokenRe.MatchString(token) {
		return Invitee{}, apperr.New(apperr.NotFound, "ceremony.rsvp.unknown")
	}
	d, err := scanDelegate(q.QueryRowContext(ctx, "SELECT "+delegateColumns+" FROM ceremony_delegates WHERE rsvp_hash = ?", hashRSVP(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return Invitee{}, apperr.New(apperr.NotFound, "ceremony.rsvp.unknown")
	}
	if err != nil {
		return Invitee{}, apperr.Wrap(err, "find invitee")
	}
	c, err := s.load(ctx, q, d.CeremonyID)
	if err != nil {
		return Invitee{}, err
	}
	p, err := s.loadPoint(ctx, q, d.CeremonyID, d.PointID)
	if err != nil {
		return Invitee{}, err
	}
	begun := !s.Now().Before(c.StartsAt)
	cancelled := c.Status == Cancelled || (c.Status == Archived && !begun && !c.Launched())
	return Invitee{D: d, C: c, P: p, Closed: begun || c.Status != Scheduled, Cancelled: cancelled}, nil
}

// Invitee returns the invitation an RSVP link is for. Anyone holding the link may read it.
func (s *Service) Invitee(ctx context.Context, token string) (Invitee, error) {
	return s.findInvitee(ctx, s.DB.Reader(), token)
}

// AnswerInvitation records the answer to an invitation through its RSVP link. The first answer is
// final: a second one, any answer once the ceremony has begun, and any answer about a ceremony
// that was cancelled (the page says so) or archived, is refused (409) and changes nothing; the
// page says whom to contact instead.
func (s *Service) AnswerInvitation(ctx context.Context, token string, ans Answer) (Invitee, error) {
	ans.DeputyName = strings.Join(strings.Fields(ans.DeputyName), " ")
	ans.DeputyPosition = strings.Join(strings.Fields(ans.DeputyPosition), " ")
	var out Invitee
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		inv, err := s.findInvitee(ctx, tx, token)
		if err != nil {
			return err
		}
		out = inv
		if inv.Cancelled {
			return apperr.New(apperr.Conflict, "ceremony.rsvp.cancelled")
		}
		if inv.D.RSVP != RSVPNone {
			return apperr.New(apperr.Conflict, "ceremony.rsvp.already", inv.D.RSVPAt.In(VietnamTime).Format("15:04 02/01/2006"))
		}
		if inv.Closed {
			return apperr.New(apperr.Conflict, "ceremony.rsvp.closed")
		}
		switch ans.RSVP {
		case RSVPAttend, RSVPDecline:
			ans.DeputyName, ans.DeputyPosition = "", ""
		case RSVPDeputy:
			if ans.DeputyName == "" {
				return apperr.InvalidField("deputy_name", "ceremony.rsvp.deputy_required")
			}
			for field, v := range map[string]string{"deputy_name": ans.DeputyName, "deputy_position": ans.DeputyPosition} {
				if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
					return apperr.InvalidField(field, "ceremony.error.too_long", MaxText)
				}
			}
		default:
			return apperr.InvalidField("rsvp", "ceremony.rsvp.choose")
		}
		now := s.Now()
		res, err := tx.ExecContext(ctx, "UPDATE ceremony_delegates SET rsvp = ?, rsvp_at = ?, deputy_name = ?, deputy_position = ? WHERE id = ? AND rsvp = ''",
			string(ans.RSVP), db.Millis(now), ans.DeputyName, ans.DeputyPosition, inv.D.ID)
		if err != nil {
			return apperr.Wrap(err, "answer invitation")
		}
		if n, err := res.RowsAffected(); err != nil {
			return apperr.Wrap(err, "answer invitation")
		} else if n == 0 {
			return apperr.New(apperr.Conflict, "ceremony.rsvp.already", now.In(VietnamTime).Format("15:04 02/01/2006"))
		}
		out.D.RSVP, out.D.RSVPAt, out.D.DeputyName, out.D.DeputyPosition = ans.RSVP, now, ans.DeputyName, ans.DeputyPosition
		detail := string(ans.RSVP)
		if ans.RSVP == RSVPDeputy {
			detail += " " + ans.DeputyName
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "ceremony.rsvp", ObjectType: "delegate", ObjectID: strconv.FormatInt(inv.D.ID, 10),
			UnitPath: inv.P.UnitPath, Detail: detail})
	})
	return out, err
}

// InvitationByRSVP renders the invitation letter of an RSVP link's delegate (the e-mail links to
// it, the outbox carries no attachments). base is the site's address, for the QR code.
func (s *Service) InvitationByRSVP(ctx context.Context, token, base string) ([]byte, Delegate, error) {
	inv, err := s.Invitee(ctx, token)
	if err != nil {
		return nil, Delegate{}, err
	}
	out, err := s.renderInvitation(ctx, inv.C, inv.P, inv.D, base)
	return out, inv.D, err
}
