// Package dbtest runs store tests on every engine: always on SQLite in a temporary folder and, when
// LANTOA_TEST_POSTGRES_URL is set, on PostgreSQL in a throwaway schema dropped afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// EnvPostgres names the variable that points the tests at a PostgreSQL server.
const EnvPostgres = "LANTOA_TEST_POSTGRES_URL"

// Each runs fn as two subtests, "sqlite" and "postgres", each on a fresh, migrated database.
func Each(t *testing.T, sets []db.MigrationSet, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t, sets))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Postgres(t, sets))
	})
}

// SQLite opens a fresh, migrated SQLite database that lives as long as the test.
func SQLite(t testing.TB, sets []db.MigrationSet) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), db.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background(), sets); err != nil {
		t.Fatal(err)
	}
	return d
}

// Postgres opens a fresh, migrated PostgreSQL schema, or skips the test when no server is
// configured. Under CI=true a missing server fails the test instead: CI must run every engine.
func Postgres(t testing.TB, sets []db.MigrationSet) *db.DB {
	t.Helper()
	source := PostgresURL(t)
	d, err := db.Open(context.Background(), source, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background(), sets); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresURL creates a throwaway schema and returns a URL whose connections use it; the schema is
// dropped when the test ends. It skips (or fails under CI) when no server is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://… to run them", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
