package reports_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/schema"
)

// longSkill is a skill's name as a province may write it: far wider than the figure column.
const longSkill = "Kỹ năng: Hướng dẫn cài đặt, kích hoạt tài khoản định danh điện tử VNeID mức độ 2 và nộp hồ sơ dịch vụ công trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia, thanh toán phí, lệ phí không dùng tiền mặt"

// TestReportPDFNoOverprint: a report whose indicator names are longer than their column is laid
// out with the names wrapped inside it. Read back from the PDF itself, no two words are drawn
// over each other (what an overprinted number looks like), the long name reads whole, and
// every word of it stays left of the figures.
func TestReportPDFNoOverprint(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		p, _, err := f.svc.CreatePlanPeriod(f.province, "")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.svc.OpenReport(f.baTo, p.ID, "535")
		if r, err = f.svc.Submit(f.baTo, r.ID, fullDraft()); err != nil {
			t.Fatal(err)
		}
		doc, err := f.svc.Document(f.province, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Figures) == 0 {
			t.Fatal("the report has no figures to lay out")
		}
		// Enough long names to carry the table over a page break as well.
		section := doc.Figures[0].Section
		for range 12 {
			doc.Figures = append(doc.Figures, reports.Field{Section: section, Key: "long", LabelKey: reports.LiteralLabel + longSkill, Value: 1234567, Target: 7654321})
		}
		tr := i18n.MustLoad().Translator("vi")
		var x bytes.Buffer
		if err := doc.WritePDF(&x, tr); err != nil {
			t.Fatal(err)
		}
		keepPDF(t, "report-long-names.pdf", x.Bytes())
		words := checkNoOverprint(t, x.Bytes())
		if words == nil {
			return
		}
		// The columns meet 100 and 130 mm into the text block, which starts at the 30 mm margin.
		// Within the table's band on each page — from its header's "Giá trị" to below its last
		// figure, the last row's name reaching about three lines under its centred figure — no
		// word may straddle a column's edge.
		const mm = 72 / 25.4
		edges := []float64{130 * mm, 160 * mm}
		top, bottom := map[int]float64{}, map[int]float64{}
		for _, w := range words {
			if w.Text == strings.Fields(tr("reports.col.value"))[0] {
				if _, ok := top[w.Page]; !ok {
					top[w.Page] = w.YMin
				}
			}
			if w.Text == "7.654.321" {
				bottom[w.Page] = max(bottom[w.Page], w.YMax+20*mm)
			}
		}
		if len(bottom) < 2 {
			t.Fatalf("the long names should carry the table over a page (pages %v)", bottom)
		}
		for _, w := range words {
			if w.YMin < top[w.Page] || w.YMax > bottom[w.Page] {
				continue
			}
			for _, e := range edges {
				if w.XMin < e && w.XMax > e {
					t.Errorf("page %d: %q runs from %.1f to %.1f pt, over the column edge at %.1f pt", w.Page, w.Text, w.XMin, w.XMax, e)
				}
			}
		}
		if text, _ := pdftest.Text(t, x.Bytes()); strings.Count(text, longSkill) != 12 {
			t.Errorf("the long name does not read whole 12 times:\n%s", text)
		}

		sum, err := f.svc.Summary(f.province, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		x.Reset()
		if err := sum.WritePDF(&x, tr, *f.clock); err != nil {
			t.Fatal(err)
		}
		keepPDF(t, "summary.pdf", x.Bytes())
		checkNoOverprint(t, x.Bytes())
	})
}

// checkNoOverprint fails when two words of a page are drawn over each other, and returns the
// words (nil without pdftotext).
func checkNoOverprint(t *testing.T, pdf []byte) []pdftest.Word {
	t.Helper()
	words, ok := pdftest.Words(t, pdf)
	if !ok {
		return nil
	}
	// Boxes may touch (a word's descent meets the next line's ascent); overprint covers more.
	const slack = 1.0
	for i, a := range words {
		for _, b := range words[i+1:] {
			if a.Page == b.Page && a.XMin+slack < b.XMax && b.XMin+slack < a.XMax && a.YMin+slack < b.YMax && b.YMin+slack < a.YMax {
				t.Errorf("page %d: %q (%.1f–%.1f, %.1f–%.1f) overprints %q (%.1f–%.1f, %.1f–%.1f)", a.Page,
					a.Text, a.XMin, a.XMax, a.YMin, a.YMax, b.Text, b.XMin, b.XMax, b.YMin, b.YMax)
			}
		}
	}
	return words
}

// keepPDF writes a test's PDF next to the browser tests' screenshots, for a reviewer to look at.
func keepPDF(t *testing.T, name string, pdf []byte) {
	dir := os.Getenv("LANTOA_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
}
