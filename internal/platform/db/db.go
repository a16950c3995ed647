// Package db opens Lan Tỏa's database on either engine and hides the few places where SQLite and
// PostgreSQL differ: placeholders, connection pools, write transactions and migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names a database engine.
type Engine string

// The engines Lan Tỏa runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is a handle on the database. Reads go to a pool of readers; writes go through WriteTx, which on
// SQLite is served by a single connection so that writers queue in Go instead of failing with
// SQLITE_BUSY.
type DB struct {
	Engine Engine
	// Source is the path or URL the database was opened from, with any password removed.
	Source string

	read  *sql.DB
	write *sql.DB

	rebindMu    sync.RWMutex
	rebindCache map[string]string

	// stmts are statements prepared on the SQLite writer connection for Tx.ExecCached; nil once closed.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	// readStmts are prepared on the reader pool (QueryPrepared).
	readStmts readStmts

	// checkpointer copies the SQLite WAL into the database file off the commit path; nil on PostgreSQL.
	checkpointer *checkpointer
	// releaseUse drops this handle's shared "in use" lock on a SQLite file (see lockInUse).
	releaseUse func()
}

// Options tune Open. The zero value is what `serve` uses.
type Options struct {
	// Synchronous is SQLite's synchronous pragma; FULL (the default) makes an acknowledged commit
	// survive power loss.
	Synchronous string
	// ReadConns caps the reader pool; 0 means 2 × GOMAXPROCS (at least 4).
	ReadConns int
}

// Open opens a database. A source that starts with postgres:// or postgresql:// selects PostgreSQL;
// anything else is a path to a SQLite file, whose folder is created when missing.
func Open(ctx context.Context, source string, opt Options) (*DB, error) {
	if opt.ReadConns <= 0 {
		opt.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if IsPostgresURL(source) {
		return openPostgres(ctx, source, opt)
	}
	return openSQLite(ctx, source, opt)
}

// IsPostgresURL tells whether source names a PostgreSQL database rather than a SQLite file.
func IsPostgresURL(source string) bool {
	return strings.HasPrefix(source, "postgres://") || strings.HasPrefix(source, "postgresql://")
}

func openSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: empty SQLite path")
	}
	sync := strings.ToUpper(opt.Synchronous)
	if sync == "" {
		sync = "FULL"
	}
	switch sync {
	case "OFF", "NORMAL", "FULL", "EXTRA":
	default:
		return nil, fmt.Errorf("db: unknown synchronous mode %q", opt.Synchronous)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: create folder for %s: %w", path, err)
		}
	}
	releaseUse, err := lockInUse(path)
	if err != nil {
		return nil, err
	}
	d, err := openSQLiteLocked(ctx, path, opt, sync)
	if err != nil {
		releaseUse()
		return nil, err
	}
	d.releaseUse = releaseUse
	return d, nil
}

func openSQLiteLocked(ctx context.Context, path string, opt Options, sync string) (*DB, error) {
	// busy_timeout comes first so that every later pragma already waits instead of failing.
	pragmas := []string{
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"foreign_keys(1)",
		"synchronous(" + sync + ")",
		"temp_store(MEMORY)",
		"cache_size(-16000)",
		// After a large transaction (an import, the generator's index builds) the WAL file keeps
		// its size on disk unless told otherwise: truncate it to 64 MiB when it is reset.
		"journal_size_limit(67108864)",
	}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	writeQ := url.Values{}
	for k, v := range q {
		writeQ[k] = v
	}
	writeQ.Set("_txlock", "immediate")
	// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so with the
	// default (1,000 pages) one caller in a thousand waited for a whole WAL copy: the tail of the
	// exam-day start. A background connection now copies committed frames every 250 ms
	// (checkpoint.go); the writer's own checkpoint, at a higher threshold, only copies what the
	// background has not yet, and lets the WAL start over from its beginning: without it a steady
	// stream of commits never leaves a moment for that, and the WAL grows without end.
	writeQ.Add("_pragma", "wal_autocheckpoint(4096)")

	write, err := sql.Open("sqlite", fileURI(path)+"?"+writeQ.Encode())
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Touch the writer first so the file exists and WAL mode is set before readers open it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	q.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(opt.ReadConns)
	read.SetMaxIdleConns(opt.ReadConns)
	read.SetConnMaxIdleTime(5 * time.Minute)
	cp, err := startCheckpointer(path, q)
	if err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	return &DB{Engine: SQLite, Source: path, read: read, write: write, rebindCache: map[string]string{}, checkpointer: cp,
		stmts: map[string]*sql.Stmt{}}, nil
}

func openPostgres(ctx context.Context, source string, opt Options) (*DB, error) {
	pool, err := sql.Open("pgx", withoutJIT(source))
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(opt.ReadConns + 4)
	pool.SetMaxIdleConns(opt.ReadConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect to PostgreSQL: %w", err)
	}
	return &DB{Engine: Postgres, Source: redact(source), read: pool, write: pool, rebindCache: map[string]string{}}, nil
}

// withoutJIT turns PostgreSQL's JIT compilation off for the app's connections unless the URL
// says otherwise. JIT pays off for long analytical queries; the app's queries take milliseconds,
// and on the national profile compiling one progress query cost 25 ms of its 238 ms, the
// misestimated plan the rest (140 ms without JIT). Unknown URL parameters reach the server as
// session settings.
func withoutJIT(source string) string {
	u, err := url.Parse(source)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return source // a key=value connection string: left as the operator wrote it
	}
	q := u.Query()
	if q.Has("jit") {
		return source
	}
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(source string) string {
	u, err := url.Parse(source)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// Close closes both pools.
func (db *DB) Close() error {
	db.closeReadStmts()
	var err error
	db.closeCached()
	if db.checkpointer != nil {
		err = db.checkpointer.stop()
	}
	err = errors.Join(err, db.read.Close())
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	if db.releaseUse != nil {
		db.releaseUse()
		db.releaseUse = nil
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// SQL gives the reader pool to code that needs database/sql directly (backups, benchmarks).
func (db *DB) SQL() *sql.DB { return db.read }

// Rebind turns the portable `?` placeholders used throughout the stores into the engine's own.
// Queries are written with `?` only; no query text contains a literal question mark.
func (db *DB) Rebind(query string) string {
	if db.Engine != Postgres {
		return query
	}
	db.rebindMu.RLock()
	out, ok := db.rebindCache[query]
	db.rebindMu.RUnlock()
	if ok {
		return out
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	out = b.String()
	db.rebindMu.Lock()
	// Bulk statements (InsertRows) are long and vary with the row count: not worth keeping.
	if len(db.rebindCache) < 4096 && len(query) < 8192 {
		db.rebindCache[query] = out
	}
	db.rebindMu.Unlock()
	return out
}

// Querier is what both the reader pool and a transaction offer to store code.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	Engine() Engine
}

// Reader returns a Querier over the reader pool. It must not be used for writes.
func (db *DB) Reader() Querier { return reader{db} }

type reader struct{ db *DB }

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return r.db.read.QueryContext(ctx, r.db.Rebind(q), r.planned(q, args)...)
}
func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return r.db.read.QueryRowContext(ctx, r.db.Rebind(q), r.planned(q, args)...)
}

// planned has PostgreSQL plan a read with a LIKE for its actual parameters, every time. Scopes
// are read with path LIKE $1, and only a plan made for the actual prefix can use the path index;
// pgx prepares and caches statements, and after five runs PostgreSQL may keep a generic plan
// that reads the whole table (one province's progress on the national profile: 239 ms against
// 85 ms). Only these reads: planning every statement for its parameters, writes included, halved
// the exam's answer saves.
func (r reader) planned(q string, args []any) []any {
	if r.db.Engine != Postgres || !strings.Contains(q, " LIKE ") {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}
func (r reader) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return nil, errors.New("db: write through the reader pool")
}
func (r reader) Engine() Engine { return r.db.Engine }

// Tx is a write transaction.
type Tx struct {
	db *DB
	tx *sql.Tx
	// afterCommit runs once the transaction has committed, e.g. to publish live events.
	afterCommit []func()
	// onSuccess runs when the current write succeeds (hooks.go).
	onSuccess []func()
	// beforeCommit runs just before the commit (hooks.go); hookKeys are their keys.
	beforeCommit []beforeCommitHook
	hookKeys     map[string]bool
	// values is per-transaction state (hooks.go); newValues lists its keys in the order first set.
	values    map[string]any
	newValues []string
	// toPrepare are statement texts ExecCached found not yet prepared.
	toPrepare []string
}

// QueryContext runs a query inside the transaction.
func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.db.Rebind(q), args...)
}

// QueryRowContext runs a single-row query inside the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.db.Rebind(q), args...)
}

// ExecContext runs a statement inside the transaction.
func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.db.Rebind(q), args...)
}

// Engine tells which engine the transaction runs on.
func (t *Tx) Engine() Engine { return t.db.Engine }

// AfterCommit registers fn to run after a successful commit.
func (t *Tx) AfterCommit(fn func()) { t.afterCommit = append(t.afterCommit, fn) }

// InsertID runs an INSERT that must end with a RETURNING id clause and returns the new id. Both
// engines support RETURNING, which avoids LastInsertId (not offered by pgx).
func (t *Tx) InsertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := t.QueryRowContext(ctx, q, args...).Scan(&id)
	return id, err
}

// WriteTx runs fn in a write transaction and commits it when fn returns nil. On SQLite the
// transaction is BEGIN IMMEDIATE on the single writer connection, so it never fails half-way with
// SQLITE_BUSY on upgrade from a read lock.
func (db *DB) WriteTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &Tx{db: db, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		db.prepareCached(tx.toPrepare)
		return err
	}
	tx.succeeded()
	if err := tx.runBeforeCommit(); err != nil {
		_ = sqlTx.Rollback()
		db.prepareCached(tx.toPrepare)
		return err
	}
	err = sqlTx.Commit()
	// The writer connection is free again: prepare what ExecCached asked for (hooks.go).
	db.prepareCached(tx.toPrepare)
	if err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// IsUniqueViolation tells whether err comes from a UNIQUE or PRIMARY KEY constraint on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL
}

// NullString turns an empty string into SQL NULL.
func NullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// NullInt turns 0 into SQL NULL.
func NullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

// Millis stores a time as Unix milliseconds, the portable time representation used in every table.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis reads a time stored by Millis.
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// fileURI makes a SQLite URI of a file path. The characters a URI gives a meaning to are escaped:
// a test folder named "…#01" (Go's second subtest of one name) once made the part after '#' vanish,
// and the test silently opened another file.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
}
