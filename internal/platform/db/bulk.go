package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxBulkParams keeps one multi-row statement under both engines' limits on bound parameters
// (SQLite 32,766, PostgreSQL 65,535) with room to spare: larger statements gain nothing.
const maxBulkParams = 30000

// InsertRows writes rows into table in as few multi-row INSERT statements as the engines' limits
// on parameters allow. suffix follows the VALUES list ("", "ON CONFLICT DO NOTHING", "RETURNING
// id, username"…); when scan is not nil it is called for every row the statements return. It is
// for bulk loads (the data generator, imports): one statement of 500 rows costs about what one
// row costs in parse and round trip.
func (t *Tx) InsertRows(ctx context.Context, table string, cols []string, rows [][]any, suffix string, scan func(*sql.Rows) error) error {
	if len(rows) == 0 {
		return nil
	}
	per := max(1, maxBulkParams/len(cols))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	args := make([]any, 0, min(len(rows), per)*len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var q strings.Builder
		q.Grow(len(head) + len(chunk)*(len(tuple)+2) + len(suffix) + 1)
		q.WriteString(head)
		args = args[:0]
		for i, r := range chunk {
			if len(r) != len(cols) {
				return fmt.Errorf("db: insert into %s: row %d has %d values for %d columns", table, start+i, len(r), len(cols))
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, r...)
		}
		if suffix != "" {
			q.WriteString(" ")
			q.WriteString(suffix)
		}
		if scan == nil {
			if _, err := t.ExecContext(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("db: insert into %s: %w", table, err)
			}
			continue
		}
		res, err := t.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("db: insert into %s: %w", table, err)
		}
		for res.Next() {
			if err := scan(res); err != nil {
				res.Close()
				return err
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			return fmt.Errorf("db: insert into %s: %w", table, err)
		}
	}
	return nil
}

// InsertRowsIDs is InsertRows for rows whose new ids the caller needs in the order it gave them:
// keyCol names a column unique among the rows (a username, an organisation's name under its
// parent), keys holds that column's value for each row, and the ids come back matched by it —
// neither engine promises that RETURNING follows the order of a multi-row VALUES list.
func (t *Tx) InsertRowsIDs(ctx context.Context, table string, cols []string, rows [][]any, keyCol string, keys []string) ([]int64, error) {
	if len(keys) != len(rows) {
		return nil, fmt.Errorf("db: insert into %s: %d keys for %d rows", table, len(keys), len(rows))
	}
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		if _, dup := index[k]; dup {
			return nil, fmt.Errorf("db: insert into %s: %s %q twice", table, keyCol, k)
		}
		index[k] = i
	}
	ids := make([]int64, len(rows))
	err := t.InsertRows(ctx, table, cols, rows, "RETURNING id, "+keyCol, func(r *sql.Rows) error {
		var id int64
		var key string
		if err := r.Scan(&id, &key); err != nil {
			return err
		}
		i, ok := index[key]
		if !ok {
			return fmt.Errorf("db: insert into %s returned unknown %s %q", table, keyCol, key)
		}
		ids[i] = id
		return nil
	})
	return ids, err
}
