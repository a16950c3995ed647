package db

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts are statements prepared on the SQLite reader pool for the hottest reads (the bearer
// token's actor on every API request): modernc's SQLite parses a statement's text anew on every
// plain query, which cost about a sixth of the CPU of a record's API request. database/sql keeps a
// prepared statement per pool connection by itself. PostgreSQL needs none of this: pgx caches
// statements per connection already.
type readStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// QueryPrepared runs a read through a statement prepared once on the reader pool (SQLite), or as
// a plain query (PostgreSQL). For a few fixed, hot query texts only: each text is kept until Close.
func (db *DB) QueryPrepared(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if db.Engine != SQLite {
		return db.read.QueryContext(ctx, db.Rebind(q), args...)
	}
	db.readStmts.mu.Lock()
	st, ok := db.readStmts.m[q]
	if !ok {
		var err error
		if st, err = db.read.PrepareContext(ctx, q); err != nil {
			db.readStmts.mu.Unlock()
			return db.read.QueryContext(ctx, q, args...)
		}
		if db.readStmts.m == nil {
			db.readStmts.m = map[string]*sql.Stmt{}
		}
		db.readStmts.m[q] = st
	}
	db.readStmts.mu.Unlock()
	return st.QueryContext(ctx, args...)
}

func (db *DB) closeReadStmts() {
	db.readStmts.mu.Lock()
	defer db.readStmts.mu.Unlock()
	for _, st := range db.readStmts.m {
		st.Close()
	}
	db.readStmts.m = nil
}
