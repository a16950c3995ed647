package outreach

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// standing picks its leaders and members behind without sorting the listing: it must pick what a
// full sort would, ties included, and count every member once in its child unit.
func TestStandingMatchesAFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2023))
	for _, n := range []int{0, 1, 9, 10, 11, 199, 200, 201, 5000} {
		rows := make([]memberRow, n)
		for i := range rows {
			// Few distinct values, so that ties on citizens and records are the rule.
			rows[i] = memberRow{id: int64(i + 1), path: fmt.Sprintf("/51/%d/", 21000+r.IntN(7)), records: int64(r.IntN(4)), citizens: int64(r.IntN(10))}
		}
		r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		st := standing(rows, "/51/", 7, 10, 200)

		sorted := slices.Clone(rows)
		slices.SortFunc(sorted, cmpRows)
		var wantLeaders, wantBehind []memberRow
		for i := len(sorted) - 1; i >= 0 && len(wantLeaders) < 10; i-- {
			wantLeaders = append(wantLeaders, sorted[i])
		}
		met, byChild := 0, map[string][2]int{}
		for _, m := range sorted {
			if m.citizens < 7 && len(wantBehind) < 200 {
				wantBehind = append(wantBehind, m)
			}
			c := byChild[m.path[4:9]]
			c[0]++
			if m.citizens >= 7 {
				met++
				c[1]++
			}
			byChild[m.path[4:9]] = c
		}
		if !slices.Equal(st.leaders, wantLeaders) {
			t.Errorf("%d members: leaders %v, want %v", n, ids(st.leaders), ids(wantLeaders))
		}
		if !slices.Equal(st.behind, wantBehind) {
			t.Errorf("%d members: behind %v, want %v", n, ids(st.behind), ids(wantBehind))
		}
		if st.members != n || st.met != met {
			t.Errorf("%d members: counted %d, %d met, want %d met", n, st.members, st.met, met)
		}
		for seg, c := range byChild {
			if st.byChild[seg] != c {
				t.Errorf("%d members: child %s = %v, want %v", n, seg, st.byChild[seg], c)
			}
		}
	}
}

func ids(rows []memberRow) []int64 {
	out := make([]int64, len(rows))
	for i, m := range rows {
		out[i] = m.id
	}
	return out
}
