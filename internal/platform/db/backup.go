package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
)

// BackupTo writes a consistent copy of a SQLite database to path with VACUUM INTO. It runs on a
// connection of its own inside one read transaction, so under WAL the server keeps writing while
// the copy is made, and the copy is the database as of the moment the backup began.
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.Engine != SQLite {
		return errors.New("db: BackupTo is for SQLite; use pg_dump for PostgreSQL")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	conn, err := sql.Open("sqlite", fileURI(db.Source)+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer conn.Close()
	// The copy holds citizens' personal data and password hashes: it is created readable by its
	// owner only (VACUUM INTO accepts an existing empty file), never with the umask's 0644.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("db: backup to %s: %w", path, err)
	}
	f.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("db: backup to %s: %w", path, err)
	}
	return nil
}

func openCheckConn(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	return sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
}

// Restore replaces the SQLite database at target with the backup at source. It refuses when a
// server holds target (LockServing) or any other lantoa process has it open (lockAllUsers),
// checks the backup's integrity first, copies it beside the target and renames it into place (so
// a crash mid-way leaves the old database whole), removes the stale -wal and -shm files of the
// old database, and checks the result. An existing target is only replaced when overwrite is set.
func Restore(source, target string, overwrite bool) error {
	if verdict, err := IntegrityCheck(source); err != nil {
		return fmt.Errorf("db: read backup: %w", err)
	} else if verdict != "ok" {
		return fmt.Errorf("db: backup fails its integrity check: %s", verdict)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return err
	}
	release, err := LockServing(target)
	if err != nil {
		return err
	}
	defer release()
	releaseUsers, err := lockAllUsers(target)
	if err != nil {
		return err
	}
	defer releaseUsers()
	if _, err := os.Stat(target); err == nil && !overwrite {
		return fmt.Errorf("db: %s exists; pass --force to replace it", target)
	}
	tmp := target + ".restore-tmp"
	if err := copyFile(source, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	for _, stale := range []string{target + "-wal", target + "-shm"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("db: remove stale %s: %w", stale, err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	if dir, err := os.Open(filepath.Dir(target)); err == nil {
		dir.Sync()
		dir.Close()
	}
	verdict, err := IntegrityCheck(target)
	if err != nil {
		return err
	}
	if verdict != "ok" {
		return fmt.Errorf("db: restored database fails its integrity check: %s", verdict)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
