package accounts_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
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
)

// clock is a settable time shared by the services of a test and their job goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pupilFixture is a school, its administrator (signed in as ctx), another administrator and two
// instances' services over one database with one clock.
type pupilFixture struct {
	a, b       *accounts.Service
	clock      *clock
	sys, admin context.Context
	other      context.Context
	schoolID   int64
}

func newPupilFixture(t testing.TB, d *db.DB) *pupilFixture {
	t.Helper()
	a, sys := setup(t, d)
	f := &pupilFixture{a: a, b: accounts.NewService(d), clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}, sys: sys}
	a.Now, f.b.Now = f.clock.Now, f.clock.Now
	school, err := orgs.NewService(d).Create(sys, orgs.Org{Name: "Trường THCS Ba Tơ", Kind: orgs.School, UnitCode: "535"})
	if err != nil {
		t.Fatal(err)
	}
	f.schoolID = school.ID
	signIn := func(username string, n accounts.NewUser) context.Context {
		n.Username, n.Password = username, pw
		u, err := a.CreateUser(sys, n)
		if err != nil {
			t.Fatal(err)
		}
		return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
	}
	f.admin = signIn("bgh.thcs.bato", accounts.NewUser{Role: authz.OrgAdmin, OrgID: school.ID})
	f.other = signIn("ubnd.bato", accounts.NewUser{Role: authz.UnitAdmin, UnitCode: "535"})
	return f
}

func (f *pupilFixture) roster(t *testing.T, names ...string) accounts.PupilRoster {
	t.Helper()
	csv := "ho_ten,ngay_sinh,lop\n"
	for _, n := range names {
		csv += fmt.Sprintf("%s,%d,12A1\n", n, f.clock.Now().Year()-18)
	}
	ro, err := f.a.CheckPupilRoster(f.admin, f.schoolID, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return ro
}

func countPupils(t *testing.T, d *db.DB, schoolID int64) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM pupil_profiles WHERE org_id = ?", schoolID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A job started on one instance is followed and opened on another; the list opens only with the
// key and only for the administrator who started it; the table keeps it sealed.
func TestPupilJobStore(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPupilFixture(t, d)
		ro := f.roster(t, "Hồ Văn Đức", "Nguyễn Thị Lan", "Trần Văn Tư")
		job, err := f.a.StartPupilJob(f.admin, ro, nil)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != accounts.PupilJobQueued || job.Total != 3 || job.Key == "" || len(job.ID) != 32 {
			t.Fatalf("started %+v", job)
		}
		deadline := time.Now().Add(60 * time.Second)
		var got accounts.PupilJob
		for {
			if got, err = f.b.PupilJob(f.admin, job.ID, job.Key); err != nil {
				t.Fatal(err)
			}
			if got.State == accounts.PupilJobDone || got.State == accounts.PupilJobFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s", got.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got.State != accounts.PupilJobDone || got.Done != 3 || got.School != "Trường THCS Ba Tơ" || got.Key != "" ||
			got.ExpiresAt == nil || !got.ExpiresAt.Equal(f.clock.Now().Add(accounts.JobTTL)) {
			t.Fatalf("finished %+v", got)
		}
		_, creds, err := f.b.PupilJobCredentials(f.admin, job.ID, job.Key)
		if err != nil || len(creds) != 3 || creds[0].FullName != "Hồ Văn Đức" || creds[0].Class != "12A1" || !strings.HasPrefix(creds[0].Username, "hs") {
			t.Fatalf("credentials %+v %v", creds, err)
		}
		if _, err := f.a.Authenticate(f.sys, creds[2].Username, creds[2].Password, "127.0.0.1"); err != nil {
			t.Fatalf("one-time password: %v", err)
		}
		// Nothing in the row reads as a password or the key.
		var sealed []byte
		var check, state string
		if err := d.Reader().QueryRowContext(f.sys, "SELECT sealed, key_check, state FROM pupil_jobs WHERE id = ?", job.ID).Scan(&sealed, &check, &state); err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(job.Key)
		for _, c := range creds {
			if bytes.Contains(sealed, []byte(c.Password)) || bytes.Contains(sealed, []byte(c.Username)) || bytes.Contains(sealed, raw) || strings.Contains(check, job.Key) {
				t.Fatalf("%s readable in the row", c.Username)
			}
		}
		// Another key, no key, a key of the wrong size: forbidden; another administrator, a job that
		// does not exist: not found; nobody signed in: unauthenticated.
		other := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		for _, k := range []string{other, "", "abc", job.Key + "A"} {
			if _, err := f.b.PupilJob(f.admin, job.ID, k); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("poll with key %q: %v", k, err)
			}
			if _, c, err := f.b.PupilJobCredentials(f.admin, job.ID, k); !apperr.Is(err, apperr.Forbidden) || c != nil {
				t.Errorf("download with key %q: %v", k, err)
			}
		}
		if _, err := f.b.PupilJob(f.other, job.ID, job.Key); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another administrator: %v", err)
		}
		if _, _, err := f.b.PupilJobCredentials(f.other, job.ID, job.Key); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another administrator's download: %v", err)
		}
		if _, err := f.b.PupilJob(f.admin, strings.Repeat("ab", 16), job.Key); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown job: %v", err)
		}
		if _, err := f.b.PupilJob(context.Background(), job.ID, job.Key); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
		// Past its hour: the list is deleted and refused; the job still tells it was done.
		f.clock.Add(accounts.JobTTL)
		if _, _, err := f.b.PupilJobCredentials(f.admin, job.ID, job.Key); !apperr.Is(err, apperr.NotFound) || apperr.As(err).Key != "accounts.pupils.job_expired" {
			t.Fatalf("expired download: %v", err)
		}
		if err := d.Reader().QueryRowContext(f.sys, "SELECT sealed FROM pupil_jobs WHERE id = ?", job.ID).Scan(&sealed); err != nil || sealed != nil {
			t.Fatalf("expired list kept: %d bytes %v", len(sealed), err)
		}
		if got, err := f.a.PupilJob(f.admin, job.ID, job.Key); err != nil || got.State != accounts.PupilJobDone {
			t.Fatalf("expired job %+v %v", got, err)
		}
	})
}

// A job whose instance stopped (no heartbeat for two minutes) reads as failed, on any instance, and
// can no longer create its accounts: the late run's transaction is refused and rolled back.
func TestPupilJobStale(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPupilFixture(t, d)
		ro := f.roster(t, "Hồ Văn Đức")
		job, key, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		k := base64.RawURLEncoding.EncodeToString(key)
		f.clock.Add(accounts.PupilJobStale)
		if got, err := f.b.PupilJob(f.admin, job.ID, k); err != nil || got.State != accounts.PupilJobQueued {
			t.Fatalf("within two minutes: %+v %v", got, err)
		}
		f.clock.Add(time.Second)
		got, err := f.b.PupilJob(f.admin, job.ID, k)
		if err != nil || got.State != accounts.PupilJobFailed || got.Err == nil || got.Err.Key != "accounts.pupils.job_stale" {
			t.Fatalf("stale job: %+v %v", got, err)
		}
		// The instance comes back and runs it anyway: nothing is created.
		f.a.RunPupilJobForTest(f.admin, job, key, ro)
		if n := countPupils(t, d, f.schoolID); n != 0 {
			t.Fatalf("a stale job created %d pupils", n)
		}
		if got, _ := f.a.PupilJob(f.admin, job.ID, k); got.State != accounts.PupilJobFailed || got.Err.Key != "accounts.pupils.job_stale" {
			t.Fatalf("after the late run: %+v", got)
		}
		// A job whose instance stays up ends done.
		job2, key2, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		f.a.RunPupilJobForTest(f.admin, job2, key2, ro)
		if got, err := f.b.PupilJob(f.admin, job2.ID, base64.RawURLEncoding.EncodeToString(key2)); err != nil || got.State != accounts.PupilJobDone || got.Done != 1 {
			t.Fatalf("second job %+v %v", got, err)
		}
		if n := countPupils(t, d, f.schoolID); n != 1 {
			t.Fatalf("%d pupils, want 1", n)
		}
	})
}

// A failed job keeps the reason's key and arguments; the purge deletes lists past their hour,
// fails stale jobs and deletes rows past 30 days.
func TestPupilJobFailureAndPurge(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newPupilFixture(t, d)
		ro := f.roster(t, "Hồ Văn Đức")
		// Run by someone who may not create learners in the school: refused, nothing created.
		job, key, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		k := base64.RawURLEncoding.EncodeToString(key)
		outsider := authz.WithActor(context.Background(), &authz.Actor{UserID: 999999, Username: "x"})
		f.a.RunPupilJobForTest(outsider, job, key, ro)
		got, err := f.b.PupilJob(f.admin, job.ID, k)
		if err != nil || got.State != accounts.PupilJobFailed || got.Err == nil || got.Err.Key != "accounts.error.grant_forbidden" || len(got.Err.Args) != 0 {
			t.Fatalf("refused job %+v %v", got, err)
		}
		if n := countPupils(t, d, f.schoolID); n != 0 {
			t.Fatalf("a refused job created %d pupils", n)
		}
		// A reason with an argument keeps it; a job that has ended is not failed again.
		job2, key2, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		f.a.FailPupilJobForTest(f.sys, job2, apperr.New(apperr.Conflict, "accounts.error.username_taken", "hs1.duchv08"))
		f.a.FailPupilJobForTest(f.sys, job2, apperr.New(apperr.Internal, "error.internal"))
		got, err = f.b.PupilJob(f.admin, job2.ID, base64.RawURLEncoding.EncodeToString(key2))
		if err != nil || got.State != accounts.PupilJobFailed || got.Err.Key != "accounts.error.username_taken" || fmt.Sprint(got.Err.Args) != "[hs1.duchv08]" {
			t.Fatalf("failed job %+v %v", got, err)
		}
		// Purge: one finished list past its hour, one stale job, then every row past 30 days.
		done, doneKey, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		f.a.RunPupilJobForTest(f.admin, done, doneKey, ro)
		stale, _, err := f.a.NewPupilJobForTest(f.admin, ro)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(accounts.JobTTL)
		n, err := f.b.PurgePupilJobs(f.sys)
		if err != nil || n != 1 {
			t.Fatalf("purged %d lists: %v", n, err)
		}
		var state, errKey string
		var sealed []byte
		if err := d.Reader().QueryRowContext(f.sys, "SELECT state, error_key FROM pupil_jobs WHERE id = ?", stale.ID).Scan(&state, &errKey); err != nil ||
			state != "failed" || errKey != "accounts.pupils.job_stale" {
			t.Fatalf("stale job after the purge: %s %s %v", state, errKey, err)
		}
		if err := d.Reader().QueryRowContext(f.sys, "SELECT state, sealed FROM pupil_jobs WHERE id = ?", done.ID).Scan(&state, &sealed); err != nil || state != "done" || sealed != nil {
			t.Fatalf("finished job after the purge: %s, %d bytes, %v", state, len(sealed), err)
		}
		f.clock.Add(31 * 24 * time.Hour)
		if _, err := f.b.PurgePupilJobs(f.sys); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := d.Reader().QueryRowContext(f.sys, "SELECT COUNT(*) FROM pupil_jobs").Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d rows left after 31 days: %v", left, err)
		}
	})
}
