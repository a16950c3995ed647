package benchkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// A driver that reports how many writes per second a server acknowledged has shown nothing unless
// those writes are in the database afterwards: a server that answered before committing, or lost
// a batch, would look fastest. So every driver counts what it was told had been saved and, after
// the run, compares it with what the database holds; Check prints that comparison and turns a
// mismatch into an error, which the driver reports and exits non-zero on.

// ErrPersistence is wrapped by every failed persistence check.
var ErrPersistence = fmt.Errorf("persistence check failed")

// Check prints "persistence check — what: acknowledged A, in the database F: ok" (or FAILED) to w
// and to stderr when it fails, and returns an error wrapping ErrPersistence unless found equals
// acknowledged.
func Check(w io.Writer, what string, acknowledged, found int64) error {
	verdict := "ok"
	if acknowledged != found {
		verdict = "FAILED"
	}
	line := fmt.Sprintf("persistence check — %s: acknowledged %d, in the database %d: %s", what, acknowledged, found, verdict)
	fmt.Fprintln(w, line)
	if verdict != "ok" {
		if w != os.Stderr && w != os.Stdout {
			fmt.Fprintln(os.Stderr, line)
		}
		return fmt.Errorf("%w: %s: acknowledged %d, found %d", ErrPersistence, what, acknowledged, found)
	}
	return nil
}

// Count runs a SELECT COUNT(*)-like query (one integer) on q.
func Count(ctx context.Context, q db.Querier, query string, args ...any) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count for the persistence check: %w", err)
	}
	return n, nil
}

// CountIn opens the database dbArg (a SQLite file or a PostgreSQL URL; what a child server ran on)
// just for the count, so that a driver whose server is another process reads what that process
// committed, not what it said.
func CountIn(dbArg, query string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := db.Open(ctx, dbArg, db.Options{})
	if err != nil {
		return 0, fmt.Errorf("open %s for the persistence check: %w", dbArg, err)
	}
	defer d.Close()
	return Count(ctx, d.Reader(), query, args...)
}

// Pct is the percentile every driver reports since issue 16: the nearest rank over every sample
// of the run (all rounds pooled, no sample dropped), of a sorted slice.
func Pct(sorted []time.Duration, p float64) time.Duration { return NearestRank(sorted, p) }

// Dist summarises every sample of a run.
type Dist struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// Summarize sorts a copy of every sample and takes the percentiles over all of them.
func Summarize(samples []time.Duration) Dist {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return Dist{}
	}
	return Dist{N: len(s), P50: Pct(s, .50), P95: Pct(s, .95), P99: Pct(s, .99), Max: s[len(s)-1]}
}

func (d Dist) String() string {
	return fmt.Sprintf("n %d, p50 %s, p95 %s, p99 %s, max %s", d.N, Ms(d.P50), Ms(d.P95), Ms(d.P99), Ms(d.Max))
}
