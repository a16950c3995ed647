// Package pdfdoc lays out PDFs as Vietnamese administrative documents (Decree 30/2020/NĐ-CP): A4,
// a serif face metrically equal to Times New Roman with every Vietnamese glyph (Liberation Serif 2,
// SIL OFL, embedded in the binary), the issuing body and number on the left, the national motto on
// the right, place and date, title, body, recipients and signature block. Invitations,
// certificates and reports all use it.
package pdfdoc

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"
)

//go:embed fonts/LiberationSerif-Regular.ttf
var serifRegular []byte

//go:embed fonts/LiberationSerif-Bold.ttf
var serifBold []byte

//go:embed fonts/LiberationSerif-Italic.ttf
var serifItalic []byte

// Family is the font family name registered in every document.
const Family = "serif"

// Decree 30/2020 margins, in millimetres: top and bottom 20–25, left 30–35, right 15–20.
const (
	MarginTop    = 20.0
	MarginLeft   = 30.0
	MarginRight  = 15.0
	MarginBottom = 20.0
)

// Doc is a PDF under construction.
type Doc struct {
	*fpdf.Fpdf
}

// New starts an A4 portrait document with the serif family registered in regular, bold and italic.
func New(title string) *Doc {
	return newDoc("P", title)
}

// NewLandscape starts an A4 landscape document (certificates).
func NewLandscape(title string) *Doc {
	return newDoc("L", title)
}

func newDoc(orientation, title string) *Doc {
	p := fpdf.New(orientation, "mm", "A4", "")
	p.SetMargins(MarginLeft, MarginTop, MarginRight)
	p.SetAutoPageBreak(true, MarginBottom)
	p.AddUTF8FontFromBytes(Family, "", serifRegular)
	p.AddUTF8FontFromBytes(Family, "B", serifBold)
	p.AddUTF8FontFromBytes(Family, "I", serifItalic)
	p.SetTitle(title, true)
	p.SetCreator("Lan Tỏa", true)
	p.SetFont(Family, "", 13)
	p.AddPage()
	return &Doc{Fpdf: p}
}

// Header is the top of an administrative document.
type Header struct {
	// Parent is the body above the issuer ("UBND TỈNH QUẢNG NGÃI"), may be empty.
	Parent string
	// Issuer is the issuing body ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG").
	Issuer string
	// Number is the document number and symbol ("123/BC-UBND"), may be empty.
	Number string
	Place  string
	Date   time.Time
}

// DateLine writes "Quảng Ngãi, ngày 15 tháng 8 năm 2023" as Vietnamese documents do (days and
// months below 10 take a leading zero only for day 1–9 and months 1–2, per Decree 30).
func DateLine(place string, t time.Time) string {
	day := fmt.Sprintf("%d", t.Day())
	if t.Day() < 10 {
		day = "0" + day
	}
	month := fmt.Sprintf("%d", int(t.Month()))
	if t.Month() < 3 {
		month = "0" + month
	}
	if place == "" {
		return fmt.Sprintf("Ngày %s tháng %s năm %d", day, month, t.Year())
	}
	return fmt.Sprintf("%s, ngày %s tháng %s năm %d", place, day, month, t.Year())
}

// AdministrativeHeader draws the two-column heading: issuing body left, national name and motto
// right, then the number and the place and date.
func (d *Doc) AdministrativeHeader(h Header) {
	pageW, _ := d.GetPageSize()
	left, _, right, _ := d.GetMargins()
	usable := pageW - left - right
	leftW := usable * 0.42
	rightW := usable - leftW
	y := d.GetY()

	d.SetXY(left, y)
	if h.Parent != "" {
		d.SetFont(Family, "", 12)
		d.CellFormat(leftW, 6, h.Parent, "", 2, "C", false, 0, "")
	}
	d.SetFont(Family, "B", 12)
	d.MultiCell(leftW, 6, h.Issuer, "", "C", false)
	lineY := d.GetY() + 0.5
	d.Line(left+leftW*0.3, lineY, left+leftW*0.7, lineY)
	leftEnd := lineY + 2

	d.SetXY(left+leftW, y)
	d.SetFont(Family, "B", 12)
	d.CellFormat(rightW, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	d.SetFont(Family, "B", 13)
	d.CellFormat(rightW, 6, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	motto := d.GetStringWidth("Độc lập - Tự do - Hạnh phúc")
	ly := d.GetY() + 0.5
	d.Line(left+leftW+(rightW-motto)/2, ly, left+leftW+(rightW+motto)/2, ly)
	rightEnd := ly + 2

	y = max(leftEnd, rightEnd) + 2
	d.SetXY(left, y)
	d.SetFont(Family, "", 13)
	if h.Number != "" {
		d.CellFormat(leftW, 6, "Số: "+h.Number, "", 0, "C", false, 0, "")
	}
	if !h.Date.IsZero() {
		d.SetXY(left+leftW, y)
		d.SetFont(Family, "I", 13)
		d.CellFormat(rightW, 6, DateLine(h.Place, h.Date), "", 0, "C", false, 0, "")
	}
	d.SetFont(Family, "", 13)
	d.SetXY(left, y+12)
}

// Title writes the document title in bold capitals and an optional subtitle.
func (d *Doc) Title(title, subtitle string) {
	left, _, right, _ := d.GetMargins()
	pageW, _ := d.GetPageSize()
	d.SetFont(Family, "B", 14)
	d.SetX(left)
	d.MultiCell(pageW-left-right, 7, title, "", "C", false)
	if subtitle != "" {
		d.SetFont(Family, "B", 13)
		d.SetX(left)
		d.MultiCell(pageW-left-right, 6.5, subtitle, "", "C", false)
	}
	d.Ln(4)
	d.SetFont(Family, "", 13)
}

// Heading writes a numbered section heading ("I. KẾT QUẢ TRIỂN KHAI").
func (d *Doc) Heading(text string) {
	d.Ln(2)
	d.SetFont(Family, "B", 13)
	d.MultiCell(0, 6.5, text, "", "L", false)
	d.SetFont(Family, "", 13)
}

// Paragraph writes justified body text with a first-line indent, as administrative prose is set.
func (d *Doc) Paragraph(text string) {
	d.SetFont(Family, "", 13)
	d.MultiCell(0, 6.5, "        "+text, "", "J", false)
}

// Signature is the closing block: recipients on the left, the signer on the right.
type Signature struct {
	Recipients []string
	// Authority is "TM. ỦY BAN NHÂN DÂN" or similar, may be empty.
	Authority string
	Position  string
	Name      string
}

// SignatureBlock draws recipients ("Nơi nhận:") and the signature, keeping them on one page.
func (d *Doc) SignatureBlock(s Signature) {
	_, pageH := d.GetPageSize()
	if d.GetY() > pageH-80 {
		d.AddPage()
	}
	d.Ln(6)
	left, _, right, _ := d.GetMargins()
	pageW, _ := d.GetPageSize()
	usable := pageW - left - right
	y := d.GetY()
	d.SetXY(left, y)
	if len(s.Recipients) > 0 {
		d.SetFont(Family, "B", 12)
		d.CellFormat(usable/2, 6, "Nơi nhận:", "", 2, "L", false, 0, "")
		d.SetFont(Family, "", 11)
		for _, r := range s.Recipients {
			d.CellFormat(usable/2, 5.5, "- "+r, "", 2, "L", false, 0, "")
		}
	}
	d.SetXY(left+usable/2, y)
	d.SetFont(Family, "B", 13)
	if s.Authority != "" {
		d.CellFormat(usable/2, 6.5, s.Authority, "", 2, "C", false, 0, "")
	}
	d.CellFormat(usable/2, 6.5, s.Position, "", 2, "C", false, 0, "")
	d.SetFont(Family, "I", 12)
	d.CellFormat(usable/2, 6, "(Ký, ghi rõ họ tên)", "", 2, "C", false, 0, "")
	d.Ln(18)
	d.SetX(left + usable/2)
	d.SetFont(Family, "B", 13)
	d.CellFormat(usable/2, 6.5, s.Name, "", 2, "C", false, 0, "")
}

// Write finishes the document into w.
func (d *Doc) Write(w io.Writer) error {
	return d.Output(w)
}

// Bytes finishes the document and returns it.
func (d *Doc) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	err := d.Output(&buf)
	return buf.Bytes(), err
}

// UnregisteredNumber is the "Số:" line of a document the issuer's clerk has not yet registered:
// Decree 30/2020 has the clerk give the running number of the year at issue, so Lan Tỏa leaves the
// space for it (as drafts do) rather than print a number of its own that no register holds.
func UnregisteredNumber(symbol string) string {
	return "       /" + symbol
}
