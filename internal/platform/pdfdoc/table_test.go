package pdfdoc

import (
	"fmt"
	"strings"
	"testing"
)

// TestTableWrapsWithinColumns lays out a table whose first column holds names far longer than
// its width, on enough rows to run over pages, and measures every placed line with the font it
// is drawn in: no line may reach into the next column, the cells of a row share their top and
// height, no row crosses the foot of a page and every continued page opens with the header.
func TestTableWrapsWithinColumns(t *testing.T) {
	long := "Số lượt người dân được Tổ Công nghệ số cộng đồng hướng dẫn cài đặt, kích hoạt tài khoản định danh điện tử mức độ 2 và sử dụng dịch vụ công trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia"
	header := []string{"Chỉ tiêu", "Kết quả thực hiện", "Chỉ tiêu giao"}
	widths := []float64{100, 30, 30}
	var rows [][]string
	for i := range 40 {
		name := fmt.Sprintf("%d. Số Tổ", i+1)
		if i%3 == 0 {
			name = fmt.Sprintf("%d. %s", i+1, long)
		}
		rows = append(rows, []string{name, "10.000.000", "1.234.567"})
	}
	rows = append(rows, []string{"Mộtchữrấtdàikhôngcókhoảngtrắngnàođểngắtdòngnêncũngphảiđượcchianhỏtrongcột", "1", ""})

	d := New("Bảng")
	d.SetY(200) // start low on the first page, so the first break comes early
	boxes := d.planTable(11, header, widths, rows)
	_, pageH := d.GetPageSize()
	_, bottom := d.GetAutoPageBreak()
	_, top, _, _ := d.GetMargins()
	limit := pageH - bottom

	if len(boxes)%len(widths) != 0 {
		t.Fatalf("%d cells for %d columns", len(boxes), len(widths))
	}
	var text []string
	pages, wrapped := map[int]bool{}, false
	prevPage, prevBottom := -1, 0.0
	for r := 0; r < len(boxes); r += len(widths) {
		row := boxes[r : r+len(widths)]
		for i, b := range row {
			if b.Y != row[0].Y || b.H != row[0].H || b.Page != row[0].Page {
				t.Errorf("row %d: cell %d at page %d y %.2f h %.2f, first at page %d y %.2f h %.2f", r/3, i, b.Page, b.Y, b.H, row[0].Page, row[0].Y, row[0].H)
			}
			if i > 0 && b.X < row[i-1].X+row[i-1].W-1e-9 {
				t.Errorf("row %d: cell %d starts at %.2f inside the cell before it", r/3, i, b.X)
			}
			d.SetFont(Family, b.Style, b.Size)
			for _, line := range b.Lines {
				if w := d.GetStringWidth(line); w > b.W-2*d.GetCellMargin()+0.01 {
					t.Errorf("row %d col %d: %q is %.2f mm wide in a %.2f mm column", r/3, i, line, w, b.W)
				}
			}
			if float64(len(b.Lines))*b.LineH > b.H {
				t.Errorf("row %d col %d: %d lines overflow a %.2f mm row", r/3, i, len(b.Lines), b.H)
			}
			if i == 0 && b.Style == "" {
				text = append(text, strings.Join(b.Lines, " "))
				wrapped = wrapped || len(b.Lines) > 2
			}
		}
		b := row[0]
		if b.Y+b.H > limit+1e-9 {
			t.Errorf("row %d ends at %.2f mm, below the page's %.2f", r/3, b.Y+b.H, limit)
		}
		if b.Page == prevPage && b.Y < prevBottom-1e-9 {
			t.Errorf("row %d at %.2f overlaps the row above, which ends at %.2f", r/3, b.Y, prevBottom)
		}
		if b.Page != prevPage {
			pages[b.Page] = true
			if b.Style != "B" || b.Lines[0] != header[0] {
				t.Errorf("page %d opens with %q, not the header", b.Page, b.Lines)
			}
			if b.Page > 0 && b.Y != top {
				t.Errorf("page %d: table resumes at %.2f, not the top margin %.2f", b.Page, b.Y, top)
			}
		}
		prevPage, prevBottom = b.Page, b.Y+b.H
	}
	if !wrapped || len(pages) < 2 {
		t.Fatalf("the test table should wrap (%v) and run over pages (%d)", wrapped, len(pages))
	}
	if len(text) != len(rows) {
		t.Fatalf("%d body rows placed, want %d", len(text), len(rows))
	}
	for i, r := range rows {
		// Wrapping may only replace a space by a line break, or break a word too long for the column.
		if got := strings.ReplaceAll(text[i], " ", ""); got != strings.ReplaceAll(r[0], " ", "") {
			t.Errorf("row %d reads %q, want %q", i, text[i], r[0])
		}
	}
	d.TableSized(11, header, widths, rows)
	if _, err := d.Bytes(); err != nil {
		t.Fatal(err)
	}
}
