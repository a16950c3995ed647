package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// Per-transaction state and before-commit hooks let many writes that share a transaction (a
// group-commit batch) fold their effects into one statement: each write adds its deltas to an
// accumulator kept with Value/SetValue, from an OnSuccess function (run only once the write has
// succeeded), and registers one hook per key with BeforeCommit that writes the accumulated deltas
// just before the commit. A batch of 200 records that each move the same counter rows then costs
// one upsert per counter table instead of 200.
//
// The batcher's guarantee stays: a write that fails is rolled back to its savepoint, and its
// OnSuccess functions, and the hooks and values it registered first, are dropped with it; a hook
// that fails fails the whole transaction, so every write of the batch gets the error and nothing
// is committed. WriteTx runs the same functions and hooks, so code written for the batcher works
// unchanged in a transaction of its own (PostgreSQL).

type beforeCommitHook struct {
	key string
	fn  func(*Tx) error
}

// BeforeCommit registers fn to run once, just before the transaction commits, under key: a second
// registration with the same key in the same transaction is ignored. Hooks run in the order they
// were first registered, after every write of a batch; a hook may register further hooks. An
// error from a hook rolls the whole transaction back.
func (t *Tx) BeforeCommit(key string, fn func(*Tx) error) {
	if t.hookKeys == nil {
		t.hookKeys = map[string]bool{}
	}
	if t.hookKeys[key] {
		return
	}
	t.hookKeys[key] = true
	t.beforeCommit = append(t.beforeCommit, beforeCommitHook{key, fn})
}

// OnSuccess registers fn to run when the current write has succeeded: in a batch, once its
// function returned nil and before its savepoint is released; in WriteTx, once the function
// returned nil and before the BeforeCommit hooks. A write that fails never runs it, so fn is where
// a write adds to a per-transaction accumulator. fn must not fail; it may use Value, SetValue and
// BeforeCommit.
func (t *Tx) OnSuccess(fn func()) { t.onSuccess = append(t.onSuccess, fn) }

// succeeded runs and clears the OnSuccess functions of the write that just succeeded.
func (t *Tx) succeeded() {
	for i := 0; i < len(t.onSuccess); i++ {
		t.onSuccess[i]()
	}
	t.onSuccess = t.onSuccess[:0]
}

// Value returns the per-transaction value stored under key, or nil.
func (t *Tx) Value(key string) any { return t.values[key] }

// SetValue stores a per-transaction value under key, e.g. an accumulator that a BeforeCommit hook
// flushes. Values live as long as the transaction.
func (t *Tx) SetValue(key string, v any) {
	if t.values == nil {
		t.values = map[string]any{}
	}
	if _, ok := t.values[key]; !ok {
		t.newValues = append(t.newValues, key)
	}
	t.values[key] = v
}

// txMark is what a write inside a batch added to the transaction's hooks and values, so that a
// write rolled back to its savepoint can take them back.
type txMark struct{ after, before, values int }

func (t *Tx) mark() txMark {
	return txMark{len(t.afterCommit), len(t.beforeCommit), len(t.newValues)}
}

// undo drops the hooks and the values first set since m.
func (t *Tx) undo(m txMark) {
	t.afterCommit = t.afterCommit[:m.after]
	t.onSuccess = t.onSuccess[:0]
	for _, h := range t.beforeCommit[m.before:] {
		delete(t.hookKeys, h.key)
	}
	t.beforeCommit = t.beforeCommit[:m.before]
	for _, k := range t.newValues[m.values:] {
		delete(t.values, k)
	}
	t.newValues = t.newValues[:m.values]
}

// runBeforeCommit runs the registered hooks, including any a hook registers.
func (t *Tx) runBeforeCommit() error {
	for i := 0; i < len(t.beforeCommit); i++ {
		h := t.beforeCommit[i]
		if err := h.fn(t); err != nil {
			return fmt.Errorf("db: before commit %s: %w", h.key, err)
		}
	}
	return nil
}

// ExecCached runs a statement inside the transaction like ExecContext, reusing a statement
// prepared once on the SQLite writer connection instead of parsing the text again: for the few
// fixed statements of a hot write path, where the parse costs about as much as the work. On
// PostgreSQL the driver caches prepared statements itself and this is ExecContext. q must be a
// constant text (one cached statement per distinct text, never evicted).
func (t *Tx) ExecCached(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st := t.cached(q)
	if st == nil {
		return t.ExecContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// QueryRowCached is QueryRowContext through the statement cache of ExecCached.
func (t *Tx) QueryRowCached(ctx context.Context, q string, args ...any) *sql.Row {
	st := t.cached(q)
	if st == nil {
		return t.QueryRowContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// QueryCached is QueryContext through the statement cache of ExecCached.
func (t *Tx) QueryCached(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st := t.cached(q)
	if st == nil {
		return t.QueryContext(ctx, q, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// cached returns the writer's prepared statement for q, or nil when there is none yet or the
// engine does not need one. The writer connection is held by the running transaction, so a
// statement cannot be prepared on it now: the first use runs the plain text and asks WriteTx to
// prepare it once the transaction has ended.
func (t *Tx) cached(q string) *sql.Stmt {
	d := t.db
	if d.Engine != SQLite {
		return nil
	}
	d.stmtMu.Lock()
	st, ok := d.stmts[q]
	open := d.stmts != nil
	d.stmtMu.Unlock()
	if !ok && open && !slices.Contains(t.toPrepare, q) {
		t.toPrepare = append(t.toPrepare, q)
	}
	return st
}

// prepareCached prepares on the writer the statements that transactions asked for. A statement
// that fails to prepare is left to run as plain text.
func (d *DB) prepareCached(qs []string) {
	for _, q := range qs {
		d.stmtMu.Lock()
		_, ok := d.stmts[q]
		d.stmtMu.Unlock()
		if ok {
			continue
		}
		st, err := d.write.PrepareContext(context.Background(), q)
		if err != nil {
			continue
		}
		d.stmtMu.Lock()
		if _, ok := d.stmts[q]; ok || d.stmts == nil {
			st.Close()
		} else {
			d.stmts[q] = st
		}
		d.stmtMu.Unlock()
	}
}

// closeCached closes the cached statements; later transactions run plain text.
func (d *DB) closeCached() {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	for _, st := range d.stmts {
		st.Close()
	}
	d.stmts = nil
}
