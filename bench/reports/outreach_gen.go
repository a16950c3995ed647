package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// generateOutreach adds 7,500 team members over the communes, one campaign already open, and n
// guidance records as raw rows (outreach_records, in multi-row inserts) together with the
// counter tables the outreach write path keeps up to date (per unit, per skill/platform, per
// member), computed from the same rows. The dashboard reads only the counters (through
// outreach.Service.Progress); the raw rows are there to show that their number does not matter.
func generateOutreach(ctx context.Context, d *db.DB, campaignID int64, n int) error {
	type place struct{ code, path string }
	var cs []place
	rows, err := d.Reader().QueryContext(ctx, "SELECT code, path FROM units WHERE level = 'commune' AND valid_to = '' ORDER BY code")
	if err != nil {
		return err
	}
	for rows.Next() {
		var c place
		if err := rows.Scan(&c.code, &c.path); err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, c)
	}
	rows.Close()
	const members = 7500
	var base int64
	if err := d.Reader().QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM users").Scan(&base); err != nil {
		return err
	}
	now := time.Now().Add(-48 * time.Hour).UnixMilli()
	ids := make([]int64, members)
	err = d.WriteTx(ctx, func(tx *db.Tx) error {
		for i := range members {
			ids[i] = base + int64(i) + 1
			c := cs[i%len(cs)]
			name := fmt.Sprintf("tv.bench.%d", i)
			if _, err := tx.ExecContext(ctx, "INSERT INTO users (id, username, display_name, search_key, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, '!', ?, ?)",
				ids[i], name, "Thành viên "+name, name, now, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO role_grants (user_id, role, unit_code, unit_path, created_at) VALUES (?, 'team_member', ?, ?, ?)", ids[i], c.code, c.path, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rng := mrand.New(mrand.NewPCG(7, 2023))
	skills := []string{"dvc_quocgia", "dvc_tinh", "khong_tien_mat", "thanh_toan_truc_tuyen"}
	unit := map[string]*[3]int64{}
	unitPath := map[string]string{}
	dims := map[string]map[string]int64{}
	member := map[int64]*[2]int64{}
	const perStmt, perTx = 250, 50000
	start := time.Now()
	for lo := 0; lo < n; lo += perTx {
		hi := min(n, lo+perTx)
		err := d.WriteTx(ctx, func(tx *db.Tx) error {
			for s := lo; s < hi; s += perStmt {
				var b strings.Builder
				b.WriteString(`INSERT INTO outreach_records (client_id, content_hash, campaign_id, member_id, unit_code, unit_path, citizen_name, birth_year, phone,
					citizen_key, skills, platforms, evidence, location, consent_version, guided_at, created_at, flagged) VALUES `)
				var args []any
				for i := s; i < min(hi, s+perStmt); i++ {
					mi := rng.IntN(members)
					c := cs[mi%len(cs)]
					ns := 1 + rng.IntN(3)
					platforms := ""
					if rng.IntN(2) == 0 {
						platforms = "vneid"
					}
					if i > s {
						b.WriteString(", ")
					}
					b.WriteString("(?, 'h', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 'v1', ?, ?, 0)")
					args = append(args, fmt.Sprintf("00000000-0000-4000-8000-%012d", i), campaignID, ids[mi], c.code, c.path, fmt.Sprintf("Người dân %d", i),
						1940+i%60, fmt.Sprintf("09%08d", i%100000000), fmt.Sprintf("%032x", i), strings.Join(skills[:ns], ","), platforms, now+int64(i%86400000), now+int64(i%86400000))
					u := unit[c.code]
					if u == nil {
						u = &[3]int64{}
						unit[c.code], unitPath[c.code], dims[c.code] = u, c.path, map[string]int64{}
					}
					u[0]++
					u[1]++
					for _, k := range skills[:ns] {
						dims[c.code]["skill:"+k]++
					}
					if platforms != "" {
						dims[c.code]["platform:vneid"]++
					}
					m := member[ids[mi]]
					if m == nil {
						m = &[2]int64{}
						member[ids[mi]] = m
					}
					m[0]++
					m[1]++
				}
				if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "\routreach records: %d/%d (%.0f/s)", hi, n, float64(hi)/time.Since(start).Seconds())
	}
	fmt.Fprintln(os.Stderr)
	return d.WriteTx(ctx, func(tx *db.Tx) error {
		for code, u := range unit {
			if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_unit_counts (campaign_id, unit_code, unit_path, records, citizens, flagged) VALUES (?, ?, ?, ?, ?, ?)",
				campaignID, code, unitPath[code], u[0], u[1], u[2]); err != nil {
				return err
			}
			for dim, k := range dims[code] {
				if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_dim_counts (campaign_id, unit_code, unit_path, dim, n) VALUES (?, ?, ?, ?, ?)",
					campaignID, code, unitPath[code], dim, k); err != nil {
					return err
				}
			}
		}
		for i, id := range ids {
			m := member[id]
			if m == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO outreach_member_counts (campaign_id, member_id, home_path, records, citizens, last_at) VALUES (?, ?, ?, ?, ?, ?)",
				campaignID, id, cs[i%len(cs)].path, m[0], m[1], now); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "ANALYZE")
		return err
	})
}
