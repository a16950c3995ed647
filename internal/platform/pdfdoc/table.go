package pdfdoc

// Table writes a bordered table in 11-point type; widths are in millimetres. See TableSized.
func (d *Doc) Table(header []string, widths []float64, rows [][]string) {
	d.TableSized(11, header, widths, rows)
}

// TableSized writes a bordered table in size-point type, laid out as an administrative document's
// table is: a text longer than its column wraps inside it (a long indicator name must never run
// over the figure beside it), a row is as tall as its tallest cell, a row is never split across
// pages, and the header row is repeated at the top of every page the table continues on. The
// first column is aligned left, the others (figures) right; the header is bold and centred.
func (d *Doc) TableSized(size float64, header []string, widths []float64, rows [][]string) {
	first := d.PageNo()
	var last cellBox
	for _, b := range d.planTable(size, header, widths, rows) {
		for first+b.Page > d.PageNo() {
			d.AddPage()
		}
		d.drawCell(b)
		last = b
	}
	d.SetXY(d.leftMargin(), last.Y+last.H)
	d.SetFont(Family, "", 13)
}

// cellBox is one cell of a planned table: where it sits (Page counts from the page the table
// starts on), its wrapped lines and how they are set.
type cellBox struct {
	Page       int
	X, Y, W, H float64
	Lines      []string
	Size       float64
	Style      string // "" or "B"
	Align      string // "L", "C" or "R"
	LineH      float64
}

// cellPad is the space above and below a cell's text, in millimetres.
const cellPad = 0.9

// lineHeight is the leading of size-point type in millimetres (about 1.3 × the type's height).
func lineHeight(size float64) float64 { return size * 0.46 }

func (d *Doc) leftMargin() float64 {
	left, _, _, _ := d.GetMargins()
	return left
}

// planTable places every cell without drawing, starting at the current position: the wrapping
// is measured with the very font each cell is drawn in, so what the plan says fits does fit.
func (d *Doc) planTable(size float64, header []string, widths []float64, rows [][]string) []cellBox {
	_, top, _, _ := d.GetMargins()
	_, pageH := d.GetPageSize()
	_, bottom := d.GetAutoPageBreak()
	limit := pageH - bottom
	left := d.leftMargin()
	lh := lineHeight(size)

	row := func(texts []string, style string, page int, y float64) []cellBox {
		d.SetFont(Family, style, size)
		cells := make([]cellBox, len(texts))
		x, h := left, 0.0
		for i, text := range texts {
			lines := d.SplitText(text, widths[i])
			if len(lines) == 0 {
				lines = []string{""}
			}
			align := "R"
			switch {
			case style == "B":
				align = "C"
			case i == 0:
				align = "L"
			}
			cells[i] = cellBox{Page: page, X: x, Y: y, W: widths[i], Lines: lines, Size: size, Style: style, Align: align, LineH: lh}
			h = max(h, float64(len(lines))*lh+2*cellPad)
			x += widths[i]
		}
		for i := range cells {
			cells[i].H = h
		}
		return cells
	}
	var out []cellBox
	page, y := 0, d.GetY()
	head := row(header, "B", page, y)
	// A header alone at the foot of a page says nothing: it moves down with the first row.
	if len(rows) > 0 {
		if first := row(rows[0], "", page, y+head[0].H); y+head[0].H+first[0].H > limit && y > top {
			page, y = 1, top
			head = row(header, "B", page, y)
		}
	}
	out = append(out, head...)
	y += head[0].H
	for _, r := range rows {
		cells := row(r, "", page, y)
		// A row taller than a whole page cannot be kept whole; it is drawn where it starts.
		if y+cells[0].H > limit && y > top+head[0].H {
			page, y = page+1, top
			head = row(header, "B", page, y)
			out = append(out, head...)
			y += head[0].H
			cells = row(r, "", page, y)
		}
		out = append(out, cells...)
		y += cells[0].H
	}
	d.SetFont(Family, "", 13)
	return out
}

// drawCell draws a cell's border and its lines, centred vertically in the row.
func (d *Doc) drawCell(b cellBox) {
	d.SetFont(Family, b.Style, b.Size)
	d.Rect(b.X, b.Y, b.W, b.H, "D")
	y := b.Y + (b.H-float64(len(b.Lines))*b.LineH)/2
	for _, line := range b.Lines {
		d.SetXY(b.X, y)
		d.CellFormat(b.W, b.LineH, line, "", 0, b.Align, false, 0, "")
		y += b.LineH
	}
}
