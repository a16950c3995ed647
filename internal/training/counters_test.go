package training_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// recount compares the counters with a count of the enrolments, row by row.
func recount(t *testing.T, d *db.DB) (enrolled, started, passed int) {
	t.Helper()
	ctx := context.Background()
	read := func(q string) map[string][3]int {
		rows, err := d.Reader().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string][3]int{}
		for rows.Next() {
			var c int64
			var u, o, a string
			var n [3]int
			if err := rows.Scan(&c, &u, &o, &a, &n[0], &n[1], &n[2]); err != nil {
				t.Fatal(err)
			}
			if n != [3]int{} {
				out[fmt.Sprintf("%d|%s|%s|%s", c, u, o, a)] = n
			}
		}
		return out
	}
	want := read(`SELECT course_id, unit_path, org_path, audience, COUNT(*), CAST(SUM(CASE WHEN started_at > 0 THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN passed_at > 0 THEN 1 ELSE 0 END) AS BIGINT) FROM training_enrolments GROUP BY course_id, unit_path, org_path, audience`)
	got := read("SELECT course_id, unit_path, org_path, audience, enrolled, started, passed FROM training_figures")
	if len(want) != len(got) {
		t.Fatalf("counters have %d rows, recount %d:\n%v\n%v", len(got), len(want), got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("counter %s = %v, recount %v", k, got[k], w)
		}
		enrolled, started, passed = enrolled+w[0], started+w[1], passed+w[2]
	}
	return
}

// TestCountersFollowRandomOperations runs a random sequence of enrolments, roster imports, extra
// time, starts, answers, submissions (some passing, some timing out) and revocations, and after
// each step checks that the counters equal a recount, and that Figures and TotalsFor agree.
func TestCountersFollowRandomOperations(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 10, MaxAttempts: 0})
		r := rand.New(rand.NewPCG(7, uint64(len(d.Engine))))
		o := orgs.NewService(d)
		org2, err := o.Create(f.sys, orgs.Org{Name: "Hội Liên hiệp Phụ nữ huyện Sơn Tịnh", Kind: orgs.Union, UnitCode: "528"})
		if err != nil {
			t.Fatal(err)
		}
		// Learners in communes and organisations; a unit administrator for the roster and extra time.
		var learners []context.Context
		var names []string
		for i := 0; i < 8; i++ {
			n := accounts.NewUser{Username: fmt.Sprintf("hv.%d", i), DisplayName: "Người học", Password: pw}
			switch i % 3 {
			case 0:
				n.OrgID = org2.ID
			case 1:
				n.UnitCode = "21010"
			default:
				n.UnitCode = "21013"
			}
			u, err := f.acc.Register(f.sys, n)
			if err != nil {
				t.Fatal(err)
			}
			learners = append(learners, authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}))
			names = append(names, u.Username)
		}
		bank, err := f.svc.Questions(f.sys, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		correct := map[int64][]int64{}
		for _, q := range bank {
			for _, o := range q.Options {
				if o.Correct {
					correct[q.ID] = append(correct[q.ID], o.ID)
				}
			}
		}
		open := map[int]training.AttemptView{}
		var codes []string
		everPassed := 0 // revocations withdraw passes: the sequence may end with none left
		for step := 0; step < 120; step++ {
			i := r.IntN(len(learners))
			me := learners[i]
			switch op := r.IntN(7); op {
			case 0:
				_, err = f.svc.Enrol(me, f.course.ID)
			case 1:
				_, err = f.svc.EnrolRoster(f.sys, f.course.ID, strings.NewReader("username\n"+names[i]+"\n"+names[r.IntN(len(names))]+"\n"))
				if apperr.Is(err, apperr.Invalid) { // the same name twice
					err = nil
				}
			case 2:
				u := authz.ActorFrom(me)
				_, err = f.svc.SetExtraTime(f.sys, f.course.ID, u.UserID, r.IntN(30))
			case 3, 4:
				var a training.AttemptView
				a, err = f.svc.StartAttempt(me, f.course.ID)
				if err == nil {
					open[i] = a
				}
			case 5:
				a, ok := open[i]
				if !ok {
					continue
				}
				good := r.IntN(2) == 0
				for _, q := range a.Questions {
					ch := correct[q.ID]
					if !good {
						ch = []int64{q.Options[len(q.Options)-1].ID}
					}
					if _, err = f.svc.SaveAnswer(me, a.ID, q.ID, ch); err != nil {
						break
					}
				}
				if err == nil {
					var res training.Result
					res, err = f.svc.Submit(me, a.ID)
					if res.CertificateCode != "" {
						codes = append(codes, res.CertificateCode)
					}
				}
				delete(open, i)
			case 6:
				if r.IntN(3) == 0 { // time passes: an open attempt times out at the sweep
					*f.clock = f.clock.Add(15 * time.Minute)
					_, err = f.svc.SweepExpired(f.sys)
					open = map[int]training.AttemptView{}
				} else if len(codes) > 0 {
					k := r.IntN(len(codes))
					_, err = f.svc.RevokeCertificate(f.sys, codes[k], "Kết quả bị huỷ khi kiểm tra lại")
					codes = append(codes[:k], codes[k+1:]...)
				}
			}
			if err != nil && !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("step %d: %v", step, err)
			}
			err = nil
			e, s, p := recount(t, d)
			tot, err := f.svc.TotalsFor(f.sys, f.course.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tot.Enrolled != e || tot.Started != s || tot.Passed != p {
				t.Fatalf("step %d: totals %+v, recount %d %d %d", step, tot, e, s, p)
			}
			everPassed = max(everPassed, p)
		}
		e, s, p := recount(t, d)
		if e == 0 || s == 0 || everPassed == 0 {
			t.Fatalf("the sequence should enrol, start and pass someone: %d %d %d", e, s, p)
		}
		rows, err := f.svc.Figures(f.sys, training.FigureFilter{CourseID: f.course.ID, Level: "commune", Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		var byCommune int
		for _, r := range rows {
			byCommune += r.Enrolled
		}
		var direct int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_enrolments e JOIN units u ON e.unit_path LIKE u.path || '%' WHERE u.level = 'commune' AND u.valid_to = ''").Scan(&direct); err != nil {
			t.Fatal(err)
		}
		if byCommune != direct {
			t.Fatalf("figures by commune sum to %d, enrolments in communes %d", byCommune, direct)
		}
	})
}

var genDigests sync.Map

// TestGenerate generates a small province on both engines: the counters equal a recount, the
// mix is about right, certificates verify, a learner can go on through the API, and the same
// seed gives the same rows on both engines.
func TestGenerate(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		sys := authz.WithActor(ctx, authz.System)
		if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
			t.Fatal(err)
		}
		org, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THCS Nghĩa Dõng", Kind: orgs.School, UnitCode: "522"})
		if err != nil {
			t.Fatal(err)
		}
		var communes []string
		rows, err := d.Reader().QueryContext(ctx, "SELECT code FROM units WHERE level = 'commune' AND valid_to = '' ORDER BY code LIMIT 20")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			_ = rows.Scan(&c)
			communes = append(communes, c)
		}
		rows.Close()
		// Learner accounts with plain INSERTs, as accounts.BulkCreate would make them.
		const n = 1200
		var learners []training.GenLearner
		err = d.WriteTx(ctx, func(tx *db.Tx) error {
			for i := 0; i < n; i++ {
				id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 1, 1) RETURNING id`,
					fmt.Sprintf("gen.%d", i), fmt.Sprintf("Người học %d", i))
				if err != nil {
					return err
				}
				l := training.GenLearner{UserID: id, UnitCode: communes[i%len(communes)], Audience: training.Audiences[i%len(training.Audiences)]}
				if i%5 == 0 {
					l.OrgID = org.ID
				}
				learners = append(learners, l)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		var progress []int
		res, err := training.Generate(ctx, d, training.GenSpec{Seed: 42, Learners: learners[:1000], Now: now, Progress: func(k int) { progress = append(progress, k) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(progress) == 0 || progress[len(progress)-1] != 1000 {
			t.Fatalf("progress %v", progress)
		}
		// A second run with more learners skips those already enrolled.
		res2, err := training.Generate(ctx, d, training.GenSpec{Seed: 42, Learners: learners, Now: now, Chunk: 70})
		if err != nil {
			t.Fatal(err)
		}
		if res2.CourseID != res.CourseID || res2.Skipped != 1000 || res2.Enrolled != n-1000 {
			t.Fatalf("second run %+v", res2)
		}
		e, s, p := recount(t, d)
		if e != n || s != res.Started+res2.Started || p != res.Passed+res2.Passed {
			t.Fatalf("recount %d %d %d; results %+v %+v", e, s, p, res, res2)
		}
		if s < n*60/100 || s > n*80/100 || p < n*40/100 || p > n*60/100 {
			t.Fatalf("mix: %d started, %d passed of %d", s, p, n)
		}
		var certs, distinct, attempts int
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT code) FROM training_certificates").Scan(&certs, &distinct); err != nil {
			t.Fatal(err)
		}
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM training_attempts").Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		if certs != p || distinct != p || attempts != res.Attempts+res2.Attempts {
			t.Fatalf("certificates %d (%d distinct), attempts %d; passed %d", certs, distinct, attempts, p)
		}
		// Every passed enrolment has its passing attempt and certificate; the dates lie in the 30 days.
		var bad int
		if err := d.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM training_enrolments e
			LEFT JOIN training_certificates c ON c.course_id = e.course_id AND c.user_id = e.user_id
			LEFT JOIN training_attempts a ON a.id = c.attempt_id
			WHERE (e.passed_at > 0 AND (c.id IS NULL OR a.passed <> 1 OR a.submitted_at <> e.passed_at OR c.issued_at <> e.passed_at))
			   OR (e.passed_at = 0 AND c.id IS NOT NULL)
			   OR e.enrolled_at < ? OR e.enrolled_at >= ? OR (e.started_at > 0 AND e.started_at < e.enrolled_at)`,
			db.Millis(now.Add(-30*24*time.Hour)), db.Millis(now)).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("%d inconsistent enrolments", bad)
		}
		svc := training.NewService(d)
		defer svc.Close()
		svc.Now = func() time.Time { return now }
		// Certificates verify; a learner who failed may try again through the API; one who passed may not.
		var code string
		var passer, failer int64
		if err := d.Reader().QueryRowContext(ctx, "SELECT code, user_id FROM training_certificates ORDER BY id LIMIT 1").Scan(&code, &passer); err != nil {
			t.Fatal(err)
		}
		if c, err := svc.FindCertificate(ctx, code); err != nil || c.Revoked || c.LearnerName == "" {
			t.Fatalf("certificate %s: %+v %v", code, c, err)
		}
		if err := d.Reader().QueryRowContext(ctx, `SELECT user_id FROM training_enrolments WHERE started_at > 0 AND passed_at = 0 AND
			(SELECT COUNT(*) FROM training_attempts a WHERE a.user_id = training_enrolments.user_id) = 1 ORDER BY user_id LIMIT 1`).Scan(&failer); err != nil {
			t.Fatal(err)
		}
		// The accounts above were inserted without grants; the seed gives each learner the grant of
		// its unit (accounts.BulkCreate), which is where the generator enrolled it.
		actor := func(id int64) context.Context {
			u, err := accounts.NewService(d).FindUser(sys, id)
			if err != nil {
				t.Fatal(err)
			}
			var unitPath string
			if err := d.Reader().QueryRowContext(ctx, "SELECT unit_path FROM training_enrolments WHERE user_id = ?", id).Scan(&unitPath); err != nil {
				t.Fatal(err)
			}
			return authz.WithActor(ctx, &authz.Actor{UserID: u.ID, Username: u.Username, Grants: append(u.Grants, authz.Grant{Role: authz.Learner, UnitPath: unitPath})})
		}
		if _, err := svc.StartAttempt(actor(passer), res.CourseID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("a passed learner starts again: %v", err)
		}
		a, err := svc.StartAttempt(actor(failer), res.CourseID)
		if err != nil || len(a.Questions) != 10 {
			t.Fatalf("start after a failed attempt: %v", err)
		}
		tot, err := svc.TotalsFor(sys, res.CourseID)
		if err != nil || tot.Enrolled != n || tot.Passed != p {
			t.Fatalf("totals %+v %v", tot, err)
		}
		// The same seed gives the same rows on both engines.
		h := sha256.New()
		for _, q := range []string{
			"SELECT user_id || '|' || org_path || '|' || unit_path || '|' || audience || '|' || enrolled_at || '|' || started_at || '|' || passed_at FROM training_enrolments",
			"SELECT id || '|' || user_id || '|' || layout || '|' || started_at || '|' || submitted_at || '|' || correct_count FROM training_attempts WHERE id <= " + fmt.Sprint(res.Attempts+res2.Attempts),
			"SELECT code || '|' || user_id || '|' || attempt_id || '|' || issued_at FROM training_certificates",
		} {
			var lines []string
			rows, err := d.Reader().QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				_ = rows.Scan(&s)
				lines = append(lines, s)
			}
			rows.Close()
			sort.Strings(lines)
			fmt.Fprintln(h, strings.Join(lines, "\n"))
		}
		sum := fmt.Sprintf("%x", h.Sum(nil))
		for _, other := range []string{"sqlite", "postgres"} {
			if v, ok := genDigests.Load(other); ok && v != sum {
				t.Fatalf("the same seed gave different rows on %s", other)
			}
		}
		genDigests.Store(string(d.Engine), sum)
	})
}

// BenchmarkGenerate measures learners per second on SQLite.
func BenchmarkGenerate(b *testing.B) {
	d := dbtest.SQLite(b, schema.All())
	ctx := context.Background()
	sys := authz.WithActor(ctx, authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		b.Fatal(err)
	}
	const n = 50000
	var learners []training.GenLearner
	err := d.WriteTx(ctx, func(tx *db.Tx) error {
		for i := 0; i < n; i++ {
			id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'x', 1, 1) RETURNING id`,
				fmt.Sprintf("gen.%d", i), fmt.Sprintf("Người học %d", i))
			if err != nil {
				return err
			}
			learners = append(learners, training.GenLearner{UserID: id, UnitCode: "21010", Audience: "citizens"})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM training_certificates; DELETE FROM training_attempts; DELETE FROM training_enrolments; DELETE FROM training_figures")
			return err
		}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := training.Generate(ctx, d, training.GenSpec{Seed: uint64(i), Learners: learners, Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "learners/s")
	}
}
