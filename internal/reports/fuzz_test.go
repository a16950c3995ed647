package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// strictJSON decodes as the web layer's decodeJSON does: unknown fields and trailing data refused.
func strictJSON(body string, v any) bool {
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil {
		return false
	}
	var extra json.RawMessage
	return dec.Decode(&extra) != nil
}

func fuzzReports(f *testing.F) (*db.DB, *reports.Service, context.Context) {
	f.Helper()
	d := dbtest.SQLite(f, schema.All())
	sys := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "fuzz"})
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	svc := reports.NewService(d, u)
	clock := time.Date(2023, 8, 10, 9, 0, 0, 0, reports.VietnamTime)
	svc.Now = func() time.Time { return clock }
	return d, svc, sys
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func userFacing(t *testing.T, err error) {
	t.Helper()
	ae := apperr.As(err)
	if ae == nil || ae.Kind == apperr.Internal || ae.Key == "" {
		t.Fatalf("refusal is not a user-facing apperr: %v", err)
	}
}

// FuzzPeriodJSON decodes arbitrary bodies of POST /api/v1/reports/periods and creates the period
// as the province: no panic; a refusal is a user-facing apperr and creates neither a period nor an
// assignment; a created period is assigned at least one unit.
func FuzzPeriodJSON(f *testing.F) {
	f.Add(`{"title":"Báo cáo tháng 7","period_start":"2023-07-01","period_end":"2023-07-31","due_date":"2023-08-05","unit_level":"district","sections":["foundation"]}`)
	f.Add(`{"title":"Ba Tơ","period_start":"2023-07-01","period_end":"2023-06-01","due_date":"2023-08-05","unit_codes":["535","535","999"]}`)
	f.Add(`{"title":"","period_start":"01/07/2023","period_end":"2023-02-30","due_date":"x","unit_level":"village"}`)
	f.Add(`{"title":"Mục","period_start":"2023-07-01","period_end":"2023-07-31","due_date":"2023-08-05","unit_codes":["535"],"sections":["khong_co"],"narratives":["results","x"],"number_prefix":"BC/\u0000"}`)
	f.Add(`{"title":"Cả tỉnh","period_start":"2023-07-01","period_end":"2023-07-31","due_date":"2023-08-05","unit_codes":["51"],"unit_level":"commune"}`)
	d, svc, sys := fuzzReports(f)
	f.Fuzz(func(t *testing.T, body string) {
		var in reports.PeriodInput
		if !strictJSON(body, &in) {
			return
		}
		periods := countRows(t, d, "SELECT COUNT(*) FROM report_periods")
		assignments := countRows(t, d, "SELECT COUNT(*) FROM report_assignments")
		p, err := svc.CreatePeriod(sys, in)
		periodsAfter := countRows(t, d, "SELECT COUNT(*) FROM report_periods")
		assignmentsAfter := countRows(t, d, "SELECT COUNT(*) FROM report_assignments")
		if err != nil {
			userFacing(t, err)
			if periodsAfter != periods || assignmentsAfter != assignments {
				t.Fatalf("a refused period wrote: periods %d → %d, assignments %d → %d", periods, periodsAfter, assignments, assignmentsAfter)
			}
			return
		}
		if periodsAfter != periods+1 || assignmentsAfter <= assignments {
			t.Fatalf("period %d: periods %d → %d, assignments %d → %d", p.ID, periods, periodsAfter, assignments, assignmentsAfter)
		}
	})
}

// FuzzDraftJSON decodes arbitrary bodies of PUT /api/v1/reports/{id} and saves them as Ba Tơ's
// draft: no panic; a refusal is a user-facing apperr and leaves the report's version and text as
// they were; a save moves the version on by one and stores the narratives it was given.
func FuzzDraftJSON(f *testing.F) {
	f.Add(`{"narratives":{"results":"Đã thành lập 19 Tổ Công nghệ số.","difficulties":"Sóng yếu.","proposals":"Hỗ trợ thiết bị."},"signer_name":"Phạm Thị Lan","signer_position":"Phó Chủ tịch"}`)
	f.Add(`{"narratives":{"khong_co":"x"}}`)
	f.Add(`{"narratives":{"results":"\ud800"},"version":1}`)
	f.Add(`{"narratives":{"results":"cũ"},"version":99999}`)
	f.Add(`{"signer_name":"` + string(bytes.Repeat([]byte("Lê "), 200)) + `"}`)
	f.Add(`{}`)
	d, svc, sys := fuzzReports(f)
	p, err := svc.CreatePeriod(sys, reports.PeriodInput{Title: "Báo cáo thử", PeriodStart: "2023-07-01", PeriodEnd: "2023-08-15", DueDate: "2023-08-15",
		UnitCodes: []string{"535"}, Sections: []string{"foundation"}})
	if err != nil {
		f.Fatal(err)
	}
	baTo := audit.WithWho(authz.WithActor(context.Background(), &authz.Actor{Username: "ubnd.bato",
		Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}}), audit.Who{Username: "ubnd.bato"})
	r, err := svc.OpenReport(baTo, p.ID, "535")
	if err != nil {
		f.Fatal(err)
	}
	text := func(t *testing.T) string {
		t.Helper()
		rows, err := d.Reader().QueryContext(context.Background(), "SELECT field_key, body FROM report_narratives WHERE report_id = ? ORDER BY field_key", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b bytes.Buffer
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			b.WriteString(k + "=" + v + "\n")
		}
		return b.String()
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in reports.DraftInput
		if !strictJSON(body, &in) {
			return
		}
		before, err := svc.FindReport(sys, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		textBefore := text(t)
		saved, err := svc.SaveDraft(baTo, r.ID, in)
		after, ferr := svc.FindReport(sys, r.ID)
		if ferr != nil {
			t.Fatal(ferr)
		}
		if err != nil {
			userFacing(t, err)
			if after.Version != before.Version || text(t) != textBefore {
				t.Fatalf("a refused draft changed the report: version %d → %d", before.Version, after.Version)
			}
			return
		}
		if saved.Version != before.Version+1 || after.Version != saved.Version {
			t.Fatalf("save: version %d → %d (stored %d)", before.Version, saved.Version, after.Version)
		}
		// A blank narrative is stored as none; the others as sent (surrounding blanks aside).
		for k, v := range in.Narratives {
			if strings.TrimSpace(after.Narratives[k]) != strings.TrimSpace(v) {
				t.Fatalf("narrative %s: stored %q, sent %q", k, after.Narratives[k], v)
			}
		}
	})
}
