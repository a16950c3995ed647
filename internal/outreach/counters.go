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

// Unit and dimension counters are keyed by the unit's path, which names one unit version: a code
// can name two (21034 was Xã Nghĩa Dũng in 2023 and is Xã An Phú since 2025).
type unitKey struct {
	campaign int64
	path     string
}

type unitDelta struct {
	code                       string
	records, citizens, flagged int
	// Enterprise records and distinct enterprises, counted apart from citizens.
	enterpriseRecords, enterprises int
}

type dimKey struct {
	campaign  int64
	path, dim string
}

type dimDelta struct {
	code string
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
	k := unitKey{campaign, path}
	d := c.units[k]
	if d == nil {
		d = &unitDelta{code: code}
		c.units[k] = d
	}
	d.records += records
	d.citizens += citizens
	d.flagged += flagged
}

// enterprise adds a unit's enterprise records and distinct enterprises.
func (c *counts) enterprise(campaign int64, code, path string, records, enterprises int) {
	c.unit(campaign, code, path, 0, 0, 0)
	d := c.units[unitKey{campaign, path}]
	d.enterpriseRecords += records
	d.enterprises += enterprises
}

func (c *counts) dim(campaign int64, code, path, dim string) {
	k := dimKey{campaign, path, dim}
	d := c.dims[k]
	if d == nil {
		d = &dimDelta{code: code}
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
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.path, b.path))
		})
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			d := c.units[k]
			rows = append(rows, []any{k.campaign, d.code, k.path, d.records, d.citizens, d.flagged, d.enterpriseRecords, d.enterprises})
		}
		if err := tx.InsertRows(ctx, "outreach_unit_counts", []string{"campaign_id", "unit_code", "unit_path", "records", "citizens", "flagged", "enterprise_records", "enterprises"}, rows,
			`ON CONFLICT (campaign_id, unit_path) DO UPDATE SET records = outreach_unit_counts.records + excluded.records,
			citizens = outreach_unit_counts.citizens + excluded.citizens, flagged = outreach_unit_counts.flagged + excluded.flagged,
			enterprise_records = outreach_unit_counts.enterprise_records + excluded.enterprise_records,
			enterprises = outreach_unit_counts.enterprises + excluded.enterprises`, nil); err != nil {
			return apperr.Wrap(err, "count units")
		}
	}
	if len(c.dims) > 0 {
		keys := slicesSorted(c.dims, func(a, b dimKey) int {
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.path, b.path), cmp.Compare(a.dim, b.dim))
		})
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, []any{k.campaign, c.dims[k].code, k.path, k.dim, c.dims[k].n})
		}
		if err := tx.InsertRows(ctx, "outreach_dim_counts", []string{"campaign_id", "unit_code", "unit_path", "dim", "n"}, rows,
			"ON CONFLICT (campaign_id, unit_path, dim) DO UPDATE SET n = outreach_dim_counts.n + excluded.n", nil); err != nil {
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
