package db

// Queued tells how many writes wait for the batcher's next batch.
func Queued(b *Batcher) int { return len(b.jobs) }

// CachedStatements tells how many statements ExecCached keeps prepared.
func CachedStatements(d *DB) int {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	return len(d.stmts)
}

// PlannedArgs is what the reader passes to the driver for query q.
func PlannedArgs(d *DB, q string, args ...any) []any { return reader{d}.planned(q, args) }
