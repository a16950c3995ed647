package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// The writer no longer checkpoints; the background connection must, or the WAL grows forever.
func TestBackgroundCheckpointKeepsWALBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	ctx := context.Background()
	d, err := db.Open(ctx, path, db.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pad := string(make([]byte, 3000))
	write := func(n int) {
		for range n {
			if err := d.WriteTx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO t (pad) VALUES (?)", pad)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(3000) // about 9 MB through the WAL, well past SQLite's 4 MB automatic threshold
	deadline := time.Now().Add(10 * time.Second)
	for d.CheckpointPasses() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d.CheckpointPasses() == 0 {
		t.Fatal("no background checkpoint within 10 s")
	}
	// Once checkpointed, the writer restarts the WAL from its beginning: writing as much again must
	// not double the file.
	time.Sleep(time.Second)
	before := walSize(t, path)
	write(3000)
	time.Sleep(time.Second)
	write(1)
	if after := walSize(t, path); after > before+before/2 {
		t.Errorf("WAL grew from %d to %d bytes: checkpoints do not keep up", before, after)
	}
	var n int
	if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 6001 {
		t.Fatalf("rows = %d, %v", n, err)
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// A writer that never pauses still gets a bounded WAL: the RESTART past the limit lets it start
// over from the beginning of the file.
func TestWALBoundedUnderContinuousWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cw.db")
	ctx := context.Background()
	d, err := db.Open(ctx, path, db.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 8000)
	var peak int64
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for range 20 {
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (pad) VALUES (?)", pad); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > peak {
			peak = st.Size()
		}
	}
	// About 20 MB/s of pages for 8 s: without the restart the WAL would hold all of it.
	if peak > 200<<20 {
		t.Errorf("WAL reached %d MB under continuous writes", peak>>20)
	}
}
