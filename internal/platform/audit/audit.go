// Package audit records who did what, when and where: every write and every view of a citizen's
// personal data (Decree 13/2023/NĐ-CP asks that such access be traceable). The actor travels in the
// request context so that domain code records an entry without knowing about HTTP.
package audit

import (
	"context"
	"embed"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the audit log's schema.
var Migrations = db.MigrationSet{Module: "audit", FS: migrations}

// Who is the person behind a request, as the audit log names them.
type Who struct {
	UserID   int64
	Username string
	Addr     string
}

type whoKey struct{}

// WithWho returns a context that carries who is acting.
func WithWho(ctx context.Context, w Who) context.Context { return context.WithValue(ctx, whoKey{}, w) }

// WhoFrom returns who is acting, or a zero Who for the command line and background work.
func WhoFrom(ctx context.Context) Who {
	w, _ := ctx.Value(whoKey{}).(Who)
	return w
}

// Entry is one line of the audit log.
type Entry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id,omitempty"`
	ActorName  string    `json:"actor"`
	Addr       string    `json:"addr,omitempty"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	// UnitPath is the materialised path of the unit the object belongs to ("/51/535/"), so that an
	// administrator's view of the log can be limited to their subtree with a prefix match.
	UnitPath string `json:"-"`
	Detail   string `json:"detail,omitempty"`
}

// Record writes an entry inside tx, so that the entry exists exactly when the change it describes
// does. The actor comes from ctx; At defaults to now.
func Record(ctx context.Context, tx *db.Tx, e Entry) error {
	e = fill(ctx, e)
	_, err := tx.ExecCached(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, addr, action, object_type, object_id, unit_path, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		db.Millis(e.At), db.NullInt(e.ActorID), e.ActorName, e.Addr, e.Action, e.ObjectType, e.ObjectID, e.UnitPath, truncate(e.Detail, 2000))
	return err
}

// recordBatch is how many entries RecordMany writes in one statement: 9 parameters each stays well
// under SQLite's limit of 32,766 parameters and PostgreSQL's of 65,535.
const recordBatch = 500

// RecordMany writes entries inside tx as Record does, several to a statement: a bulk change (the
// map switch moves thousands of teams) writes its thousands of entries in a few round trips to
// PostgreSQL instead of one each.
func RecordMany(ctx context.Context, tx *db.Tx, entries []Entry) error {
	for len(entries) > 0 {
		n := min(len(entries), recordBatch)
		var q strings.Builder
		q.WriteString("INSERT INTO audit_log (at, actor_id, actor_name, addr, action, object_type, object_id, unit_path, detail) VALUES ")
		args := make([]any, 0, 9*n)
		for i, e := range entries[:n] {
			e = fill(ctx, e)
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, db.Millis(e.At), db.NullInt(e.ActorID), e.ActorName, e.Addr, e.Action, e.ObjectType, e.ObjectID, e.UnitPath, truncate(e.Detail, 2000))
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// fill completes an entry with the actor from ctx and the time.
func fill(ctx context.Context, e Entry) Entry {
	w := WhoFrom(ctx)
	if e.ActorID == 0 {
		e.ActorID = w.UserID
	}
	if e.ActorName == "" {
		e.ActorName = w.Username
	}
	if e.ActorName == "" {
		e.ActorName = "system"
	}
	if e.Addr == "" {
		e.Addr = w.Addr
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Filter narrows a listing of the log.
type Filter struct {
	// Visible limits entries to what the reader may see: authz's condition on "unit_path" (the
	// reader's AdminScope). The zero value limits nothing, for the command line and tests.
	Visible  authz.Cond
	ActorID  int64
	Action   string
	Limit    int
	BeforeID int64
}

// List returns entries newest first.
func List(ctx context.Context, q db.Querier, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if f.Visible.SQL != "" {
		if f.Visible.Empty() {
			return nil, nil
		}
		where, args = f.Visible.And(where, args)
	}
	if f.ActorID != 0 {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 500)
	query := "SELECT id, at, COALESCE(actor_id, 0), actor_name, addr, action, object_type, object_id, unit_path, detail FROM audit_log"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &e.Addr, &e.Action, &e.ObjectType, &e.ObjectID, &e.UnitPath, &e.Detail); err != nil {
			return nil, err
		}
		e.At = db.FromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordView writes an entry for a read, such as a view of someone's personal data, in a
// transaction of its own: reads have no transaction to ride on.
func RecordView(ctx context.Context, d *db.DB, e Entry) error {
	return d.WriteTx(ctx, func(tx *db.Tx) error { return Record(ctx, tx, e) })
}
