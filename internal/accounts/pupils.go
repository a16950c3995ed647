package accounts

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
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
// transaction, so a failure creates none.

// PupilColumns is the roster's header, in the template's order.
var PupilColumns = []string{"ho_ten", "ngay_sinh", "lop", "ten_nguoi_giam_ho", "sdt_nguoi_giam_ho", "dong_y_cua_nguoi_giam_ho"}

// pupilAliases accepts the Vietnamese headers with diacritics and English ones too.
var pupilAliases = map[string]string{
	"ho_ten": "ho_ten", "ho va ten": "ho_ten", "full_name": "ho_ten", "name": "ho_ten",
	"ngay_sinh": "ngay_sinh", "nam_sinh": "ngay_sinh", "ngay sinh": "ngay_sinh", "nam sinh": "ngay_sinh", "birth": "ngay_sinh", "birth_date": "ngay_sinh", "birth_year": "ngay_sinh",
	"lop": "lop", "class": "lop",
	"ten_nguoi_giam_ho": "ten_nguoi_giam_ho", "nguoi giam ho": "ten_nguoi_giam_ho", "ten nguoi giam ho": "ten_nguoi_giam_ho", "guardian_name": "ten_nguoi_giam_ho",
	"sdt_nguoi_giam_ho": "sdt_nguoi_giam_ho", "so dien thoai nguoi giam ho": "sdt_nguoi_giam_ho", "sdt nguoi giam ho": "sdt_nguoi_giam_ho", "guardian_phone": "sdt_nguoi_giam_ho",
	"dong_y_cua_nguoi_giam_ho": "dong_y", "dong_y": "dong_y", "dong y cua nguoi giam ho": "dong_y", "guardian_consent": "dong_y",
}

// MaxPupils bounds one roster (a large school).
const MaxPupils = 3000

// PupilTemplate is the documented roster template, with one example line.
func PupilTemplate(format string) ([]byte, error) {
	t := sheet.Table{Name: "Danh sách học sinh", Header: PupilColumns, Rows: [][]any{
		{"Nguyễn Thị Lan", "15/03/2013", "7A", "Nguyễn Văn Bình", "0912345678", "có"},
		{"Trần Văn Minh", "2008", "11B", "", "", ""},
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
	username      string
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
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.MayGrant(authz.Grant{Role: authz.Learner, OrgID: orgID, OrgPath: ro.orgPath, UnitPath: ro.unitPath})) {
		// Out of scope: the school's existence is not confirmed either.
		return PupilRoster{}, apperr.New(apperr.NotFound, "orgs.error.not_found", orgID)
	}
	if err != nil {
		return PupilRoster{}, apperr.Wrap(err, "find school")
	}
	if kind != "school" {
		return PupilRoster{}, apperr.New(apperr.Invalid, "accounts.pupils.not_school")
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
	if len(details) > 0 {
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
	Password string `json:"password"`
}

// CreatePupils hashes the one-time passwords (through the shared Argon2id slots) and creates the
// accounts in one transaction: learner role in the school, guardian consent for those under 16,
// the pupil's profile, an audit entry each. progress is called as passwords are hashed.
func (s *Service) CreatePupils(ctx context.Context, ro PupilRoster, progress func(done int)) ([]PupilCredential, error) {
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
			detail := p.username + " learner pupil"
			if p.Under16 {
				detail += " guardian_consent"
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitPath: g.UnitPath, Detail: detail}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "pupils.import", ObjectType: "org", ObjectID: strconv.FormatInt(ro.OrgID, 10), UnitPath: g.UnitPath,
			Detail: fmt.Sprintf("pupils=%d", len(ro.Pupils))})
	})
	if err != nil {
		return nil, err
	}
	return creds, nil
}

// PupilJob is the creation of a roster's accounts, run off the request.
type PupilJob struct {
	ID      string `json:"id"`
	OrgID   int64  `json:"org_id"`
	Total   int    `json:"total"`
	Done    int    `json:"done"`
	State   string `json:"state"` // "running", "done" or "failed"
	Message string `json:"message,omitempty"`
	School  string `json:"school"`
	// Err is why the job failed; the web layer turns it into Message in the reader's language.
	Err error `json:"-"`

	by      int64
	creds   []PupilCredential
	created time.Time
}

// PupilJobs keeps the running and finished jobs in memory: the one-time passwords are never
// stored, and a finished job's list is dropped after JobTTL.
type PupilJobs struct {
	mu   sync.Mutex
	jobs map[string]*PupilJob
}

// JobTTL is how long a finished job's list of passwords can be downloaded.
const JobTTL = time.Hour

// NewPupilJobs returns an empty registry.
func NewPupilJobs() *PupilJobs { return &PupilJobs{jobs: map[string]*PupilJob{}} }

// Start runs CreatePupils for ro in the background and returns the job.
func (j *PupilJobs) Start(ctx context.Context, s *Service, ro PupilRoster) PupilJob {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	actor := authz.ActorFrom(ctx)
	job := &PupilJob{ID: hex.EncodeToString(b), OrgID: ro.OrgID, Total: len(ro.Pupils), State: "running", School: ro.OrgName, by: actor.UserID, created: time.Now()}
	j.mu.Lock()
	for id, old := range j.jobs {
		if time.Since(old.created) > JobTTL {
			delete(j.jobs, id)
		}
	}
	j.jobs[job.ID] = job
	view := *job
	j.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	go func() {
		creds, err := s.CreatePupils(bg, ro, func(done int) {
			j.mu.Lock()
			job.Done = done
			j.mu.Unlock()
		})
		j.mu.Lock()
		defer j.mu.Unlock()
		if err != nil {
			job.State, job.Err = "failed", err
			return
		}
		job.State, job.creds, job.Done = "done", creds, job.Total
	}()
	return view
}

// Get returns a job of the actor (someone else's is not found).
func (j *PupilJobs) Get(ctx context.Context, id string) (PupilJob, []PupilCredential, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return PupilJob{}, nil, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	job := j.jobs[id]
	if job == nil || job.by != actor.UserID || time.Since(job.created) > JobTTL {
		return PupilJob{}, nil, apperr.New(apperr.NotFound, "accounts.pupils.job_not_found")
	}
	return *job, job.creds, nil
}

// CredentialsXLSX writes the list of accounts and one-time passwords as a spreadsheet.
func CredentialsXLSX(w io.Writer, school string, creds []PupilCredential) error {
	t := sheet.Table{Name: "Tài khoản học sinh", Header: []string{"STT", "Họ và tên", "Lớp", "Tên đăng nhập", "Mật khẩu dùng một lần"}}
	for i, c := range creds {
		t.Rows = append(t.Rows, []any{i + 1, c.FullName, c.Class, c.Username, c.Password})
	}
	return sheet.WriteXLSX(w, t)
}

// CredentialsPDF writes the list as a printable PDF for the teacher, one table sorted as uploaded.
func CredentialsPDF(w io.Writer, school string, creds []PupilCredential, now time.Time) error {
	d := pdfdoc.New("Danh sách tài khoản học sinh")
	d.Title("DANH SÁCH TÀI KHOẢN HỌC SINH", school)
	d.Paragraph("Mỗi học sinh đăng nhập bằng tên đăng nhập và mật khẩu dùng một lần dưới đây, rồi đặt mật khẩu mới ở lần đăng nhập đầu tiên. Giữ danh sách này kín; hủy sau khi đã phát cho học sinh.")
	rows := make([][]string, len(creds))
	for i, c := range creds {
		rows[i] = []string{strconv.Itoa(i + 1), c.FullName, c.Class, c.Username, c.Password}
	}
	d.Table([]string{"STT", "Họ và tên", "Lớp", "Tên đăng nhập", "Mật khẩu"}, []float64{12, 60, 18, 50, 40}, rows)
	d.Paragraph(pdfdoc.DateLine("Quảng Ngãi", now))
	return d.Write(w)
}
