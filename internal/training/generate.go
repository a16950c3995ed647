package training

import (
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// The data generator (lantoa seed) fills the training module for a province- or nation-sized
// test: a published course with its question bank and exam (of the learners' province, or national
// when they live in several: genProvince), every learner enrolled, about 70%
// started and about 50% passed with their attempts and certificates, spread over the 30 days
// before Now. It writes what the API would have written — enrolments with the learner's unit and
// organisation paths, submitted attempts with a valid layout and their score, certificates with
// unique codes, and the figures' counters — with multi-row INSERTs in large transactions. Saved
// answers are summarised: an attempt carries its correct count and score, not one row per
// answer (its review shows the questions without the learner's choices). No audit entry is
// written per learner; one entry records the generation.

// GenSpec says what to generate.
type GenSpec struct {
	// Seed makes the output deterministic: the same seed and learners give the same rows.
	Seed     uint64
	Learners []GenLearner
	// Now ends the 30 days the enrolments and results are spread over.
	Now time.Time
	// Progress, if set, is called after each transaction with the number of learners done.
	Progress func(done int)
	// Chunk is the number of learners per transaction (default 20,000).
	Chunk int
}

// GenLearner is a learner account (created beforehand, e.g. by accounts.BulkCreate).
type GenLearner struct {
	UserID   int64
	UnitCode string // the learner's commune
	OrgID    int64  // 0 if none; when set, the organisation's paths are the enrolment's, as for a grant
	Audience string // one of Audiences, or ""
}

// GenResult says what was generated.
type GenResult struct {
	CourseID     int64 `json:"course_id"`
	Questions    int   `json:"questions"`
	Enrolled     int   `json:"enrolled"`
	Started      int   `json:"started"`
	Passed       int   `json:"passed"`
	Attempts     int   `json:"attempts"`
	Certificates int   `json:"certificates"`
	// Skipped learners were already enrolled in the course.
	Skipped int `json:"skipped"`
}

// GenCourseTitle is the title of the generated course; Generate reuses a course of that title.
const GenCourseTitle = "Kỹ năng số cơ bản cho mọi người dân"

const (
	genQuestions     = 48
	genQuestionCount = 10
	genPassPercent   = 70
	genTimeLimit     = 30
	genMaxAttempts   = 3
	genChunk         = 20000 // learners per transaction
	genRowsPerInsert = 500
)

var genCategories = []string{"Dịch vụ công trực tuyến", "An toàn thông tin", "Thanh toán không dùng tiền mặt", "Kỹ năng sử dụng điện thoại thông minh"}

// Generate creates (if missing) the generated course and enrols, starts, passes and certifies
// the learners. Learners already enrolled in the course are skipped, so it can be run again with
// more learners.
func Generate(ctx context.Context, d *db.DB, spec GenSpec) (GenResult, error) {
	var res GenResult
	if spec.Now.IsZero() {
		spec.Now = time.Now()
	}
	for _, l := range spec.Learners {
		if l.Audience == "" {
			continue
		}
		ok := false
		for _, a := range Audiences {
			ok = ok || a == l.Audience
		}
		if !ok {
			return res, fmt.Errorf("training: generate: unknown audience %q", l.Audience)
		}
	}
	units, orgs, err := genPaths(ctx, d)
	if err != nil {
		return res, err
	}
	c, err := genCourse(ctx, d, spec.Now, genProvince(spec.Learners, units, orgs))
	if err != nil {
		return res, err
	}
	res.CourseID, res.Questions = c.ID, genQuestions
	layouts, title, err := genLayouts(ctx, d, c, spec.Seed)
	if err != nil {
		return res, err
	}
	enrolled := map[int64]bool{}
	rows, err := d.Reader().QueryContext(ctx, "SELECT user_id FROM training_enrolments WHERE course_id = ?", c.ID)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return res, err
		}
		enrolled[id] = true
	}
	rows.Close()

	g := &generator{d: d, course: c.ID, title: title, layouts: layouts, units: units, orgs: orgs, seed: spec.Seed,
		now: db.Millis(spec.Now), spread: int64(30 * 24 * time.Hour / time.Millisecond)}
	done := 0
	per := spec.Chunk
	if per <= 0 {
		per = genChunk
	}
	for start := 0; start < len(spec.Learners); start += per {
		chunk := spec.Learners[start:min(start+per, len(spec.Learners))]
		var todo []GenLearner
		for _, l := range chunk {
			if enrolled[l.UserID] {
				res.Skipped++
				continue
			}
			enrolled[l.UserID] = true
			todo = append(todo, l)
		}
		if err := d.WriteTx(ctx, func(tx *db.Tx) error { return g.chunk(ctx, tx, todo, &res) }); err != nil {
			return res, err
		}
		done += len(chunk)
		if spec.Progress != nil {
			spec.Progress(done)
		}
	}
	err = d.WriteTx(ctx, func(tx *db.Tx) error {
		return audit.Record(ctx, tx, audit.Entry{Action: "training.generate", ObjectType: "course", ObjectID: strconv.FormatInt(c.ID, 10), UnitPath: authz.ProvincePath(c.province),
			Detail: fmt.Sprintf("seed=%d enrolled=%d started=%d passed=%d", spec.Seed, res.Enrolled, res.Started, res.Passed)})
	})
	return res, err
}

type genCourseRow struct {
	ID       int64
	province string
}

// genProvince is the province of the generated course: the learners' province when they all live
// in one (the province profile), else "" — a national course, open to every province's learners
// (the national profile).
func genProvince(ls []GenLearner, units map[string]string, orgs map[int64]genPath) string {
	province := ""
	for i, l := range ls {
		path := units[l.UnitCode]
		if o, ok := orgs[l.OrgID]; ok && l.OrgID != 0 {
			path = o.unitPath
		}
		p := authz.ProvinceOfPath(path)
		if i > 0 && p != province {
			return ""
		}
		province = p
	}
	return province
}

// genCourse finds the generated course of the province or creates it, published, with its bank.
func genCourse(ctx context.Context, d *db.DB, now time.Time, province string) (genCourseRow, error) {
	c := genCourseRow{province: province}
	err := d.Reader().QueryRowContext(ctx, "SELECT id FROM training_courses WHERE title = ? AND province_code = ? ORDER BY id LIMIT 1", GenCourseTitle, province).Scan(&c.ID)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return c, err
	}
	ms := db.Millis(now.Add(-31 * 24 * time.Hour))
	err = d.WriteTx(ctx, func(tx *db.Tx) error {
		id, err := tx.InsertID(ctx, `INSERT INTO training_courses (province_code, title, summary, audience, status, question_count, pass_percent, time_limit_minutes,
			max_attempts, review_allowed, search_key, created_at, updated_at, published_at)
			VALUES (?, ?, ?, ?, 'published', ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id`,
			province, GenCourseTitle, "Khoá học kỹ năng số cơ bản: dịch vụ công trực tuyến, an toàn thông tin, thanh toán số.", strings.Join(Audiences, ","),
			genQuestionCount, genPassPercent, genTimeLimit, genMaxAttempts, textfold.Fold(GenCourseTitle), ms, ms, ms)
		if err != nil {
			return err
		}
		c.ID = id
		for i := 0; i < genQuestions; i++ {
			cat := genCategories[i%len(genCategories)]
			var kind Kind
			var text string
			var opts []string
			var correct []int
			switch i % 3 {
			case 0:
				kind, text, opts, correct = Single, fmt.Sprintf("Câu %d: cách nào đúng để nộp hồ sơ trực tuyến an toàn?", i+1),
					[]string{"Gửi mật khẩu qua tin nhắn", "Đăng nhập Cổng dịch vụ công bằng tài khoản định danh", "Nhờ người lạ nộp hộ", "Chia sẻ mã OTP"}, []int{1}
			case 1:
				kind, text, opts, correct = Multiple, fmt.Sprintf("Câu %d: những việc nào giúp bảo vệ tài khoản?", i+1),
					[]string{"Bật xác thực hai lớp", "Dùng chung mật khẩu", "Đặt mật khẩu mạnh", "Bấm vào mọi đường liên kết lạ"}, []int{0, 2}
			default:
				kind, text, opts, correct = TrueFalse, fmt.Sprintf("Câu %d: không bao giờ cung cấp mã OTP cho người khác.", i+1),
					[]string{"Đúng", "Sai"}, []int{0}
			}
			qid, err := tx.InsertID(ctx, "INSERT INTO training_questions (course_id, category, kind, text, difficulty, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
				id, cat, string(kind), text, 1+i%3, ms)
			if err != nil {
				return err
			}
			for j, o := range opts {
				ok := 0
				for _, k := range correct {
					if k == j {
						ok = 1
					}
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO training_options (question_id, position, text, correct) VALUES (?, ?, ?, ?)", qid, j, o, ok); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "course.create", ObjectType: "course", ObjectID: strconv.FormatInt(id, 10), UnitPath: authz.ProvincePath(province), Detail: GenCourseTitle})
	})
	return c, apperr.Wrap(err, "generate course")
}

// genLayouts draws a set of valid attempt layouts from the bank (as StartAttempt would); the
// attempts share them, which keeps the data small and the generator fast.
func genLayouts(ctx context.Context, d *db.DB, c genCourseRow, seed uint64) ([]string, string, error) {
	var title string
	if err := d.Reader().QueryRowContext(ctx, "SELECT title FROM training_courses WHERE id = ?", c.ID).Scan(&title); err != nil {
		return nil, "", err
	}
	rows, err := d.Reader().QueryContext(ctx, `SELECT q.id, o.id FROM training_questions q JOIN training_options o ON o.question_id = q.id
		WHERE q.course_id = ? AND q.active = 1 ORDER BY q.id, o.position`, c.ID)
	if err != nil {
		return nil, "", err
	}
	opts := map[int64][]int64{}
	var ids []int64
	for rows.Next() {
		var q, o int64
		if err := rows.Scan(&q, &o); err != nil {
			rows.Close()
			return nil, "", err
		}
		if opts[q] == nil {
			ids = append(ids, q)
		}
		opts[q] = append(opts[q], o)
	}
	rows.Close()
	if len(ids) < genQuestionCount {
		return nil, "", fmt.Errorf("training: generate: the course's bank has %d questions", len(ids))
	}
	r := rand.New(rand.NewPCG(seed, 0x6c61796f7574)) // #nosec G404 -- generated test data
	out := make([]string, 64)
	for i := range out {
		pool := append([]int64(nil), ids...)
		m := map[int64][]int64{}
		var order []int64
		for k := 0; k < genQuestionCount; k++ {
			j := k + r.IntN(len(pool)-k)
			pool[k], pool[j] = pool[j], pool[k]
			o := append([]int64(nil), opts[pool[k]]...)
			r.Shuffle(len(o), func(x, y int) { o[x], o[y] = o[y], o[x] })
			order = append(order, pool[k])
			m[pool[k]] = o
		}
		out[i] = encodeLayout(order, m)
	}
	return out, title, nil
}

type genPath struct{ unitPath, orgPath string }

// genPaths maps unit codes and organisation ids to their paths, as resolveGrant does for a grant.
func genPaths(ctx context.Context, d *db.DB) (map[string]string, map[int64]genPath, error) {
	units := map[string]string{}
	rows, err := d.Reader().QueryContext(ctx, "SELECT code, path FROM units WHERE valid_to = ''")
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var c, p string
		if err := rows.Scan(&c, &p); err != nil {
			rows.Close()
			return nil, nil, err
		}
		units[c] = p
	}
	rows.Close()
	orgs := map[int64]genPath{}
	rows, err = d.Reader().QueryContext(ctx, "SELECT id, path, unit_path FROM orgs WHERE valid_to = ''")
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id int64
		var p genPath
		if err := rows.Scan(&id, &p.orgPath, &p.unitPath); err != nil {
			rows.Close()
			return nil, nil, err
		}
		orgs[id] = p
	}
	rows.Close()
	return units, orgs, rows.Err()
}

type generator struct {
	d       *db.DB
	course  int64
	title   string
	layouts []string
	units   map[string]string
	orgs    map[int64]genPath
	seed    uint64
	now     int64
	spread  int64
	pcg     rand.PCG
}

// chunk writes one transaction's learners.
func (g *generator) chunk(ctx context.Context, tx *db.Tx, ls []GenLearner, res *GenResult) error {
	if len(ls) == 0 {
		return nil
	}
	// Names for the certificates, as issueCertificate reads them.
	names := make(map[int64]string, len(ls))
	for start := 0; start < len(ls); start += genRowsPerInsert {
		part := ls[start:min(start+genRowsPerInsert, len(ls))]
		args := make([]any, len(part))
		for i, l := range part {
			args[i] = l.UserID
		}
		rows, err := tx.QueryContext(ctx, "SELECT id, display_name, username FROM users WHERE id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var name, username string
			if err := rows.Scan(&id, &name, &username); err != nil {
				rows.Close()
				return err
			}
			if name == "" {
				name = username
			}
			names[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// Attempt ids are assigned here so that certificates can name theirs without a round trip.
	var nextAttempt int64
	if tx.Engine() == db.Postgres {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE training_attempts IN EXCLUSIVE MODE"); err != nil {
			return err
		}
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM training_attempts").Scan(&nextAttempt); err != nil {
		return err
	}
	var enrolments, attempts, certs [][]any
	counters := map[figureKey]figureDelta{}
	r := rand.New(&g.pcg) // #nosec G404 -- generated test data
	var code [10]byte
	const minute = int64(time.Minute / time.Millisecond)
	for _, l := range ls {
		name, ok := names[l.UserID]
		if !ok {
			return fmt.Errorf("training: generate: no user %d", l.UserID)
		}
		var p genPath
		if l.OrgID != 0 {
			if p, ok = g.orgs[l.OrgID]; !ok {
				return fmt.Errorf("training: generate: no organisation %d", l.OrgID)
			}
		} else if l.UnitCode != "" {
			if p.unitPath, ok = g.units[l.UnitCode]; !ok {
				return fmt.Errorf("training: generate: no unit %q", l.UnitCode)
			}
		}
		// Each learner has a stream of their own: the output does not depend on the order or on
		// the learners skipped.
		g.pcg.Seed(g.seed, uint64(l.UserID)) // #nosec G115 -- user ids are positive
		enrolledAt := g.now - 1 - r.Int64N(g.spread)
		var startedAt, passedAt int64
		var best float64
		roll := r.IntN(100)
		key := figureKey{courseID: g.course, unitPath: p.unitPath, orgPath: p.orgPath, audience: l.Audience}
		delta := counters[key]
		delta.enrolled++
		res.Enrolled++
		if roll < 70 {
			res.Started++
			delta.started++
			startedAt = min(g.now-1, enrolledAt+r.Int64N(3*24*60)*minute)
			// Passers (5 in 7 of those who started) fail first one time in four; the others
			// fail once or twice.
			tries := 1
			pass := roll < 50
			if pass && r.IntN(4) == 0 || !pass && r.IntN(2) == 0 {
				tries = 2
			}
			at := startedAt
			for t := 0; t < tries && at < g.now; t++ {
				last := t == tries-1
				total := genQuestionCount
				correct := r.IntN(genQuestionCount * genPassPercent / 100)
				if pass && last {
					correct = genQuestionCount*genPassPercent/100 + r.IntN(total-genQuestionCount*genPassPercent/100+1)
				}
				score := float64(correct*1000/total) / 10
				submitted := min(g.now, at+(3+r.Int64N(genTimeLimit-3))*minute)
				passed := pass && last
				nextAttempt++
				res.Attempts++
				attempts = append(attempts, []any{nextAttempt, g.course, l.UserID, g.layouts[r.IntN(len(g.layouts))], at, at + genTimeLimit*minute,
					submitted, correct, total, score, boolInt(passed), genPassPercent})
				best = max(best, score)
				if passed {
					passedAt = submitted
					res.Passed++
					res.Certificates++
					delta.passed++
					binary.LittleEndian.PutUint64(code[:8], r.Uint64())
					binary.LittleEndian.PutUint16(code[8:], uint16(r.Uint32())) // #nosec G115 -- truncation wanted
					s := genCodeEncoding.EncodeToString(code[:])
					certs = append(certs, []any{"LT-" + s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], g.course, l.UserID, nextAttempt,
						name, g.title, score, p.orgPath, p.unitPath, submitted})
				}
				at = submitted + (10+r.Int64N(24*60))*minute
			}
		}
		counters[key] = delta
		enrolments = append(enrolments, []any{g.course, l.UserID, db.NullInt(l.OrgID), p.orgPath, p.unitPath, l.Audience, "roster", enrolledAt, startedAt, passedAt, best})
	}
	if err := insertMany(ctx, tx, "training_enrolments", []string{"course_id", "user_id", "org_id", "org_path", "unit_path", "audience", "source",
		"enrolled_at", "started_at", "passed_at", "best_score"}, enrolments, ""); err != nil {
		return err
	}
	head := "training_attempts"
	if tx.Engine() == db.Postgres {
		head += "#OVERRIDING SYSTEM VALUE"
	}
	if err := insertMany(ctx, tx, head, []string{"id", "course_id", "user_id", "layout", "started_at", "deadline_at", "submitted_at",
		"correct_count", "question_total", "score", "passed", "pass_percent"}, attempts, ""); err != nil {
		return err
	}
	if tx.Engine() == db.Postgres && len(attempts) > 0 {
		if _, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('training_attempts', 'id'), ?)", nextAttempt); err != nil {
			return err
		}
	}
	if err := insertMany(ctx, tx, "training_certificates", []string{"code", "course_id", "user_id", "attempt_id", "learner_name", "course_title",
		"score", "org_path", "unit_path", "issued_at"}, certs, ""); err != nil {
		return err
	}
	return bumpKeys(ctx, tx, counters)
}

var genCodeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// insertMany writes rows with multi-row INSERTs of about genRowsPerInsert rows. table may carry
// a clause for between the column list and VALUES after a '#' ("t#OVERRIDING SYSTEM VALUE").
func insertMany(ctx context.Context, tx *db.Tx, table string, cols []string, rows [][]any, suffix string) error {
	if len(rows) == 0 {
		return nil
	}
	table, clause, _ := strings.Cut(table, "#")
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") " + clause + " VALUES "
	per := genRowsPerInsert
	var full string // the statement for a full chunk, built once
	args := make([]any, 0, per*len(cols))
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		q := full
		if q == "" || len(part) != per {
			var b strings.Builder
			b.Grow(len(head) + len(part)*(len(tuple)+1) + len(suffix) + 1)
			b.WriteString(head)
			for i := range part {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(tuple)
			}
			b.WriteString(suffix)
			q = b.String()
			if len(part) == per {
				full = q
			}
		}
		args = args[:0]
		for _, r := range part {
			if len(r) != len(cols) {
				return fmt.Errorf("training: insert into %s: %d values for %d columns", table, len(r), len(cols))
			}
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("training: insert into %s: %w", table, err)
		}
	}
	return nil
}
