package outreach_test

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// walkMembers is the computation Progress used before it moved to SQL: every team_member grant
// under the unit read with the member's counters and walked in Go. It is kept here as the
// reference the SQL aggregation must equal.
func walkMembers(t *testing.T, s *Service, u struct{ Path string }, p *Progress) {
	t.Helper()
	ctx := context.Background()
	childIdx := map[string]int{}
	for i, c := range p.Children {
		childIdx[c.Unit.Code] = i
	}
	child := func(path string) *Tally {
		rest := strings.TrimPrefix(path, u.Path)
		code, _, _ := strings.Cut(rest, "/")
		if i, ok := childIdx[code]; ok && rest != "" {
			return &p.Children[i]
		}
		return nil
	}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT g.user_id, g.unit_path, us.username, us.display_name, COALESCE(m.records, 0), COALESCE(m.citizens, 0)
		FROM role_grants g JOIN users us ON us.id = g.user_id
		LEFT JOIN outreach_member_counts m ON m.campaign_id = ? AND m.member_id = g.user_id
		WHERE g.role = 'team_member' AND g.unit_path LIKE ? AND us.disabled = 0 ORDER BY g.user_id, g.id`, p.Campaign.ID, u.Path+"%")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for rows.Next() {
		var m MemberProgress
		var path string
		if err := rows.Scan(&m.ID, &path, &m.Username, &m.Name, &m.Records, &m.Citizens); err != nil {
			t.Fatal(err)
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		m.UnitCode, m.Target = path[strings.LastIndex(strings.TrimSuffix(path, "/"), "/")+1:len(path)-1], p.Campaign.Target
		m.Met = m.Citizens >= int64(m.Target)
		p.Members++
		c := child(path)
		if c != nil {
			c.Members++
		}
		if m.Met {
			p.MembersMet++
			if c != nil {
				c.MembersMet++
			}
		}
		p.AllMembers = append(p.AllMembers, m)
	}
	rows.Close()
	ranked := slices.Clone(p.AllMembers)
	slices.SortStableFunc(ranked, func(a, b MemberProgress) int {
		if a.Citizens != b.Citizens {
			return int(b.Citizens - a.Citizens)
		}
		return int(b.Records - a.Records)
	})
	p.Leaders = ranked[:min(10, len(ranked))]
	p.Behind = []MemberProgress{}
	for i := len(ranked) - 1; i >= 0; i-- {
		if !ranked[i].Met {
			p.BehindCount++
			if len(p.Behind) < 200 {
				p.Behind = append(p.Behind, ranked[i])
			}
		}
	}
	if p.AllMembers == nil {
		p.AllMembers = []MemberProgress{}
	}
}

// TestProgressEqualsWalk checks, on random data on both engines, that the SQL aggregation of
// Progress gives what the walk over every member gave: members, members meeting the target per
// child unit, the leaderboard and the members behind.
func TestProgressEqualsWalk(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		sys := authz.WithActor(context.Background(), authz.System)
		us := units.NewService(d)
		if _, err := us.SeedQuangNgai(sys); err != nil {
			t.Fatal(err)
		}
		rng := mrand.New(mrand.NewPCG(3, 4))
		var places []string
		communes, err := us.List(sys, units.Filter{ParentCode: "535", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		other, err := us.List(sys, units.Filter{ParentCode: "525", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range append(communes, other...) {
			for v := range 2 + rng.IntN(3) {
				u, err := us.CreateVillage(sys, units.Unit{Name: fmt.Sprintf("Thôn %d", v+1), ParentCode: c.Code})
				if err != nil {
					t.Fatal(err)
				}
				places = append(places, u.Code)
			}
			places = append(places, c.Code)
		}
		now := db.Millis(time.Now())
		var members []GenMember
		var extra []int64
		err = d.WriteTx(sys, func(tx *db.Tx) error {
			for i := range 160 {
				id, err := tx.InsertID(sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
					VALUES (?, ?, '', ?, '!', 0, ?, ?) RETURNING id`, fmt.Sprintf("tv.%d", i), fmt.Sprintf("Thành viên %d", i), fmt.Sprintf("tv %d", i), now, now)
				if err != nil {
					return err
				}
				if i < 140 {
					members = append(members, GenMember{UserID: id, UnitCode: places[rng.IntN(len(places))]})
				} else {
					extra = append(extra, id)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Few records, so that many members are behind and ties are common.
		res, err := Generate(sys, d, GenSpec{Seed: 9, Members: members, Records: 900, Launch: time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		// Members whose first grant is a district one, members without records, disabled users.
		err = d.WriteTx(sys, func(tx *db.Tx) error {
			for i, id := range extra {
				var code, path string
				if i%2 == 0 {
					code, path = "535", "/51/535/"
				} else {
					code = places[rng.IntN(len(places))]
					if err := tx.QueryRowContext(sys, "SELECT path FROM units WHERE code = ?", code).Scan(&path); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(sys, "INSERT INTO role_grants (user_id, role, unit_code, unit_path, created_at) VALUES (?, 'team_member', ?, ?, ?)", id, code, path, now); err != nil {
					return err
				}
				if i%4 == 0 {
					v := places[0]
					var vp string
					if err := tx.QueryRowContext(sys, "SELECT path FROM units WHERE code = ?", v).Scan(&vp); err != nil {
						return err
					}
					if _, err := tx.ExecContext(sys, "INSERT INTO role_grants (user_id, role, unit_code, unit_path, created_at) VALUES (?, 'team_member', ?, ?, ?)", id, v, vp, now); err != nil {
						return err
					}
				}
			}
			for _, m := range members[:12] {
				if _, err := tx.ExecContext(sys, "UPDATE users SET disabled = 1 WHERE id = ?", m.UserID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := NewService(d, nil)
		defer s.Close()
		admin := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
		for _, code := range []string{"51", "535", "525", communes[0].Code, places[0], other[0].Code} {
			got, err := s.ProgressExport(admin, code, res.CampaignID, ViewNow)
			if err != nil {
				t.Fatal(err)
			}
			want := got
			want.Members, want.MembersMet, want.BehindCount = 0, 0, 0
			want.Leaders, want.Behind, want.AllMembers = nil, nil, nil
			want.Children = slices.Clone(got.Children)
			for i := range want.Children {
				want.Children[i].Members, want.Children[i].MembersMet = 0, 0
			}
			var u struct{ Path string }
			if err := d.Reader().QueryRowContext(context.Background(), "SELECT path FROM units WHERE code = ?", code).Scan(&u.Path); err != nil {
				t.Fatal(err)
			}
			walkMembers(t, s, u, &want)
			got.ComputedMs, want.ComputedMs = 0, 0
			if got.Members == 0 || got.MembersMet == 0 && code == "51" {
				t.Errorf("%s: %d members, %d met: the data tests nothing", code, got.Members, got.MembersMet)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: SQL and walk differ:\n members %d/%d met %d/%d behind %d/%d\n children %+v\n   walk %+v\n leaders %+v\n   walk %+v\n behind[:5] %+v\n   walk %+v",
					code, got.Members, want.Members, got.MembersMet, want.MembersMet, got.BehindCount, want.BehindCount, got.Children, want.Children,
					got.Leaders, want.Leaders, got.Behind[:min(5, len(got.Behind))], want.Behind[:min(5, len(want.Behind))])
			}
			plain, err := s.Progress(admin, code, res.CampaignID)
			if err != nil {
				t.Fatal(err)
			}
			if plain.AllMembers != nil || plain.Members != got.Members {
				t.Errorf("%s: Progress without export lists %d members", code, len(plain.AllMembers))
			}
		}
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProgressProvince times province-level Progress (SQL aggregation) against the former
// walk over the members, with 7,500 members, in process CPU time per call (wall time is noise on
// a shared machine).
func BenchmarkProgressProvince(b *testing.B) {
	d := dbtest.SQLite(b, schema.All())
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		b.Fatal(err)
	}
	var communes []string
	rows, _ := d.Reader().QueryContext(sys, "SELECT code FROM units WHERE level = 'commune'")
	for rows.Next() {
		var c string
		rows.Scan(&c)
		communes = append(communes, c)
	}
	rows.Close()
	now := db.Millis(time.Now())
	var members []GenMember
	if err := d.WriteTx(sys, func(tx *db.Tx) error {
		for i := range 7500 {
			id, err := tx.InsertID(sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, must_change_password, created_at, updated_at)
				VALUES (?, ?, '', ?, '!', 0, ?, ?) RETURNING id`, fmt.Sprintf("tv.%d", i), fmt.Sprintf("Thành viên %d", i), fmt.Sprintf("tv %d", i), now, now)
			if err != nil {
				return err
			}
			members = append(members, GenMember{UserID: id, UnitCode: communes[i%len(communes)]})
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	res, err := Generate(sys, d, GenSpec{Seed: 1, Members: members, Records: 60000, Launch: time.Now().Add(-48 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	s := NewService(d, nil)
	defer s.Close()
	admin := authz.WithActor(context.Background(), &authz.Actor{UserID: 1, Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}})
	p, err := s.Progress(admin, "51", res.CampaignID)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sql", func(b *testing.B) {
		c0 := cpuTime()
		for range b.N {
			if _, err := s.Progress(admin, "51", res.CampaignID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
	})
	b.Run("walk", func(b *testing.B) {
		t := &testing.T{}
		c0 := cpuTime()
		for range b.N {
			q := p
			q.Children = slices.Clone(p.Children)
			walkMembers(t, s, struct{ Path string }{"/51/"}, &q)
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/1e6, "cpu-ms/op")
	})
}
