// Command reports measures the province dashboard and the xlsx export behind docs/benchmarks.md
// ("Reports and dashboards"):
//
//  1. the province dashboard (GET /dashboard/public?province=51, the whole page rendered, over loopback) on the
//     province as `lantoa seed --profile province` makes it (10 million guidance records and a
//     million learners at -scale 1), beside the same page on a province with its unit tree only
//     (the baseline, same run), both with every provider computed afresh on every request
//     ("uncached", the cache defeated by moving the clock past its 60 s) and as served (figures
//     cached up to 60 s);
//  2. the time to export a 130,000-row table to xlsx through internal/platform/sheet, against a
//     bare excelize stream write of the same rows in the same run.
//
// go run ./bench/reports [-scale 1 | -db gen.db] [-requests 100] [-xlsx-rows 130000]
//
// -db takes a database already made by `lantoa seed --profile province` (SQLite path or
// PostgreSQL URL), so one generation serves several benchmarks.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/seed"
	"github.com/lantoa/lantoa/internal/units"
)

type options struct {
	requests, xlsxRows int
	// uncached bounds the uncached requests (every provider computed afresh each time), which on
	// a large database take seconds each; -1: as many as -requests.
	uncached     int
	scale        float64
	dir, out, db string
	// baseMap is the map of the baseline's unit tree: "2023" (the plan's Quảng Ngãi) or "2025"
	// (switched with the shipped lineage, for the national profile on the 2025 map).
	baseMap string
}

func main() {
	var o options
	flag.Float64Var(&o.scale, "scale", 1, "size of the generated province (1: 10M records, 1M learners)")
	flag.StringVar(&o.db, "db", "", "use this database made by `lantoa seed --profile province` instead of generating")
	flag.IntVar(&o.requests, "requests", 100, "dashboard requests timed at each size and mode")
	flag.IntVar(&o.xlsxRows, "xlsx-rows", 130000, "rows of the xlsx export")
	flag.IntVar(&o.uncached, "uncached-requests", -1, "uncached dashboard requests timed (default: as many as -requests)")
	flag.StringVar(&o.dir, "dir", "", "folder for the database (a temporary one by default)")
	flag.StringVar(&o.out, "out", "", "also write the report (Markdown) to this file")
	flag.StringVar(&o.baseMap, "baseline-map", "2023", "the baseline's unit tree: 2023, or 2025 (the two-tier map, for the national profile)")
	flag.Parse()
	if o.baseMap != "2023" && o.baseMap != "2025" {
		fmt.Fprintln(os.Stderr, "bench/reports: -baseline-map 2023 or 2025")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/reports:", err)
		os.Exit(1)
	}
}

type bench struct {
	app    *app.App
	d      *db.DB
	rs     *reports.Service
	srv    *httptest.Server
	clock  time.Time
	report *strings.Builder
	// expect are what every dashboard page must contain for the driver to count it: the
	// province's name and its drill-down (the district map on the 2023 map; on the 2025 map the
	// commune grid with the first commune's name).
	expect []string
}

// expectations reads what the page of province 51 must show from the database it is served from.
func (b *bench) expectations(ctx context.Context) error {
	var name string
	var districts int
	if err := b.d.Reader().QueryRowContext(ctx, "SELECT name FROM units WHERE path = '/51/'").Scan(&name); err != nil {
		return err
	}
	if err := b.d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units WHERE parent_path = '/51/' AND level = 'district' AND valid_to = ''").Scan(&districts); err != nil {
		return err
	}
	b.expect = []string{units.PlaceName(name)}
	if districts > 0 {
		b.expect = append(b.expect, "district-map")
		return nil
	}
	var commune string
	if err := b.d.Reader().QueryRowContext(ctx, "SELECT name FROM units WHERE parent_path = '/51/' AND valid_to = '' ORDER BY path LIMIT 1").Scan(&commune); err != nil {
		return err
	}
	b.expect = append(b.expect, "unit-grid", commune)
	return nil
}

func (b *bench) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fmt.Print(s)
	b.report.WriteString(s)
}

// open opens (and migrates) a database and serves its dashboard with a clock the bench moves.
func open(ctx context.Context, source string) (*bench, *seed.Services, error) {
	b := &bench{clock: time.Now()}
	// The server as serve builds it (every report provider included), on the bench's clock.
	a, err := app.Build(ctx, app.BuildConfig{Source: source, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return b.clock }})
	if err != nil {
		return nil, nil, err
	}
	b.app, b.d, b.rs = a, a.DB, a.Reports
	b.srv = httptest.NewServer(a.Web)
	if err := b.expectations(ctx); err != nil {
		return nil, nil, err
	}
	return b, &seed.Services{DB: a.DB, Units: a.Units, Orgs: a.Orgs, Accounts: a.Accounts, Ceremony: a.Ceremony, Reports: a.Reports}, nil
}

func (b *bench) close() {
	b.srv.Close()
	b.app.Close()
}

func run(o options) error {
	ctx := authz.WithActor(context.Background(), authz.System)
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "lantoa-bench-reports-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	report := &bench{report: &strings.Builder{}}
	report.printf("Lan Tỏa reports benchmark — %s, %s/%s, %d CPU\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	report.printf("| data | mode | requests | p50 | p95 | max |\n|---|---|---|---|---|---|\n")

	// Baseline: the same page over a province with its unit tree only.
	base, _, err := open(ctx, filepath.Join(dir, "empty.db"))
	if err != nil {
		return err
	}
	base.report = report.report
	if o.baseMap == "2025" {
		if _, err := base.rs.Units.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
			return err
		}
		if err := base.expectations(ctx); err != nil {
			return err
		}
	}
	if err := base.dashboard("baseline: unit tree only ("+o.baseMap+" map)", o.requests, o.uncached); err != nil {
		return err
	}
	base.close()

	source, label := o.db, "database given with -db"
	if source == "" {
		source = filepath.Join(dir, "gen.db")
	}
	b, svc, err := open(ctx, source)
	if err != nil {
		return err
	}
	defer b.close()
	b.report = report.report
	if o.db == "" {
		start := time.Now()
		_, err := seed.Run(ctx, *svc, seed.Options{Profile: seed.Province, Scale: o.scale, Seed: 2023, Progress: os.Stderr, ProvinceCode: "51"})
		if err != nil {
			return err
		}
		label = fmt.Sprintf("seed --profile province --scale %g, generated in %s", o.scale, time.Since(start).Round(time.Second))
	}
	var records, learners int64
	_ = b.d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM outreach_records").Scan(&records)
	_ = b.d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM role_grants WHERE role = 'learner'").Scan(&learners)
	if err := b.dashboard(fmt.Sprintf("%d guidance records, %d learners (%s)", records, learners, label), o.requests, o.uncached); err != nil {
		return err
	}
	b.printf("\n")
	if err := b.xlsx(o.xlsxRows); err != nil {
		return err
	}
	if o.out != "" {
		return os.WriteFile(o.out, []byte(b.report.String()), 0o644)
	}
	return nil
}

// dashboard times GET /dashboard/public?province=51, uncached (clock moved past the cache's TTL before every
// request) and as served (cache warm, as within any minute).
func (b *bench) dashboard(label string, n, uncached int) error {
	get := func() (time.Duration, error) {
		start := time.Now()
		// Quảng Ngãi's public dashboard: on a database of several provinces /dashboard/public
		// alone is the national view, which is not the page the targets name.
		resp, err := http.Get(b.srv.URL + "/dashboard/public?province=51")
		if err != nil {
			return 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("dashboard: %d %.300s", resp.StatusCode, body)
		}
		for _, want := range b.expect {
			if !bytes.Contains(body, []byte(want)) {
				return 0, fmt.Errorf("dashboard: the page lacks %q", want)
			}
		}
		return took, nil
	}
	for _, mode := range []string{"uncached", "served (60 s cache)"} {
		n := n
		if mode == "uncached" && uncached >= 0 {
			n = uncached
		}
		var times []time.Duration
		if _, err := get(); err != nil { // warm-up: connections, page cache
			return err
		}
		for range n {
			if mode == "uncached" {
				b.clock = b.clock.Add(reports.CacheTTL + time.Second)
			}
			t, err := get()
			if err != nil {
				return err
			}
			times = append(times, t)
		}
		if len(times) == 0 {
			continue // -uncached-requests 0: the warm-up above filled the cache, nothing timed
		}
		slices.Sort(times)
		b.printf("| %s | %s | %d | %s | %s | %s |\n", label, mode, n, benchkit.Ms(benchkit.Pct(times, .5)),
			benchkit.Ms(benchkit.Pct(times, .95)), benchkit.Ms(times[len(times)-1]))
	}
	return nil
}

// xlsx writes the same 130,000 rows through sheet.WriteXLSX and through a bare excelize stream.
func (b *bench) xlsx(n int) error {
	header := []string{"Mã", "Đơn vị", "Thành viên", "Kỹ năng", "Nền tảng", "Số người", "Ngày", "Ghi chú"}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("%05d", 21000+i%538), fmt.Sprintf("Xã thử nghiệm số %d", i%173), fmt.Sprintf("Thành viên %d", i%7500),
			"Cài đặt VNeID", "Dịch vụ công trực tuyến", i % 9, "2023-07-28", "Hướng dẫn tại nhà, đã cài đặt thành công"}
	}
	var sheetTimes, bareTimes []time.Duration
	var sheetSize, bareSize int
	var last []byte
	for range 3 {
		var buf bytes.Buffer
		start := time.Now()
		if err := sheet.WriteXLSX(&buf, sheet.Table{Name: "Dữ liệu", Header: header, Rows: rows}); err != nil {
			return err
		}
		sheetTimes, sheetSize = append(sheetTimes, time.Since(start)), buf.Len()
		last = bytes.Clone(buf.Bytes())
		buf.Reset()
		start = time.Now()
		if err := bareExcelize(&buf, header, rows); err != nil {
			return err
		}
		bareTimes, bareSize = append(bareTimes, time.Since(start)), buf.Len()
	}
	// The export "acknowledges" n rows by returning without error: read the file back and count.
	f, err := excelize.OpenReader(bytes.NewReader(last))
	if err != nil {
		return err
	}
	got, err := f.GetRows("Dữ liệu")
	f.Close()
	if err != nil {
		return err
	}
	if err := benchkit.Check(os.Stderr, "xlsx export: rows written, rows read back from the file", int64(n), int64(len(got)-1)); err != nil {
		return err
	}
	sheetMed, _, _ := benchkit.UpperMedian(sheetTimes)
	bareMed, _, _ := benchkit.UpperMedian(bareTimes)
	b.printf("| xlsx export, %d rows × %d columns | median of 3 | size |\n|---|---|---|\n", n, len(header))
	b.printf("| sheet.WriteXLSX (styled header, formula-safe cells) | %s | %.1f MB |\n", sheetMed.Round(time.Millisecond), float64(sheetSize)/1e6)
	b.printf("| baseline: bare excelize StreamWriter | %s | %.1f MB |\n", bareMed.Round(time.Millisecond), float64(bareSize)/1e6)
	return nil
}

func bareExcelize(w io.Writer, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	h := make([]any, len(header))
	for i, v := range header {
		h[i] = v
	}
	if err := sw.SetRow("A1", h); err != nil {
		return err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
