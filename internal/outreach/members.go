package outreach

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/units"
)

// Who counts as a member under a unit, and where, is decided here in Go from plain index range
// reads, and the progress page's figures, leaderboard and list of members behind are computed from
// the rows. The same work written as one statement (members deduplicated in a CTE, each member's
// unit read back by a scalar subquery and rolled up by another, then grouped and sorted twice)
// left the choice of plan to PostgreSQL, which misjudges how many grants a path range and the
// roll-up hold: on the national profile it hashed all 2.6 M users and scanned every grant of the
// country for one province's 24,806 members (0.5–1 s). Reading the rows costs the same on any plan.

// memberRow is one member counted under a unit: the grant they count by (their first team_member
// grant there), the unit path it counts at, rolled up as it is now where the view asks, and the
// member's counters in the campaign.
type memberRow struct {
	id, grant         int64
	path              string
	records, citizens int64
}

// memberBatch bounds the paths or ids sent in one IN list: far under both engines' parameter limits.
const memberBatch = 500

// membersUnder returns every enabled user with a team_member grant in the subtree at path, once
// each, in no particular order. As it is now, a grant on an earlier unit counts at the unit in force it rolls
// up into (the map switch moves the grants of merged units' teams, but a unit retired by hand into
// a successor keeps its grants where they were), including earlier units outside the subtree's
// range (Xã Nghĩa Dõng's /51/522/21037/ rolls up into Xã An Phú, /51/21034/); a grant under a split
// unit not yet assigned counts in no unit (it shows in the "from split units" line), and one rolled
// up out of the subtree counts where it went.
func (s *Service) membersUnder(ctx context.Context, path string, view View, splits []string, campaignID int64) ([]memberRow, error) {
	lo, hi := units.PathRange(path)
	rollup := map[string]string{}
	var outside []string
	if view == ViewNow {
		rows, err := s.DB.Reader().QueryContext(ctx, `SELECT path, current_path FROM unit_rollup WHERE path >= ? AND path < ?
			UNION SELECT path, current_path FROM unit_rollup WHERE current_path >= ? AND current_path < ?`, lo, hi, lo, hi)
		if err != nil {
			return nil, apperr.Wrap(err, "roll-up")
		}
		for rows.Next() {
			var old, now string
			if err := rows.Scan(&old, &now); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "scan roll-up")
			}
			rollup[old] = now
			if old < lo || old >= hi {
				outside = append(outside, old)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, apperr.Wrap(err, "roll-up")
		}
		slices.Sort(outside)
	}

	// The counters are joined in SQL (an index lookup per grant, or one hash of the campaign's
	// counters, as the planner likes); disabled users are few and left out by an anti-join on the
	// partial index of them (accounts' users_disabled).
	const grants = `SELECT g.user_id, g.id, g.unit_path, COALESCE(mc.records, 0), COALESCE(mc.citizens, 0) FROM role_grants g
		LEFT JOIN outreach_member_counts mc ON mc.campaign_id = ? AND mc.member_id = g.user_id
		WHERE g.role = 'team_member' AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = g.user_id AND us.disabled <> 0) AND `
	var out []memberRow
	at := make(map[int64]int, 4096) // user id → index in out
	read := func(cond string, args ...any) error {
		rows, err := s.DB.Reader().QueryContext(ctx, grants+cond, append([]any{campaignID}, args...)...)
		if err != nil {
			return apperr.Wrap(err, "members")
		}
		defer rows.Close()
		for rows.Next() {
			var m memberRow
			if err := rows.Scan(&m.id, &m.grant, &m.path, &m.records, &m.citizens); err != nil {
				return apperr.Wrap(err, "scan member")
			}
			if view == ViewNow {
				if underAny(m.path, splits) {
					continue
				}
				if now, ok := rollup[m.path]; ok {
					m.path = now
				}
				if !strings.HasPrefix(m.path, path) {
					continue
				}
			}
			if i, ok := at[m.id]; ok {
				if m.grant < out[i].grant {
					out[i] = m
				}
				continue
			}
			at[m.id] = len(out)
			out = append(out, m)
		}
		return apperr.Wrap(rows.Err(), "members")
	}
	if err := read("g.unit_path >= ? AND g.unit_path < ?", lo, hi); err != nil {
		return nil, err
	}
	for batch := range slices.Chunk(outside, memberBatch) {
		args := make([]any, len(batch))
		for i, p := range batch {
			args[i] = p
		}
		if err := read("g.unit_path IN ("+placeholders(len(batch))+")", args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// underAny tells whether path lies in one of the subtrees.
func underAny(path string, subtrees []string) bool {
	for _, t := range subtrees {
		if strings.HasPrefix(path, t) {
			return true
		}
	}
	return false
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// memberStanding is what the progress page shows of the members: how many, how many met the
// target, per child unit, the leaders and the members furthest behind.
type memberStanding struct {
	members, met int
	// byChild counts the members and those who met the target per path segment below the unit
	// ("21034" under "/51/"); members of the unit itself are under "".
	byChild map[string][2]int
	leaders []memberRow
	behind  []memberRow
}

// standing computes the members' standing under the unit at path against the target: at most
// leaders of the best (most citizens, then records, then lowest id first) and behind of those
// under the target, furthest behind first (fewest citizens, then records, then highest id).
func standing(rows []memberRow, path string, target int, leaders, behind int) memberStanding {
	st := memberStanding{byChild: map[string][2]int{}}
	for _, m := range rows {
		seg, _, _ := strings.Cut(strings.TrimPrefix(m.path, path), "/")
		c := st.byChild[seg]
		c[0]++
		st.members++
		if meetsTarget(m.citizens, target) {
			c[1]++
			st.met++
		}
		st.byChild[seg] = c
	}
	for _, m := range rows {
		st.leaders = keepBest(st.leaders, m, leaders, func(a, b memberRow) int { return cmpRows(b, a) })
		if !meetsTarget(m.citizens, target) {
			st.behind = keepBest(st.behind, m, behind, cmpRows)
		}
	}
	return st
}

// keepBest inserts m into best, kept in order by cmp and at most k long, and returns it: the k
// first rows of a listing without sorting the whole listing (25,000 members of a province for a
// leaderboard of 10 and a list of 200).
func keepBest(best []memberRow, m memberRow, k int, cmp func(a, b memberRow) int) []memberRow {
	if k <= 0 || (len(best) == k && cmp(m, best[k-1]) >= 0) {
		return best
	}
	i, _ := slices.BinarySearchFunc(best, m, cmp)
	if len(best) < k {
		best = append(best, memberRow{})
	}
	copy(best[i+1:], best[i:len(best)-1])
	best[i] = m
	return best
}

// cmpRows orders members by citizens, then records, then id descending: the leaderboard is the
// reverse of it, the members behind follow it.
func cmpRows(a, b memberRow) int {
	switch {
	case a.citizens != b.citizens:
		return cmp.Compare(a.citizens, b.citizens)
	case a.records != b.records:
		return cmp.Compare(a.records, b.records)
	}
	return cmp.Compare(b.id, a.id)
}

// memberNames returns the username and display name of each user, by id.
func (s *Service) memberNames(ctx context.Context, ids []int64) (map[int64][2]string, error) {
	out := make(map[int64][2]string, len(ids))
	for batch := range slices.Chunk(ids, memberBatch) {
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := s.DB.Reader().QueryContext(ctx, "SELECT id, username, display_name FROM users WHERE id IN ("+placeholders(len(batch))+")", args...)
		if err != nil {
			return nil, apperr.Wrap(err, "member names")
		}
		for rows.Next() {
			var id int64
			var n [2]string
			if err := rows.Scan(&id, &n[0], &n[1]); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "scan member name")
			}
			out[id] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, apperr.Wrap(err, "member names")
		}
	}
	return out, nil
}

// progressOf names a member row for the progress answer.
func progressOf(m memberRow, names map[int64][2]string, target int) MemberProgress {
	n := names[m.id]
	p := MemberProgress{ID: m.id, Username: n[0], Name: n[1], UnitCode: lastCode(m.path), Records: m.records, Citizens: m.citizens, Target: target}
	p.Met = meetsTarget(p.Citizens, target)
	return p
}
