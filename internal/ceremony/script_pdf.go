package ceremony

// The ceremony's script (kịch bản chương trình) as a printable PDF: an administrative document of
// the office of the province's People's Committee (Decree 30/2020 heading: issuing body, national
// name and motto, place and date, title), then the programme as a table of steps with their time,
// duration, speaker, the MC's lines and notes. It is in Vietnamese whoever prints it. The table is
// wide, so the page is A4 landscape (as Decree 30 allows for a table); a row too tall for the rest
// of a page goes on over the next one, its header repeated.

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
)

// ScriptRow is one step of the script as printed: its time (planned, or reckoned from the step
// before and its duration), duration and texts.
type ScriptRow struct {
	Step
	// At is when the step starts; zero when neither planned nor reckonable.
	At time.Time
	// Reckoned tells At was reckoned from the step before rather than planned.
	Reckoned bool
}

// ScriptRows reckons each step's start: a planned time stands; a step without one starts when the
// step before it ends (its start plus its duration), when both are known.
func ScriptRows(steps []Step) []ScriptRow {
	out := make([]ScriptRow, len(steps))
	var prev time.Time
	prevDur := 0
	for i, st := range steps {
		r := ScriptRow{Step: st, At: st.PlannedAt}
		if r.At.IsZero() && !prev.IsZero() && prevDur > 0 {
			r.At, r.Reckoned = prev.Add(time.Duration(prevDur)*time.Minute), true
		}
		prev, prevDur = r.At, st.DurationMin
		out[i] = r
	}
	return out
}

// Script renders the ceremony's script for whoever follows the ceremony live (MayWatch): the
// province's and its districts' and communes' administrators, the bridge points' operators, the
// designated leaders.
func (s *Service) Script(ctx context.Context, id int64) ([]byte, Ceremony, error) {
	c, err := s.Find(ctx, id)
	if err != nil {
		return nil, Ceremony{}, err
	}
	if !MayWatch(authz.ActorFrom(ctx), c) {
		return nil, Ceremony{}, forbidden()
	}
	province, err := s.Units.Find(ctx, c.Province)
	if err != nil {
		return nil, Ceremony{}, err
	}
	head, _ := letterhead(province)
	head.Date = s.Now().In(VietnamTime)
	// The clerk gives the running number when the script is issued (Decree 30).
	head.Number = pdfdoc.UnregisteredNumber("KB-VP")
	start := c.StartsAt.In(VietnamTime)
	doc := pdfdoc.NewLandscape("Kịch bản " + c.Title)
	doc.AdministrativeHeader(head)
	doc.Title("KỊCH BẢN CHƯƠNG TRÌNH", c.Title)
	doc.Paragraph("Thời gian: " + start.Format("15 giờ 04") + ", ngày " + start.Format("02/01/2006") + ".")
	if c.Venue != "" {
		doc.Paragraph("Địa điểm: " + c.Venue + ", kết nối trực tuyến đến các điểm cầu.")
	}
	if c.Status == Cancelled {
		doc.Paragraph("Buổi lễ đã hủy: kịch bản chỉ để lưu.")
	}
	doc.Ln(2)
	header := []string{"TT", "Thời gian", "Thời lượng (phút)", "Nội dung", "Người thực hiện", "Lời dẫn chương trình", "Ghi chú"}
	widths := []float64{10, 20, 18, 48, 40, 84, 32}
	rows := make([][]string, 0, len(c.Steps))
	for _, r := range ScriptRows(c.Steps) {
		at, dur := "", ""
		if !r.At.IsZero() {
			at = r.At.In(VietnamTime).Format("15:04")
			if d := r.At.In(VietnamTime); d.Format("02/01") != start.Format("02/01") {
				at += " " + d.Format("02/01")
			}
			if r.Reckoned {
				at = "~" + at
			}
		}
		if r.DurationMin > 0 {
			dur = strconv.Itoa(r.DurationMin)
		}
		rows = append(rows, []string{strconv.Itoa(r.Position), at, dur, r.Title, r.Speaker, r.MCLines, r.Notes})
	}
	scriptTable(doc, 10.5, header, widths, rows)
	doc.Ln(2)
	doc.SetFont(pdfdoc.Family, "I", 11)
	doc.MultiCell(0, 5.5, "Giờ có dấu ~ được tính từ giờ và thời lượng của mục trước.", "", "L", false)
	doc.SignatureBlock(pdfdoc.Signature{Recipients: []string{"Ban Tổ chức;", "Người dẫn chương trình;", "Các điểm cầu;", "Lưu: VT."},
		Authority: "TL. CHỦ TỊCH", Position: "CHÁNH VĂN PHÒNG"})
	out, err := doc.Bytes()
	if err != nil {
		return nil, Ceremony{}, apperr.Wrap(err, "script pdf")
	}
	return out, c, nil
}

// scriptTable draws a bordered table of text in size-point type, every column aligned left, the
// header bold and centred. A row is as tall as its tallest cell; a row that does not fit in the rest
// of the page is split line by line over the pages, the header repeated on each.
func scriptTable(doc *pdfdoc.Doc, size float64, header []string, widths []float64, rows [][]string) {
	const pad = 0.9
	lh := size * 0.46
	left, top, _, _ := doc.GetMargins()
	_, pageH := doc.GetPageSize()
	_, bottom := doc.GetAutoPageBreak()
	limit := pageH - bottom
	split := func(texts []string, style string) [][]string {
		doc.SetFont(pdfdoc.Family, style, size)
		out := make([][]string, len(texts))
		for i, t := range texts {
			for _, para := range strings.Split(t, "\n") {
				lines := doc.SplitText(para, widths[i]-2)
				if len(lines) == 0 {
					lines = []string{""}
				}
				out[i] = append(out[i], lines...)
			}
		}
		return out
	}
	draw := func(cells [][]string, from, n int, style, align string) {
		doc.SetFont(pdfdoc.Family, style, size)
		x, y := left, doc.GetY()
		h := float64(n)*lh + 2*pad
		for i, lines := range cells {
			doc.Rect(x, y, widths[i], h, "D")
			for k := from; k < from+n && k < len(lines); k++ {
				doc.SetXY(x+1, y+pad+float64(k-from)*lh)
				doc.CellFormat(widths[i]-2, lh, lines[k], "", 0, align, false, 0, "")
			}
			x += widths[i]
		}
		doc.SetXY(left, y+h)
	}
	head := split(header, "B")
	headN := 0
	for _, c := range head {
		headN = max(headN, len(c))
	}
	headH := float64(headN)*lh + 2*pad
	drawHead := func() { draw(head, 0, headN, "B", "C") }
	// The header keeps at least one line of the first row below it.
	if doc.GetY()+headH+lh+2*pad > limit {
		doc.AddPage()
	}
	drawHead()
	for _, r := range rows {
		cells := split(r, "")
		n := 0
		for _, c := range cells {
			n = max(n, len(c))
		}
		for from := 0; from < n; {
			room := int((limit - doc.GetY() - 2*pad) / lh)
			// A row that would fit whole on a fresh page is not split.
			if room < n-from && (room < 1 || float64(n-from)*lh+2*pad <= limit-top-headH) {
				doc.AddPage()
				doc.SetY(top)
				drawHead()
				continue
			}
			k := min(room, n-from)
			draw(cells, from, k, "", "L")
			from += k
		}
	}
	doc.SetFont(pdfdoc.Family, "", 13)
}
