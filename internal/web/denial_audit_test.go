package web_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestDenialAuditedOnceWithoutFlood: a request for another district's object leaves exactly one
// access.denied row under the prober's province; a script probing many ids writes at most
// denialsPerMinute rows a minute and counts the rest on one access.denied_more row, so that the
// sum still tells every refusal.
func TestDenialAuditedOnceWithoutFlood(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		rec := e.memberRecord("0905123999")
		sonTay := e.tokens["unit_admin_sontay"]
		denied := func() (rows []audit.Entry, more []audit.Entry) {
			var all []audit.Entry
			for _, action := range []string{"access.denied", "access.denied_more"} {
				list, err := audit.List(e.sys, d.Reader(), audit.Filter{Action: action, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, list...)
			}
			for _, en := range all {
				if en.ActorName != "unit.admin.sontay" {
					continue
				}
				switch en.Action {
				case "access.denied":
					rows = append(rows, en)
				case "access.denied_more":
					more = append(more, en)
				}
			}
			return rows, more
		}
		path := fmt.Sprintf("/api/v1/outreach/records/%d", rec.ID)
		if resp, b := e.do("GET", path, sonTay, "", ""); resp.StatusCode != 404 {
			t.Fatalf("Sơn Tây reading Ba Tơ's record: %d %s", resp.StatusCode, b)
		}
		rows, more := denied()
		if len(rows) != 1 || len(more) != 0 || rows[0].Detail != "GET "+path+" not_found" || rows[0].UnitPath != "/51/" {
			t.Fatalf("one refusal, one row: %+v %+v", rows, more)
		}
		// A script walking ids: 70 refusals, whatever minute boundary they straddle, exceed the
		// budget of some minute.
		const probes = 70
		for i := range probes {
			if resp, _ := e.do("GET", path, sonTay, "", ""); resp.StatusCode != 404 {
				t.Fatalf("probe %d: %d", i, resp.StatusCode)
			}
		}
		rows, more = denied()
		perMinute := map[int64]int{}
		for _, r := range rows {
			perMinute[r.At.Unix()/60]++
		}
		for m, n := range perMinute {
			if n > 30 {
				t.Errorf("minute %d has %d rows, over the budget", m, n)
			}
		}
		counted := len(rows)
		for _, m := range more {
			n, err := strconv.Atoi(m.ObjectID)
			if err != nil || n <= 0 || m.Detail == "" {
				t.Errorf("access.denied_more row: %+v", m)
			}
			counted += n
		}
		if len(more) == 0 || counted != probes+1 {
			t.Fatalf("%d rows and %d summary rows tell %d refusals, want %d", len(rows), len(more), counted, probes+1)
		}
	})
}
