package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MigrationSet is one domain package's schema history: files named NNNN_description.sql under
// migrations/sqlite/ and migrations/postgres/ in FS. Versions are forward-only; a file, once released, never changes.
type MigrationSet struct {
	Module string
	FS     fs.FS
}

type migration struct {
	module  string
	version int
	name    string
	sql     string
}

// migrationLockKey is an arbitrary constant that serialises migrations of several instances
// starting together over one PostgreSQL database.
const migrationLockKey = 20230705

// Migrate applies every migration not yet applied, module by module in the order given (later
// modules may reference earlier ones' tables). Each migration runs in its own transaction together
// with the row that records it, so a failure leaves the schema at the previous version.
func (db *DB) Migrate(ctx context.Context, sets []MigrationSet) (applied int, err error) {
	all, err := db.loadMigrations(sets)
	if err != nil {
		return 0, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if db.Engine == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return 0, fmt.Errorf("db: migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		module TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL,
		PRIMARY KEY (module, version))`); err != nil {
		return 0, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	done := map[string]bool{}
	rows, err := conn.QueryContext(ctx, "SELECT module, version FROM schema_migrations")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var m string
		var v int
		if err := rows.Scan(&m, &v); err != nil {
			rows.Close()
			return 0, err
		}
		done[m+"/"+strconv.Itoa(v)] = true
	}
	rows.Close()
	for _, m := range all {
		if done[m.module+"/"+strconv.Itoa(m.version)] {
			continue
		}
		if err := db.applyMigration(ctx, conn, m); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}

func (db *DB) applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	body, err := db.expandMigration(ctx, tx, m.sql)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("db: migration %s/%04d_%s: %w", m.module, m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		tx.Rollback()
		return fmt.Errorf("db: migration %s/%04d_%s: %w", m.module, m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, db.Rebind("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)"),
		m.module, m.version, m.name, time.Now().UnixMilli()); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// schemaVersionNext is replaced, in a SQLite migration, by the schema version plus one: a
// migration that edits stored table definitions (PRAGMA writable_schema, the procedure SQLite
// documents for dropping a foreign key) must raise the version so that every connection, this one
// included, reads the new definitions.
const schemaVersionNext = "{{SCHEMA_VERSION_NEXT}}"

func (db *DB) expandMigration(ctx context.Context, tx *sql.Tx, body string) (string, error) {
	if db.Engine != SQLite || !strings.Contains(body, schemaVersionNext) {
		return body, nil
	}
	var v int64
	if err := tx.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&v); err != nil {
		return "", err
	}
	return strings.ReplaceAll(body, schemaVersionNext, strconv.FormatInt(v+1, 10)), nil
}

// Pending lists the migrations not yet applied, as module/NNNN_name.
func (db *DB) Pending(ctx context.Context, sets []MigrationSet) ([]string, error) {
	all, err := db.loadMigrations(sets)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	rows, err := db.read.QueryContext(ctx, "SELECT module, version FROM schema_migrations")
	if err == nil {
		for rows.Next() {
			var m string
			var v int
			if rows.Scan(&m, &v) == nil {
				done[m+"/"+strconv.Itoa(v)] = true
			}
		}
		rows.Close()
	}
	var out []string
	for _, m := range all {
		if !done[m.module+"/"+strconv.Itoa(m.version)] {
			out = append(out, fmt.Sprintf("%s/%04d_%s", m.module, m.version, m.name))
		}
	}
	return out, nil
}

func (db *DB) loadMigrations(sets []MigrationSet) ([]migration, error) {
	var all []migration
	for _, set := range sets {
		dir := "migrations/" + string(db.Engine)
		entries, err := fs.ReadDir(set.FS, dir)
		if err != nil {
			return nil, fmt.Errorf("db: migrations of %s for %s: %w", set.Module, db.Engine, err)
		}
		var ms []migration
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			base := strings.TrimSuffix(e.Name(), ".sql")
			num, name, ok := strings.Cut(base, "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil || v <= 0 {
				return nil, fmt.Errorf("db: migration file %s/%s: want NNNN_name.sql", set.Module, e.Name())
			}
			body, err := fs.ReadFile(set.FS, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			ms = append(ms, migration{module: set.Module, version: v, name: name, sql: string(body)})
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
		for i := 1; i < len(ms); i++ {
			if ms[i].version == ms[i-1].version {
				return nil, fmt.Errorf("db: module %s has two migrations numbered %d", set.Module, ms[i].version)
			}
		}
		all = append(all, ms...)
	}
	return all, nil
}
