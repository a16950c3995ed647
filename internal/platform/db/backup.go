package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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
	conn, err := sql.Open("sqlite", "file:"+db.Source+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("db: backup to %s: %w", path, err)
	}
	return nil
}
