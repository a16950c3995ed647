package outreach_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// TestConcurrentSharedCitizens posts, from many members at once, records that name the same few
// citizens in several villages, so that concurrent transactions flag each other's records and
// move the same counter rows (on PostgreSQL each record is its own transaction: deadlocks are
// retried). Every post must succeed, replays must stay idempotent, and the counters must equal a
// recount.
func TestConcurrentSharedCitizens(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		us := units.NewService(d)
		villages := []string{f.village}
		for i := range 3 {
			v, err := us.CreateVillage(f.sys, units.Unit{Name: fmt.Sprintf("Thôn Đồng Thời %d", i), ParentCode: f.commune})
			if err != nil {
				t.Fatal(err)
			}
			villages = append(villages, v.Code)
		}
		const members, perMember = 8, 24
		ctxs := make([]context.Context, members)
		for i := range ctxs {
			ctxs[i], _ = f.member(f.commune)
		}
		var wg sync.WaitGroup
		errs := make(chan error, members*perMember*2)
		ids := make([][]int64, members)
		for g := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range perMember {
					n := 100000 + g*1000 + k
					in := f.input(n, fmt.Sprintf("Người dân %d", k%5), fmt.Sprintf("09050000%02d", (k*7+g*3)%40))
					in.VillageCode = villages[(g+k)%len(villages)]
					res, err := f.svc.SaveRecord(ctxs[g], in)
					if err != nil {
						errs <- fmt.Errorf("member %d record %d: %w", g, k, err)
						continue
					}
					ids[g] = append(ids[g], res.Record.ID)
					if k%6 == 0 { // the phone sends it again
						again, err := f.svc.SaveRecord(ctxs[g], in)
						if err != nil || again.Created || again.Record.ID != res.Record.ID {
							errs <- fmt.Errorf("replay of member %d record %d: %v created=%v id %d/%d", g, k, err, again.Created, again.Record.ID, res.Record.ID)
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		t.Logf("%s: %d deadlocked transactions retried", d.Engine, f.svc.Retries())
		c := f.campaign.ID
		count := func(q string, args ...any) int64 {
			var n int64
			if err := d.Reader().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("SELECT COUNT(*) FROM outreach_records WHERE campaign_id = ?", c); n != members*perMember {
			t.Fatalf("%d records stored, %d posted", n, members*perMember)
		}
		sameMaps(t, "unit counters", queryMap(t, d, "SELECT unit_code, records, flagged FROM outreach_unit_counts WHERE campaign_id = ?", c),
			queryMap(t, d, "SELECT unit_code, COUNT(*), SUM(flagged) FROM outreach_records WHERE campaign_id = ? GROUP BY unit_code", c))
		if a, b := count("SELECT COALESCE(SUM(citizens), 0) FROM outreach_unit_counts WHERE campaign_id = ?", c), count("SELECT COUNT(DISTINCT citizen_key) FROM outreach_records WHERE campaign_id = ?", c); a != b || a < 20 {
			t.Errorf("distinct citizens counted %d, recounted %d, want at least 20", a, b)
		}
		if n := count("SELECT COUNT(*) FROM outreach_records WHERE campaign_id = ? AND flagged = 0", c); n != 0 {
			t.Errorf("%d records of shared citizens not flagged", n)
		}
		sameMaps(t, "member counters", queryMap(t, d, "SELECT member_id, records, citizens FROM outreach_member_counts WHERE campaign_id = ?", c),
			queryMap(t, d, "SELECT member_id, COUNT(*), COUNT(DISTINCT citizen_key) FROM outreach_records WHERE campaign_id = ? GROUP BY member_id", c))
		_ = outreach.Record{}
	})
}

// TestDeadlockRetried makes two writes lock two counter rows in opposite orders at the same
// moment: on PostgreSQL one of them is chosen as the deadlock victim (40P01) and must be run
// again whole, so that both take effect exactly once.
func TestDeadlockRetried(t *testing.T) {
	d := dbtest.Postgres(t, schema.All())
	f := setup(t, d)
	svc := outreach.NewService(d, f.acc)
	defer svc.Close()
	ctx := context.Background()
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO outreach_unit_counts (campaign_id, unit_code, unit_path, records) VALUES (?, 'a', '/a/', 0), (?, 'b', '/b/', 0)", f.campaign.ID, f.campaign.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var arrived sync.WaitGroup
	arrived.Add(2)
	var first [2]sync.Once
	bump := func(tx *db.Tx, code string) error {
		_, err := tx.ExecContext(ctx, "UPDATE outreach_unit_counts SET records = records + 1 WHERE campaign_id = ? AND unit_code = ?", f.campaign.ID, code)
		return err
	}
	run := func(i int, one, two string) error {
		return svc.WriteForTest(ctx, func(tx *db.Tx) error {
			if err := bump(tx, one); err != nil {
				return err
			}
			first[i].Do(func() { arrived.Done(); arrived.Wait() }) // both hold their first row
			return bump(tx, two)
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = run(0, "a", "b") }()
	go func() { defer wg.Done(); errs[1] = run(1, "b", "a") }()
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("writes failed: %v / %v", errs[0], errs[1])
	}
	if svc.Retries() == 0 {
		t.Fatal("no deadlock happened: the test proves nothing")
	}
	m := queryMap(t, d, "SELECT unit_code, records FROM outreach_unit_counts WHERE campaign_id = ? AND unit_code IN ('a', 'b')", f.campaign.ID)
	if m["a"] != "2" || m["b"] != "2" {
		t.Errorf("counters after the retried deadlock: %v, want 2 each", m)
	}
}
