package outreach_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/schema"
)

// BenchmarkSaveRecordParallel stores records from 32 goroutines (32 members) on a fresh SQLite
// database with synchronous=FULL, as serve runs it, and reports records/s. The "batch1" case is
// the same-run baseline: one transaction (one fsync) per record, one at a time.
func BenchmarkSaveRecordParallel(b *testing.B) {
	for _, c := range []struct {
		name  string
		batch int
	}{{"groupcommit", 256}, {"baseline-batch1", 1}} {
		b.Run(c.name, func(b *testing.B) {
			d, err := db.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), db.Options{Synchronous: "FULL"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			if _, err := d.Migrate(context.Background(), schema.All()); err != nil {
				b.Fatal(err)
			}
			f := setup(b, d)
			f.svc.Close()
			f.svc = outreach.NewServiceBatch(d, f.acc, c.batch)
			b.Cleanup(f.svc.Close)
			f.svc.Now = func() time.Time { return f.now }
			const workers = 32
			ctxs := make([]context.Context, workers)
			for i := range ctxs {
				ctxs[i], _ = f.member(f.commune)
			}
			// Warm the catalogue and unit caches outside the timed part.
			if _, err := f.svc.SaveRecord(ctxs[0], f.input(1, "Khởi động", "0905000000")); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			next.Store(1)
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			b.ResetTimer()
			for g := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n := int(next.Add(1))
						if n > b.N+1 {
							return
						}
						in := f.input(n, fmt.Sprintf("Người dân %d", n), fmt.Sprintf("09%08d", n))
						in.VillageCode = f.village
						if _, err := f.svc.SaveRecord(ctxs[g], in); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
