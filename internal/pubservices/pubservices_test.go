package pubservices_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// The province launched on 2025-03-20 (Vietnam time): January and February are before, March is
// the launch month (counted in neither), April and May are after.
var launch = time.Date(2025, 3, 20, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func actor(role authz.Role, path string) context.Context {
	code := strings.Trim(path[strings.LastIndex(strings.TrimSuffix(path, "/"), "/"):], "/")
	return authz.WithActor(context.Background(), &authz.Actor{Username: "u" + code, Grants: []authz.Grant{{Role: role, UnitCode: code, UnitPath: path}}})
}

var (
	province = actor(authz.ProvinceAdmin, "/51/")
	baTo     = actor(authz.UnitAdmin, "/51/535/")
	hanoi    = actor(authz.ProvinceAdmin, "/01/")
)

func setup(t *testing.T, d *db.DB) *pubservices.Service {
	t.Helper()
	sys := authz.WithActor(context.Background(), authz.System)
	u := units.NewService(d)
	if _, err := u.SeedQuangNgai(sys); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Import(sys, bytes.NewReader(units.ProvinceCSV(units.Vietnam2023CSV(), "01"))); err != nil {
		t.Fatal(err)
	}
	s := pubservices.NewService(d, u, func(_ context.Context, p string) (time.Time, error) {
		if p == "51" {
			return launch, nil
		}
		return time.Time{}, nil
	})
	s.Now = func() time.Time { return time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC) }
	return s
}

const header = "Mã đơn vị,Tên đơn vị,Tháng,Tổng số hồ sơ tiếp nhận,Hồ sơ trực tuyến,Hồ sơ trực tuyến toàn trình,Hồ sơ thanh toán trực tuyến\n"

// good: two communes of Ba Tơ and Sơn Tây's district, five months each.
func good() string {
	var b strings.Builder
	b.WriteString(header)
	for i, m := range []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05"} {
		fmt.Fprintf(&b, "21484,Thị trấn Ba Tơ,%s,100,%d,%d,%d\n", m, 20+10*i, 10+5*i, 5+5*i)
		fmt.Fprintf(&b, "21487,Xã Ba Điền,%s,50,%d,%d,%d\n", m, 10+5*i, 5, 2+i)
		fmt.Fprintf(&b, "530,Huyện Sơn Tây,%s,200,%d,%d,%d\n", m, 40, 20, 10)
	}
	return b.String()
}

func details(t *testing.T, err error) map[int]string {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Invalid {
		t.Fatalf("want an invalid-input error, got %v", err)
	}
	out := map[int]string{}
	for _, d := range e.Details {
		out[d.Line] = d.Key
	}
	return out
}

func count(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM public_service_stats`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pct(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%.1f", *p)
}

func TestImportAndBeforeAfter(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		res, err := s.Import(province, strings.NewReader(good()), false)
		if err != nil || res.Rows != 15 || res.Replaced != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		rep, err := s.Report(baTo, "535")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Months) != 5 || rep.Months[0].Phase != "before" || rep.Months[2].Phase != "launch" || rep.Months[4].Phase != "after" {
			t.Fatalf("months: %+v", rep.Months)
		}
		// Ba Tơ = its two communes. Before: Jan 20+10, Feb 30+15 online of 150 each → 75/300 = 25 %;
		// after: Apr 50+25, May 60+30 → 165/300 = 55 %.
		sum := rep.Summary
		if sum.Before.Months != 2 || sum.After.Months != 2 || sum.Before.Received != 300 {
			t.Fatalf("summary: %+v", sum)
		}
		if pct(sum.Before.OnlineShare) != "25.0" || pct(sum.After.OnlineShare) != "55.0" || pct(sum.Change.OnlineShare) != "30.0" {
			t.Errorf("online shares %s → %s (%s)", pct(sum.Before.OnlineShare), pct(sum.After.OnlineShare), pct(sum.Change.OnlineShare))
		}
		// Payments: before (5+2)+(10+3) = 20/300; after (20+5)+(25+6) = 56/300.
		if pct(sum.Before.PaidOnlineShare) != "6.7" || pct(sum.After.PaidOnlineShare) != "18.7" {
			t.Errorf("payment shares %s → %s", pct(sum.Before.PaidOnlineShare), pct(sum.After.PaidOnlineShare))
		}
		if len(rep.Children) != 2 || rep.Children[0].Unit.Code != "21484" {
			t.Errorf("children: %+v", rep.Children)
		}
		// The province adds Ba Tơ's communes and Sơn Tây: 350 a month.
		prov, err := s.Report(province, "51")
		if err != nil || prov.Months[0].Received != 350 {
			t.Fatalf("province: %+v %v", prov.Months, err)
		}
		// A district's own line replaces its communes' sum rather than adding to it.
		if _, err := s.Import(province, strings.NewReader(header+"535,Huyện Ba Tơ,2025-01,1000,100,50,10\n"), false); err != nil {
			t.Fatal(err)
		}
		prov, _ = s.Report(province, "51")
		if prov.Months[0].Received != 1200 {
			t.Errorf("province January with Ba Tơ's own line: %d, want 1200", prov.Months[0].Received)
		}
	})
}

func TestImportRefusedWholeWithLines(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		file := header +
			"21484,,2025-01,100,20,10,5\n" + // 2: good
			"99999,,2025-01,100,20,10,5\n" + // 3: unknown unit
			"21487,,2025-01,100,-1,0,0\n" + // 4: negative
			"21487,,2025-02,100,120,10,5\n" + // 5: online above received
			"21487,,2025-03,100,20,30,5\n" + // 6: fully online above online
			"21487,,2025-13,100,20,10,5\n" + // 7: bad month
			"21484,,01/2025,100,20,10,5\n" + // 8: duplicate of line 2
			"001,,2025-01,100,20,10,5\n" + // 9: Hà Nội's district: outside the province admin's scope
			"21487,,2025-07,100,20,10,5\n" + // 10: a month not over yet
			"21487,,2025-04,100,20,10,abc\n" // 11: not a number
		got := details(t, firstErr(s.Import(province, strings.NewReader(file), false)))
		want := map[int]string{3: "pubservices.import.unit_unknown", 4: "pubservices.import.count_negative", 5: "pubservices.import.online_above_received",
			6: "pubservices.import.fully_above_online", 7: "pubservices.import.month", 8: "pubservices.import.duplicate_in_file",
			9: "pubservices.import.unit_unknown", 10: "pubservices.import.month_future", 11: "pubservices.import.count_number"}
		for line, key := range want {
			if got[line] != key {
				t.Errorf("line %d: %q, want %q", line, got[line], key)
			}
		}
		if len(got) != len(want) {
			t.Errorf("lines named: %v", got)
		}
		if n := count(t, d); n != 0 {
			t.Errorf("%d rows written by a refused file", n)
		}
		// A file over the limit, a binary that is no table, a header alone: refused with a reason.
		big := header + strings.Repeat("21484,,2025-01,100,20,10,5\n", pubservices.MaxImportBytes/26+1)
		for name, c := range map[string]struct{ body, key string }{
			"oversize": {big, "pubservices.error.import_large"},
			"binary":   {"PK\x03\x04 not a zip", "pubservices.error.import_format"},
			"empty":    {header, "pubservices.error.import_empty"},
		} {
			var e *apperr.Error
			if _, err := s.Import(province, strings.NewReader(c.body), false); !errors.As(err, &e) || e.Key != c.key {
				t.Errorf("%s: %v, want %s", name, err, c.key)
			}
		}
		// Headers the file does not have are named.
		if _, err := s.Import(province, strings.NewReader("Mã đơn vị,Tháng,Tổng số hồ sơ tiếp nhận\n21484,2025-01,100\n"), false); err == nil || !strings.Contains(fmt.Sprint(err.(*apperr.Error).Args...), "online") {
			t.Errorf("missing columns: %v", err)
		}
	})
}

func firstErr(_ pubservices.ImportResult, err error) error { return err }

func TestImportReplaceFlag(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		if _, err := s.Import(province, strings.NewReader(good()), false); err != nil {
			t.Fatal(err)
		}
		again := header + "21484,,2025-02,400,300,200,100\n21484,,2025-06,100,50,20,10\n"
		got := details(t, firstErr(s.Import(baTo, strings.NewReader(again), false)))
		if got[2] != "pubservices.import.already_imported" || len(got) != 1 {
			t.Fatalf("re-import without replace: %v", got)
		}
		rep, _ := s.Report(baTo, "21484")
		if len(rep.Months) != 5 || rep.Months[1].Received != 100 {
			t.Fatalf("a refused re-import changed the figures: %+v", rep.Months)
		}
		// A new month of a unit that has others is no replacement: imported without the flag.
		if res, err := s.Import(baTo, strings.NewReader(header+"21484,,2025-06,100,50,20,10\n"), false); err != nil || res.Rows != 1 || res.Replaced != 0 {
			t.Fatalf("a new month: %+v %v", res, err)
		}
		res, err := s.Import(baTo, strings.NewReader(again), true)
		if err != nil || res.Rows != 2 || res.Replaced != 2 {
			t.Fatalf("replace: %+v %v", res, err)
		}
		rep, _ = s.Report(baTo, "21484")
		if len(rep.Months) != 6 || rep.Months[1].Received != 400 {
			t.Errorf("after replace: %+v", rep.Months)
		}
		var action, detail, path string
		if err := d.Reader().QueryRowContext(context.Background(), `SELECT action, detail, unit_path FROM audit_log WHERE action LIKE 'pubservices.%' ORDER BY id DESC LIMIT 1`).Scan(&action, &detail, &path); err != nil {
			t.Fatal(err)
		}
		if action != "pubservices.stats.replace" || !strings.Contains(detail, "replaced=2") || path != "/51/535/21484/" {
			t.Errorf("audit: %s %s %s", action, detail, path)
		}
	})
}

func TestScope(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		if _, err := s.Import(province, strings.NewReader(good()), false); err != nil {
			t.Fatal(err)
		}
		// Ba Tơ's administrator reads Ba Tơ and its communes, not Sơn Tây nor the province.
		if _, err := s.Report(baTo, "21487"); err != nil {
			t.Errorf("own commune: %v", err)
		}
		for _, code := range []string{"530", "51"} {
			if _, err := s.Report(baTo, code); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("Ba Tơ reads %s: %v", code, err)
			}
		}
		// Ba Tơ's administrator cannot import Sơn Tây's figures: the unit reads as unknown.
		got := details(t, firstErr(s.Import(baTo, strings.NewReader(header+"530,,2025-06,10,1,1,1\n"), false)))
		if got[2] != "pubservices.import.unit_unknown" {
			t.Errorf("import outside the subtree: %v", got)
		}
		// Another province sees nothing of Quảng Ngãi.
		for _, code := range []string{"51", "535", "21484"} {
			if _, err := s.Report(hanoi, code); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("Hà Nội reads %s: %v", code, err)
			}
		}
		// Without an administrator's grant nothing is imported.
		learner := authz.WithActor(context.Background(), &authz.Actor{Username: "hv", Grants: []authz.Grant{{Role: authz.Learner, UnitPath: "/51/535/"}}})
		if _, err := s.Import(learner, strings.NewReader(good()), false); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("learner import: %v", err)
		}
	})
}

// The template is an xlsx the import reads back as it is.
func TestTemplateRoundTrip(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		x, err := pubservices.Template("xlsx")
		if err != nil {
			t.Fatal(err)
		}
		h, rows, err := sheet.ReadTable(bytes.NewReader(x), sheet.DefaultLimits)
		if err != nil || len(h) != len(pubservices.TemplateHeader) || len(rows) != 2 {
			t.Fatalf("template: %v %v %v", h, rows, err)
		}
		if res, err := s.Import(province, bytes.NewReader(x), false); err != nil || res.Rows != 2 {
			t.Fatalf("template import: %+v %v", res, err)
		}
	})
}

// The exports of the provinces' systems word their columns their own way, put them in another
// order and add columns of their own; the columns are found by their words.
func TestImportReadsSystemExports(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		s := setup(t, d)
		file := "STT,Tên cơ quan,Mã ĐVHC,Kỳ báo cáo,Số hồ sơ tiếp nhận trực tuyến,Số hồ sơ DVC trực tuyến toàn trình,Tổng số hồ sơ tiếp nhận,Tỷ lệ trực tuyến (%),Số hồ sơ thanh toán trực tuyến\n" +
			"1,Thị trấn Ba Tơ,21484,Tháng 02/2025,\"1.200\",600,\"2.000\",60,300\n"
		if res, err := s.Import(province, strings.NewReader(file), false); err != nil || res.Rows != 1 {
			t.Fatalf("system export: %+v %v", res, err)
		}
		rep, _ := s.Report(province, "21484")
		if m := rep.Months[0]; m.Month != "2025-02" || m.Received != 2000 || m.Online != 1200 || m.FullyOnline != 600 || m.PaidOnline != 300 {
			t.Errorf("read as %+v", m)
		}
	})
}
