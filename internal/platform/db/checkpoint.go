package db

import (
	"context"
	"database/sql"
	"net/url"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the background connection copies committed WAL frames into the
// database file, so that the writer's own checkpoint (every 4,096 pages) finds little left to do.
const checkpointEvery = 250 * time.Millisecond

type checkpointer struct {
	conn   *sql.DB
	quit   chan struct{}
	done   chan struct{}
	passes atomic.Int64 // checkpoints that copied at least one frame, for tests and metrics
}

// startCheckpointer opens a connection of its own (query_only would forbid the copy) and runs
// PASSIVE checkpoints on it: they never wait for readers or block the writer.
func startCheckpointer(path string, pragmas url.Values) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", fileURI(path)+"?"+pragmas.Encode())
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	c := &checkpointer{conn: conn, quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			c.pass()
		}
	}
}

// pass runs one PASSIVE checkpoint. A failure (the file went away in a restore test, say) is left
// for the next pass: the WAL only grows meanwhile, it loses nothing.
func (c *checkpointer) pass() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy, logFrames, copied int
	if err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied); err == nil && copied > 0 {
		c.passes.Add(1)
	}
}

func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.done
	return c.conn.Close()
}

// CheckpointPasses counts the background checkpoints that copied WAL frames (SQLite; 0 on
// PostgreSQL).
func (db *DB) CheckpointPasses() int64 {
	if db.checkpointer == nil {
		return 0
	}
	return db.checkpointer.passes.Load()
}
