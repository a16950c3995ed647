package db

// Queued tells how many writes wait for the batcher's next batch.
func Queued(b *Batcher) int { return len(b.jobs) }

// CachedStatements tells how many statements ExecCached keeps prepared.
func CachedStatements(d *DB) int {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	return len(d.stmts)
}
