package outreach

import (
	"cmp"
	"context"
	"slices"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// counts are the counter deltas of the records and visits written in one transaction. On SQLite
// that transaction is a group-commit batch of up to 256 writes that mostly move the same few
// counter rows (a member's, a village's, its skills'), so the deltas are added up here and written
// by one upsert per counter table just before the commit (db.Tx.BeforeCommit), instead of three
// upserts per record. A write adds its deltas from db.Tx.OnSuccess, so a write rolled back to its
// savepoint adds nothing.
type counts struct {
	members map[memberKey]*memberDelta
	units   map[unitKey]*unitDelta
	dims    map[dimKey]*dimDelta
}

type memberKey struct{ campaign, member int64 }

type memberDelta struct {
	home              string
	records, citizens int
	lastAt            int64
}

type unitKey struct {
	campaign int64
	code     string
}

type unitDelta struct {
	path                       string
	records, citizens, flagged int
}

type dimKey struct {
	campaign  int64
	code, dim string
}

type dimDelta struct {
	path string
	n    int
}

const countsKey = "outreach.counts"

// pendingCounts returns the transaction's counter deltas, registering their flush on first use.
func pendingCounts(tx *db.Tx) *counts {
	if c, ok := tx.Value(countsKey).(*counts); ok {
		return c
	}
	c := &counts{members: map[memberKey]*memberDelta{}, units: map[unitKey]*unitDelta{}, dims: map[dimKey]*dimDelta{}}
	tx.SetValue(countsKey, c)
	tx.BeforeCommit(countsKey, c.flush)
	return c
}

// member adds a member's records and distinct citizens. home is kept from the member's first
// record (it is only written when the member's counter row is created); lastAt is the latest.
func (c *counts) member(campaign, member int64, home string, records, citizens int, lastAt int64) {
	k := memberKey{campaign, member}
	d := c.members[k]
	if d == nil {
		d = &memberDelta{home: home, lastAt: lastAt}
		c.members[k] = d
	}
	d.records += records
	d.citizens += citizens
	d.lastAt = max(d.lastAt, lastAt)
}

func (c *counts) unit(campaign int64, code, path string, records, citizens, flagged int) {
	k := unitKey{campaign, code}
	d := c.units[k]
	if d == nil {
		d = &unitDelta{path: path}
		c.units[k] = d
	}
	d.records += records
	d.citizens += citizens
	d.flagged += flagged
}

func (c *counts) dim(campaign int64, code, path, dim string) {
	k := dimKey{campaign, code, dim}
	d := c.dims[k]
	if d == nil {
		d = &dimDelta{path: path}
		c.dims[k] = d
	}
	d.n++
}

// flush writes the deltas, one multi-row upsert per table. Rows go in key order, members, then
// units, then dimensions, so that concurrent PostgreSQL transactions lock counter rows in one
// order.
func (c *counts) flush(tx *db.Tx) error {
	ctx := context.Background()
	if len(c.members) > 0 {
		keys := slicesSorted(c.members, func(a, b memberKey) int {
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.member, b.member))
		})
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			d := c.members[k]
			rows = append(rows, []any{k.campaign, k.member, d.home, d.records, d.citizens, d.lastAt})
		}
		if err := tx.InsertRows(ctx, "outreach_member_counts", []string{"campaign_id", "member_id", "home_path", "records", "citizens", "last_at"}, rows,
			`ON CONFLICT (campaign_id, member_id) DO UPDATE SET records = outreach_member_counts.records + excluded.records,
			citizens = outreach_member_counts.citizens + excluded.citizens,
			last_at = CASE WHEN excluded.last_at > outreach_member_counts.last_at THEN excluded.last_at ELSE outreach_member_counts.last_at END`, nil); err != nil {
			return apperr.Wrap(err, "count members")
		}
	}
	if len(c.units) > 0 {
		keys := slicesSorted(c.units, func(a, b unitKey) int {
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.code, b.code))
		})
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			d := c.units[k]
			rows = append(rows, []any{k.campaign, k.code, d.path, d.records, d.citizens, d.flagged})
		}
		if err := tx.InsertRows(ctx, "outreach_unit_counts", []string{"campaign_id", "unit_code", "unit_path", "records", "citizens", "flagged"}, rows,
			`ON CONFLICT (campaign_id, unit_code) DO UPDATE SET records = outreach_unit_counts.records + excluded.records,
			citizens = outreach_unit_counts.citizens + excluded.citizens, flagged = outreach_unit_counts.flagged + excluded.flagged`, nil); err != nil {
			return apperr.Wrap(err, "count units")
		}
	}
	if len(c.dims) > 0 {
		keys := slicesSorted(c.dims, func(a, b dimKey) int {
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.code, b.code), cmp.Compare(a.dim, b.dim))
		})
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, []any{k.campaign, k.code, c.dims[k].path, k.dim, c.dims[k].n})
		}
		if err := tx.InsertRows(ctx, "outreach_dim_counts", []string{"campaign_id", "unit_code", "unit_path", "dim", "n"}, rows,
			"ON CONFLICT (campaign_id, unit_code, dim) DO UPDATE SET n = outreach_dim_counts.n + excluded.n", nil); err != nil {
			return apperr.Wrap(err, "count dimensions")
		}
	}
	return nil
}

func slicesSorted[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	return keys
}
