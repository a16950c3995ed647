package accounts

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// Pupils' accounts are created by their school (plan section IV): a school's administrator
// uploads the class rosters (xlsx or CSV) and gets back a printable list of usernames and
// one-time passwords to hand out. Pupils are minors: for a pupil under 16 the guardian's name,
// phone and consent are required (Decree 13/2023/NĐ-CP, art. 20) and the consent is recorded in
// guardian_consents as for self-registration; the class, birth date and guardian's contact are
// kept in pupil_profiles (migration 0003). The whole file is checked first: every bad line is
// reported and nothing is created. Hashing the passwords (Argon2id, tens of milliseconds each) runs
// off the request, in a job whose progress the page polls; the accounts are then created in one
// transaction, so a failure creates none. The job is a row of pupil_jobs (migration 0004), read
// by whichever instance the poll reaches; the passwords in it are sealed under a key it never holds.

// PupilColumns is the roster's header, in the template's order.
var PupilColumns = []string{"ho_ten", "ngay_sinh", "lop", "ten_nguoi_giam_ho", "sdt_nguoi_giam_ho", "dong_y_cua_nguoi_giam_ho", "so_dien_thoai", "nhan_qua"}

// pupilAliases accepts the Vietnamese headers with diacritics and English ones too.
var pupilAliases = map[string]string{
	"ho_ten": "ho_ten", "ho va ten": "ho_ten", "full_name": "ho_ten", "name": "ho_ten",
	"ngay_sinh": "ngay_sinh", "nam_sinh": "ngay_sinh", "ngay sinh": "ngay_sinh", "nam sinh": "ngay_sinh", "birth": "ngay_sinh", "birth_date": "ngay_sinh", "birth_year": "ngay_sinh",
	"lop": "lop", "class": "lop",
	"ten_nguoi_giam_ho": "ten_nguoi_giam_ho", "nguoi giam ho": "ten_nguoi_giam_ho", "ten nguoi giam ho": "ten_nguoi_giam_ho", "guardian_name": "ten_nguoi_giam_ho",
	"sdt_nguoi_giam_ho": "sdt_nguoi_giam_ho", "so dien thoai nguoi giam ho": "sdt_nguoi_giam_ho", "sdt nguoi giam ho": "sdt_nguoi_giam_ho", "guardian_phone": "sdt_nguoi_giam_ho",
	"dong_y_cua_nguoi_giam_ho": "dong_y", "dong_y": "dong_y", "dong y cua nguoi giam ho": "dong_y", "guardian_consent": "dong_y",
	// The pupil's own phone (phone-first onboarding): the one-time password goes there, and the
	// pupil may sign in with codes sent to it.
	"so_dien_thoai": "sdt", "so dien thoai": "sdt", "sdt": "sdt", "phone": "sdt",
	"nhan_qua": "nhan_qua", "nhan qua": "nhan_qua", "channel": "nhan_qua",
}

// MaxPupils bounds one roster (a large school).
const MaxPupils = 3000

// PupilTemplate is the documented roster template, with one example line.
func PupilTemplate(format string) ([]byte, error) {
	t := sheet.Table{Name: "Danh sách học sinh", Header: PupilColumns, Rows: [][]any{
		{"Nguyễn Thị Lan", "15/03/2013", "7A", "Nguyễn Văn Bình", "0912345678", "có", "", ""},
		{"Trần Văn Minh", "2008", "11B", "", "", "", "0987654321", "zalo"},
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

// Pupil is one checked line of a roster.
type Pupil struct {
	Line          int
	FullName      string
	BirthDate     string // "2013-03-15", or "2013" when only the year is known
	Class         string
	GuardianName  string
	GuardianPhone string
	Consent       bool
	Under16       bool
	// Phone is the pupil's own mobile number (national form), Channel how messages reach it.
	Phone    string
	Channel  notify.Channel
	username string
}

// PupilRoster is a checked roster for one school.
type PupilRoster struct {
	OrgID    int64
	OrgName  string
	orgPath  string
	unitPath string
	Pupils   []Pupil
}

var phoneRe = regexp.MustCompile(`^0[35789][0-9]{8}$`)

func yes(s string) bool {
	switch textfold.Fold(strings.TrimSpace(s)) {
	case "co", "x", "1", "yes", "dong y", "true":
		return true
	}
	return false
}

// parseBirth reads "dd/mm/yyyy", "yyyy-mm-dd" or "yyyy", and tells whether the pupil is under 16
// at now. With only the year, a pupil who may still be 15 counts as under 16.
func parseBirth(s string, now time.Time) (string, bool, bool) {
	s = strings.TrimSpace(s)
	if y, err := strconv.Atoi(s); err == nil && len(s) == 4 {
		if y < now.Year()-25 || y > now.Year()-3 {
			return "", false, false
		}
		return s, now.Year()-y <= 16, true
	}
	var t time.Time
	var err error
	if strings.Contains(s, "/") {
		t, err = time.Parse("2/1/2006", s)
	} else {
		t, err = time.Parse("2006-01-02", s)
	}
	if err != nil || t.Year() < now.Year()-25 || t.After(now.AddDate(-3, 0, 0)) {
		return "", false, false
	}
	return t.Format("2006-01-02"), t.AddDate(16, 0, 0).After(now), true
}

// CheckPupilRoster checks a roster for the school orgID: the actor must be allowed to create
// learners in that school (its administrator, or an administrator above it), the organisation must
// be a school, and every line must be right. Nothing is written.
func (s *Service) CheckPupilRoster(ctx context.Context, orgID int64, r io.Reader) (PupilRoster, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return PupilRoster{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	ro := PupilRoster{OrgID: orgID}
	var kind string
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT name, kind, path, unit_path FROM orgs WHERE id = ?", orgID).Scan(&ro.OrgName, &kind, &ro.orgPath, &ro.unitPath)
	if errors.Is(err, sql.ErrNoRows) {
		return PupilRoster{}, apperr.New(apperr.NotFound, "orgs.error.not_found", orgID)
	}
	if err == nil && !actor.MayGrant(authz.Grant{Role: authz.Learner, OrgID: orgID, OrgPath: ro.orgPath, UnitPath: ro.unitPath}) {
		// Out of scope: the school's existence is not confirmed either, and the denial is audited.
		return PupilRoster{}, apperr.Hidden("orgs.error.not_found", orgID)
	}
	if err != nil {
		return PupilRoster{}, apperr.Wrap(err, "find school")
	}
	if kind != "school" {
		return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.not_school")
	}
	if r == nil { // no file sent: said after the access check, which comes first
		return PupilRoster{}, apperr.InvalidField("file", "import.error.no_file")
	}
	header, rows, err := sheet.ReadTable(r, sheet.DefaultLimits)
	if err != nil {
		return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.format")
	}
	col := map[string]int{}
	for i, h := range header {
		k := strings.ReplaceAll(textfold.Fold(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")), "đ", "d")
		if c, ok := pupilAliases[k]; ok {
			col[c] = i
		} else if c, ok := pupilAliases[strings.ReplaceAll(k, " ", "_")]; ok {
			col[c] = i
		}
	}
	for _, c := range []string{"ho_ten", "ngay_sinh", "lop"} {
		if _, ok := col[c]; !ok {
			return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.header", strings.Join(PupilColumns, ","))
		}
	}
	if len(rows) == 0 {
		return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.empty")
	}
	if len(rows) > MaxPupils {
		return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.too_many", MaxPupils)
	}
	field := func(row sheet.Row, c string) string {
		i, ok := col[c]
		if !ok || i >= len(row.Fields) {
			return ""
		}
		return strings.Join(strings.Fields(row.Fields[i]), " ")
	}
	now := s.Now()
	var details []apperr.Detail
	bad := func(line int, f, key string, args ...any) {
		details = append(details, apperr.Detail{Line: line, Field: f, Key: key, Args: args})
	}
	seen := map[string]int{}
	phones := map[string]int{}
	var phoneLines []string
	for _, row := range rows {
		p := Pupil{Line: row.Line, FullName: field(row, "ho_ten"), Class: field(row, "lop"), GuardianName: field(row, "ten_nguoi_giam_ho"),
			GuardianPhone: strings.NewReplacer(" ", "", ".", "", "-", "").Replace(field(row, "sdt_nguoi_giam_ho")), Consent: yes(field(row, "dong_y"))}
		if strings.HasPrefix(p.GuardianPhone, "+84") {
			p.GuardianPhone = "0" + p.GuardianPhone[3:]
		}
		n := len(details)
		switch {
		case p.FullName == "":
			bad(row.Line, "ho_ten", "accounts.pupils.name_required")
		case utf8.RuneCountInString(p.FullName) > 120:
			bad(row.Line, "ho_ten", "accounts.error.too_long")
		}
		var ok bool
		if p.BirthDate, p.Under16, ok = parseBirth(field(row, "ngay_sinh"), now); !ok {
			bad(row.Line, "ngay_sinh", "accounts.pupils.birth", field(row, "ngay_sinh"))
		}
		if p.Class == "" || utf8.RuneCountInString(p.Class) > 20 {
			bad(row.Line, "lop", "accounts.pupils.class")
		}
		if utf8.RuneCountInString(p.GuardianName) > 120 {
			bad(row.Line, "ten_nguoi_giam_ho", "accounts.error.too_long")
		}
		if p.GuardianPhone != "" && !phoneRe.MatchString(p.GuardianPhone) {
			bad(row.Line, "sdt_nguoi_giam_ho", "accounts.pupils.phone", p.GuardianPhone)
		}
		var perr error
		if p.Phone, perr = NormalizePhone("so_dien_thoai", field(row, "sdt")); perr == nil && p.Phone != "" {
			p.Channel, perr = ParsePhoneChannel("nhan_qua", field(row, "nhan_qua"))
		}
		if perr != nil {
			ae := apperr.As(perr)
			bad(row.Line, ae.Field, ae.Key, ae.Args...)
		} else if first, dup := phones[p.Phone]; dup && p.Phone != "" {
			bad(row.Line, "so_dien_thoai", "accounts.pupils.phone_duplicate", first)
		} else if p.Phone != "" {
			phones[p.Phone] = row.Line
			phoneLines = append(phoneLines, p.Phone)
		}
		if ok && p.Under16 {
			switch {
			case p.GuardianName == "":
				bad(row.Line, "ten_nguoi_giam_ho", "accounts.pupils.guardian_required")
			case p.GuardianPhone == "":
				bad(row.Line, "sdt_nguoi_giam_ho", "accounts.pupils.guardian_phone_required")
			case !p.Consent:
				bad(row.Line, "dong_y_cua_nguoi_giam_ho", "accounts.pupils.consent_required")
			}
		}
		key := textfold.Fold(p.FullName) + "|" + p.BirthDate + "|" + textfold.Fold(p.Class)
		if first, dup := seen[key]; dup && len(details) == n {
			bad(row.Line, "", "accounts.pupils.duplicate", first)
		}
		seen[key] = row.Line
		if !p.Under16 {
			// Consent is recorded only where the law asks for it; the contact is kept as given.
			p.Consent = false
		}
		ro.Pupils = append(ro.Pupils, p)
	}
	// Numbers that already sign in an account: one number, one account.
	taken, err := s.PhoneTaken(ctx, phoneLines)
	if err != nil {
		return PupilRoster{}, err
	}
	for _, p := range ro.Pupils {
		if taken[p.Phone] {
			bad(p.Line, "so_dien_thoai", "accounts.error.phone_taken", MaskPhone(p.Phone))
		}
	}
	if len(details) > 0 {
		slices.SortStableFunc(details, func(a, b apperr.Detail) int { return a.Line - b.Line })
		if len(details) > 200 {
			details = details[:200]
		}
		e := apperr.New(apperr.Invalid, "accounts.pupils.rejected", len(details))
		e.Details = details
		return PupilRoster{}, e
	}
	return ro, nil
}

// pupilBase makes a username stem from a pupil's name and birth year: "hs12.lannt13" for
// Nguyễn Thị Lan born 2013 at school 12.
func pupilBase(orgID int64, p Pupil) string {
	words := strings.Fields(strings.ReplaceAll(textfold.Fold(p.FullName), "đ", "d"))
	var b strings.Builder
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	if len(words) > 0 {
		b.WriteString(clean(words[len(words)-1]))
		for _, w := range words[:len(words)-1] {
			if c := clean(w); c != "" {
				b.WriteByte(c[0])
			}
		}
	}
	stem := b.String()
	if len(stem) > 30 {
		stem = stem[:30]
	}
	if stem == "" {
		stem = "hocsinh"
	}
	return fmt.Sprintf("hs%d.%s%s", orgID, stem, p.BirthDate[2:4])
}

// pupilPassword is a one-time password easy to copy from paper: 12 letters and digits without
// look-alikes, in groups of four.
func pupilPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 14)
	for i := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(b[i])%len(alphabet)])
	}
	return string(out)
}

// PupilCredential is a created account with its one-time password, for the printed list.
type PupilCredential struct {
	FullName string `json:"full_name"`
	Class    string `json:"class"`
	Username string `json:"username"`
	// Password is empty when it went to the pupil's phone (SentBy, to Phone, masked) instead of
	// the printed list.
	Password string         `json:"password"`
	Phone    string         `json:"phone,omitempty"`
	SentBy   notify.Channel `json:"sent_by,omitempty"`
}

// CreatePupils hashes the one-time passwords (through the shared Argon2id slots) and creates the
// accounts in one transaction: learner role in the school, guardian consent for those under 16,
// the pupil's profile, an audit entry each. progress is called as passwords are hashed.
func (s *Service) CreatePupils(ctx context.Context, ro PupilRoster, progress func(done int)) ([]PupilCredential, error) {
	return s.createPupils(ctx, ro, progress, nil)
}

// createPupils is CreatePupils; finish, when set, runs last in the accounts' transaction with the
// list, and its error undoes them.
func (s *Service) createPupils(ctx context.Context, ro PupilRoster, progress func(done int),
	finish func(ctx context.Context, tx *db.Tx, creds []PupilCredential) error) ([]PupilCredential, error) {
	actor := authz.ActorFrom(ctx)
	g := authz.Grant{Role: authz.Learner, OrgID: ro.OrgID, OrgPath: ro.orgPath, UnitPath: ro.unitPath}
	if actor == nil || !actor.MayGrant(g) {
		return nil, apperr.New(apperr.Forbidden, "accounts.error.grant_forbidden")
	}
	// Usernames: the stem, then -2, -3… past the ones taken.
	taken := map[string]bool{}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT username FROM users WHERE username LIKE ?", fmt.Sprintf("hs%d.%%", ro.OrgID))
	if err != nil {
		return nil, apperr.Wrap(err, "usernames")
	}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "usernames")
		}
		taken[u] = true
	}
	rows.Close()
	creds := make([]PupilCredential, len(ro.Pupils))
	for i := range ro.Pupils {
		p := &ro.Pupils[i]
		base := pupilBase(ro.OrgID, *p)
		p.username = base
		for k := 2; taken[p.username]; k++ {
			p.username = base + "-" + strconv.Itoa(k)
		}
		taken[p.username] = true
		creds[i] = PupilCredential{FullName: p.FullName, Class: p.Class, Username: p.username, Password: pupilPassword()}
	}
	hashes := make([]string, len(creds))
	var done atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range creds {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range cap(hashSlots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				h, err := HashPassword(ctx, creds[i].Password)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				hashes[i] = h
				if progress != nil {
					progress(int(done.Add(1)))
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, apperr.Wrap(firstErr, "hash passwords")
	}
	// The passwords as generated: the transaction blanks the printed copy of those it sends to a
	// phone, and must find them again if it runs twice.
	otps := make([]string, len(creds))
	for i := range creds {
		otps[i] = creds[i].Password
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		for i, p := range ro.Pupils {
			id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, search_key, password_hash, must_change_password, created_at, updated_at)
				VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING id`, p.username, p.FullName, textfold.Fold(p.username+" "+p.FullName), hashes[i], now, now)
			if err != nil {
				if db.IsUniqueViolation(err) {
					return apperr.New(apperr.Conflict, "accounts.error.username_taken", p.username)
				}
				return apperr.Wrap(err, "insert pupil")
			}
			if err := insertGrant(ctx, tx, id, g, actor.UserID, now); err != nil {
				return err
			}
			if err := recordGuardianConsent(ctx, tx, id, NewUser{Under16: p.Under16, GuardianName: p.GuardianName}, actor.UserID, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pupil_profiles (user_id, org_id, class_name, birth_date, guardian_name, guardian_phone, created_at, created_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, ro.OrgID, p.Class, p.BirthDate, p.GuardianName, p.GuardianPhone, now, db.NullInt(actor.UserID)); err != nil {
				return apperr.Wrap(err, "pupil profile")
			}
			if err := insertPhone(ctx, tx, id, p.Phone, p.Channel, now, "so_dien_thoai"); err != nil {
				return err
			}
			if p.Phone != "" && s.notify != nil {
				if err := s.queuePhoneInvitation(ctx, tx, id, p.username, otps[i], p.Phone, p.Channel, g.UnitPath); err != nil {
					return err
				}
				creds[i].Password, creds[i].Phone, creds[i].SentBy = "", MaskPhone(p.Phone), p.Channel
			}
			detail := p.username + " learner pupil"
			if p.Under16 {
				detail += " guardian_consent"
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitPath: g.UnitPath, Detail: detail}); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "pupils.import", ObjectType: "org", ObjectID: strconv.FormatInt(ro.OrgID, 10), UnitPath: g.UnitPath,
			Detail: fmt.Sprintf("pupils=%d", len(ro.Pupils))}); err != nil {
			return err
		}
		if finish != nil {
			return finish(ctx, tx, creds)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return creds, nil
}

// Pupil job states.
const (
	PupilJobQueued  = "queued"
	PupilJobRunning = "running"
	PupilJobDone    = "done"
	PupilJobFailed  = "failed"
)

// PupilJob is the creation of a roster's accounts. It runs off the request, in the instance that
// received the upload, but lives in pupil_jobs: behind a round-robin proxy the progress poll and
// the download may reach any instance.
type PupilJob struct {
	ID      string `json:"id"`
	OrgID   int64  `json:"org_id"`
	Total   int    `json:"total"`
	Done    int    `json:"done"`
	State   string `json:"state"` // queued, running, done or failed
	Message string `json:"message,omitempty"`
	School  string `json:"school"`
	// ExpiresAt is when a finished job's list of passwords is deleted.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Key opens the sealed list of passwords. It is in the answer to the upload only: the server
	// never stores it, so the uploader's page is the one place it exists.
	Key string `json:"key,omitempty"`
	// Err is why the job failed; the web layer turns it into Message in the reader's language.
	Err *apperr.Error `json:"-"`
}

// JobTTL is how long a finished job's list of passwords can be downloaded; then it is deleted.
const JobTTL = time.Hour

// PupilJobStale is how long a queued or running job may go without a heartbeat before it reads as
// failed: its instance stopped (the accounts are created in one transaction at the very end, which
// also marks the job done, so such a job created nothing).
const PupilJobStale = 2 * time.Minute

// pupilJobKeep is how long a job's row (counts only, once its list is deleted) is kept.
const pupilJobKeep = 30 * 24 * time.Hour

// pupilHeartbeat is how often a running job writes its progress and heartbeat: once a second
// rather than once per pupil, which would be a write per Argon2id hash.
var pupilHeartbeat = time.Second

const pupilJobActive = "state IN ('queued', 'running')"

// pupilKeyCheck is what pupil_jobs.key_check holds: SHA-256 of the 256-bit random key. It tells a
// wrong key from the right one and, the key being random, reveals nothing of it.
func pupilKeyCheck(key []byte) string {
	h := sha256.Sum256(key)
	return hex.EncodeToString(h[:])
}

// pupilGCM is AES-256-GCM under key.
func pupilGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealPupils encrypts the list with AES-256-GCM under key; the job's id is the additional data,
// so a sealed list cannot be moved to another job's row. The result is nonce then ciphertext.
func sealPupils(key []byte, id string, creds []PupilCredential) ([]byte, error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, err
	}
	gcm, err := pupilGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, []byte(id)), nil
}

// openPupils decrypts what sealPupils wrote; a wrong key or a changed row fails.
func openPupils(key []byte, id string, sealed []byte) ([]PupilCredential, error) {
	gcm, err := pupilGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed list too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(id))
	if err != nil {
		return nil, err
	}
	var creds []PupilCredential
	return creds, json.Unmarshal(plain, &creds)
}

// decodePupilKey reads the key as the upload's answer gave it (base64url, 32 bytes).
func decodePupilKey(s string) ([]byte, bool) {
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
	return key, err == nil && len(key) == 32
}

// StartPupilJob records a job for the checked roster ro and runs CreatePupils for it in the
// background of this instance. The answer carries the job's key, which is stored nowhere: the
// caller hands it to the uploader and nobody else. report, when set, is told of internal failures
// (the job itself only keeps the message's key).
func (s *Service) StartPupilJob(ctx context.Context, ro PupilRoster, report func(error)) (PupilJob, error) {
	job, key, err := s.newPupilJob(ctx, ro)
	if err != nil {
		return PupilJob{}, err
	}
	go s.runPupilJob(context.WithoutCancel(ctx), job.ID, key, ro, report)
	job.Key = base64.RawURLEncoding.EncodeToString(key)
	return job, nil
}

// newPupilJob writes the queued job's row and returns it with its key.
func (s *Service) newPupilJob(ctx context.Context, ro PupilRoster) (PupilJob, []byte, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return PupilJob{}, nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if actor.UserID == 0 || ro.orgPath == "" {
		// Only a person sees a job, and only a roster checked by CheckPupilRoster is run.
		return PupilJob{}, nil, apperr.New(apperr.Forbidden, "accounts.error.grant_forbidden")
	}
	// Lists past their hour go whenever a new job starts, as well as when they are read.
	if _, err := s.PurgePupilJobs(ctx); err != nil {
		return PupilJob{}, nil, err
	}
	id := make([]byte, 16)
	key := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return PupilJob{}, nil, apperr.Wrap(err, "job id")
	}
	if _, err := rand.Read(key); err != nil {
		return PupilJob{}, nil, apperr.Wrap(err, "job key")
	}
	job := PupilJob{ID: hex.EncodeToString(id), OrgID: ro.OrgID, Total: len(ro.Pupils), State: PupilJobQueued, School: ro.OrgName}
	now := db.Millis(s.Now())
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO pupil_jobs (id, org_id, created_by, state, total, key_check, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, job.ID, ro.OrgID, actor.UserID, job.State, job.Total, pupilKeyCheck(key), now, now)
		return apperr.Wrap(err, "insert pupil job")
	})
	if err != nil {
		return PupilJob{}, nil, err
	}
	return job, key, nil
}

// runPupilJob creates the accounts of job id, beating its heartbeat (progress and updated_at) once
// per pupilHeartbeat. The accounts' transaction also seals the list into the row and marks the job
// done, on the condition that the job is still active: one that a reader already declared stale
// keeps "failed", and its accounts are rolled back with that transaction.
func (s *Service) runPupilJob(ctx context.Context, id string, key []byte, ro PupilRoster, report func(error)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done atomic.Int64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(pupilHeartbeat)
		defer t.Stop()
		for {
			if !s.beatPupilJob(ctx, id, int(done.Load())) {
				cancel() // no longer ours to finish: stop hashing
				return
			}
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	progress := func(n int) {
		// Workers report out of order; the counter only goes up.
		for {
			old := done.Load()
			if int64(n) <= old || done.CompareAndSwap(old, int64(n)) {
				return
			}
		}
	}
	_, err := s.createPupils(ctx, ro, progress, func(ctx context.Context, tx *db.Tx, creds []PupilCredential) error {
		sealed, err := sealPupils(key, id, creds)
		if err != nil {
			return apperr.Wrap(err, "seal pupils")
		}
		now := db.Millis(s.Now())
		res, err := tx.ExecContext(ctx, `UPDATE pupil_jobs SET state = 'done', done = total, sealed = ?, finished_at = ?, updated_at = ?
			WHERE id = ? AND `+pupilJobActive, sealed, now, now, id)
		if err != nil {
			return apperr.Wrap(err, "finish pupil job")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "accounts.pupils.job_stale")
		}
		return nil
	})
	close(stop)
	<-stopped
	if err == nil {
		return
	}
	s.failPupilJob(context.WithoutCancel(ctx), id, err)
	if report != nil && apperr.KindOf(err) == apperr.Internal {
		report(err)
	}
}

// beatPupilJob writes a running job's progress and heartbeat; false when the job is no longer
// active (declared stale, or deleted). A failed write is not taken for that: the next beat retries.
func (s *Service) beatPupilJob(ctx context.Context, id string, done int) bool {
	gone := false
	_ = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET state = 'running', done = ?, updated_at = ? WHERE id = ? AND "+pupilJobActive,
			done, db.Millis(s.Now()), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		gone = err == nil && n == 0
		return nil
	})
	return !gone
}

// failPupilJob records why a job failed, unless it has ended already.
func (s *Service) failPupilJob(ctx context.Context, id string, cause error) {
	ae := apperr.As(cause)
	var args []string
	for _, a := range ae.Args {
		args = append(args, fmt.Sprint(a))
	}
	enc := ""
	if len(args) > 0 {
		b, _ := json.Marshal(args)
		enc = string(b)
	}
	now := db.Millis(s.Now())
	_ = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET state = 'failed', error_key = ?, error_args = ?, finished_at = ?, updated_at = ? WHERE id = ? AND "+pupilJobActive,
			ae.Key, enc, now, now, id)
		return err
	})
}

// PupilJob tells how far a job is. Only the administrator who started it sees it (anyone else
// gets "not found"), and only with its key (403 otherwise). A queued or running job without a
// heartbeat for PupilJobStale is failed here and read as such.
func (s *Service) PupilJob(ctx context.Context, id, key string) (PupilJob, error) {
	job, _, err := s.pupilJob(ctx, id, key)
	return job, err
}

// PupilJobCredentials opens the list of accounts and one-time passwords of a finished job with its
// key. Past JobTTL the sealed list is deleted and the download refused.
func (s *Service) PupilJobCredentials(ctx context.Context, id, key string) (PupilJob, []PupilCredential, error) {
	job, sealed, err := s.pupilJob(ctx, id, key)
	if err != nil {
		return PupilJob{}, nil, err
	}
	if job.State != PupilJobDone {
		return PupilJob{}, nil, apperr.New(apperr.Conflict, "accounts.pupils.job_not_found")
	}
	if sealed == nil {
		return PupilJob{}, nil, apperr.New(apperr.NotFound, "accounts.pupils.job_expired")
	}
	k, _ := decodePupilKey(key)
	creds, err := openPupils(k, job.ID, sealed)
	if err != nil {
		return PupilJob{}, nil, apperr.New(apperr.Forbidden, "accounts.pupils.job_key")
	}
	return job, creds, nil
}

// pupilJob reads a job of the actor, checks its key, fails it when stale and drops its list when
// expired; the sealed list comes back only while it may be downloaded.
func (s *Service) pupilJob(ctx context.Context, id, key string) (PupilJob, []byte, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return PupilJob{}, nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	notFound := apperr.New(apperr.NotFound, "accounts.pupils.job_not_found")
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		return PupilJob{}, nil, notFound
	}
	for attempt := 0; ; attempt++ {
		job := PupilJob{ID: id}
		var by, updated, finished int64
		var check, errKey, errArgs string
		var sealed []byte
		err := s.DB.Reader().QueryRowContext(ctx, `SELECT j.org_id, j.created_by, j.state, j.done, j.total, j.error_key, j.error_args, j.key_check, j.sealed,
			j.updated_at, j.finished_at, o.name FROM pupil_jobs j JOIN orgs o ON o.id = j.org_id WHERE j.id = ?`, id).
			Scan(&job.OrgID, &by, &job.State, &job.Done, &job.Total, &errKey, &errArgs, &check, &sealed, &updated, &finished, &job.School)
		if errors.Is(err, sql.ErrNoRows) {
			return PupilJob{}, nil, notFound
		}
		if err == nil && by != actor.UserID {
			return PupilJob{}, nil, apperr.Hidden("accounts.pupils.job_not_found") // someone else's job: audited
		}
		if err != nil {
			return PupilJob{}, nil, apperr.Wrap(err, "pupil job")
		}
		k, ok := decodePupilKey(key)
		if !ok || subtle.ConstantTimeCompare([]byte(pupilKeyCheck(k)), []byte(check)) != 1 {
			return PupilJob{}, nil, apperr.New(apperr.Forbidden, "accounts.pupils.job_key")
		}
		now := s.Now()
		if (job.State == PupilJobQueued || job.State == PupilJobRunning) && now.Sub(db.FromMillis(updated)) > PupilJobStale && attempt == 0 {
			if err := s.failStalePupilJobs(ctx, id); err != nil {
				return PupilJob{}, nil, err
			}
			continue // read what the row says now: it may have finished meanwhile
		}
		if job.State == PupilJobFailed {
			job.Err = apperr.New(apperr.Internal, errKey)
			if errArgs != "" {
				var args []string
				_ = json.Unmarshal([]byte(errArgs), &args)
				for _, a := range args {
					job.Err.Args = append(job.Err.Args, a)
				}
			}
		}
		if job.State == PupilJobDone {
			exp := db.FromMillis(finished).Add(JobTTL)
			job.ExpiresAt = &exp
			if !now.Before(exp) {
				if sealed != nil {
					if err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
						_, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET sealed = NULL WHERE id = ?", id)
						return apperr.Wrap(err, "purge pupil job")
					}); err != nil {
						return PupilJob{}, nil, err
					}
				}
				sealed = nil
			}
		}
		return job, sealed, nil
	}
}

// failStalePupilJobs fails the queued or running jobs (job id, or all when id is "") whose
// instance has not beaten their heartbeat for PupilJobStale.
func (s *Service) failStalePupilJobs(ctx context.Context, id string) error {
	now := s.Now()
	q := "UPDATE pupil_jobs SET state = 'failed', error_key = 'accounts.pupils.job_stale', error_args = '', finished_at = ?, updated_at = ? WHERE " +
		pupilJobActive + " AND updated_at < ?"
	args := []any{db.Millis(now), db.Millis(now), db.Millis(now.Add(-PupilJobStale))}
	if id != "" {
		q += " AND id = ?"
		args = append(args, id)
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return apperr.Wrap(err, "stale pupil jobs")
	})
}

// PurgePupilJobs deletes the sealed lists of passwords past JobTTL, fails the jobs whose instance
// stopped, and deletes the rows of jobs older than 30 days. It returns how many lists it deleted.
func (s *Service) PurgePupilJobs(ctx context.Context) (int, error) {
	if err := s.failStalePupilJobs(ctx, ""); err != nil {
		return 0, err
	}
	now := s.Now()
	var n int64
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET sealed = NULL WHERE sealed IS NOT NULL AND finished_at <= ?", db.Millis(now.Add(-JobTTL)))
		if err != nil {
			return apperr.Wrap(err, "purge pupil jobs")
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, "DELETE FROM pupil_jobs WHERE created_at < ?", db.Millis(now.Add(-pupilJobKeep)))
		return apperr.Wrap(err, "purge pupil jobs")
	})
	return int(n), err
}
