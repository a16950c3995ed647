package training

// The training exports: a course's question bank in the import template (CSV or xlsx), its
// mobilisation figures (xlsx) and the certificates (PDF). The certificate is an official document
// and the bank's header is the import template's, so both are in Vietnamese whoever downloads them;
// the figures' sheets keep the Vietnamese names they have always had.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// ExportQuestions writes a course's bank in the import template (CSV or xlsx), so it can be edited
// and imported elsewhere. Cells are made safe against formula injection by the sheet package.
func (s *Service) ExportQuestions(ctx context.Context, courseID int64, format string, w io.Writer) error {
	qs, err := s.Questions(ctx, courseID)
	if err != nil {
		return err
	}
	letters := 4
	for _, q := range qs {
		letters = max(letters, len(q.Options))
	}
	header := []string{"category", "type", "question"}
	for i := 0; i < letters; i++ {
		header = append(header, letter(i))
	}
	header = append(header, "correct", "difficulty")
	t := sheet.Table{Name: "Câu hỏi", Header: header}
	for _, q := range qs {
		if !q.Active {
			continue
		}
		row := []any{q.Category, string(q.Kind), q.Text}
		var correct []string
		for i := 0; i < letters; i++ {
			if i < len(q.Options) {
				row = append(row, q.Options[i].Text)
				if q.Options[i].Correct {
					correct = append(correct, letter(i))
				}
			} else {
				row = append(row, "")
			}
		}
		row = append(row, strings.Join(correct, ","), q.Difficulty)
		t.Rows = append(t.Rows, row)
	}
	if format == "xlsx" {
		return sheet.WriteXLSX(w, t)
	}
	return sheet.WriteCSV(w, t)
}

// ExportFigures writes the figures of a course as xlsx: by district, by commune (leaderboard
// order) and by organisation, each limited to the actor's scope; a national course first by
// province. A course of another province is not found.
func (s *Service) ExportFigures(ctx context.Context, courseID int64, w io.Writer) error {
	if err := requireFigures(authz.ActorFrom(ctx)); err != nil {
		return err
	}
	c, err := s.visibleCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return err
	}
	header := []string{"Mã", "Tên", "Đã ghi danh", "Đã bắt đầu", "Đã đạt", "Tỷ lệ đạt (%)", "Số người", "% hoàn thành", "% đạt"}
	type spec struct {
		name string
		f    FigureFilter
	}
	var specs []spec
	if c.Province == "" {
		specs = append(specs, spec{"Theo tỉnh, thành phố", FigureFilter{CourseID: courseID, Level: "province"}})
	}
	specs = append(specs, spec{"Theo huyện", FigureFilter{CourseID: courseID, Level: "district"}},
		spec{"Theo xã", FigureFilter{CourseID: courseID, Level: "commune"}},
		spec{"Theo xã (trước sắp xếp)", FigureFilter{CourseID: courseID, Level: "commune", View: ViewWas}},
		spec{"Theo cơ quan, tổ chức", FigureFilter{CourseID: courseID, By: "org"}})
	var tables []sheet.Table
	for _, spec := range specs {
		rows, err := s.Figures(ctx, spec.f)
		if err != nil {
			return err
		}
		if len(rows) == 0 && spec.f.Level != "" && spec.f.Level != "commune" {
			continue // no district level on the map of 2025
		}
		if spec.f.View == ViewWas && !hasRetired(rows) {
			continue // the map never changed: "as it was" is the same sheet
		}
		t := sheet.Table{Name: spec.name, Header: header}
		for _, r := range rows {
			t.Rows = append(t.Rows, []any{r.Key, r.Name, r.Enrolled, r.Started, r.Passed, r.PassRate, cellOf(r.Headcount), cellOf(r.CompletedShare), cellOf(r.PassedShare)})
		}
		tables = append(tables, t)
	}
	return sheet.WriteXLSX(w, tables...)
}

// cellOf is a value that may be unknown (no headcount), as an empty cell then.
func cellOf[T int | float64](p *T) any {
	if p == nil {
		return ""
	}
	return *p
}

// CertificatePDF renders a certificate: landscape A4, in Vietnamese, with its code and a QR code
// that opens the public verification page. A revoked certificate is not rendered.
func (s *Service) CertificatePDF(ctx context.Context, code, base string) ([]byte, Certificate, error) {
	c, err := s.FindCertificate(ctx, code)
	if err != nil {
		return nil, c, err
	}
	if c.Revoked {
		return nil, c, apperr.New(apperr.Conflict, "training.error.certificate_revoked")
	}
	b, err := renderCertificate(c, base)
	return b, c, err
}

// certificateText is what a certificate says apart from its QR code: the header of its issuer, the
// subtitle, and the signature.
func certificateText(c Certificate) (pdfdoc.Header, string, pdfdoc.Signature) {
	h := pdfdoc.Header{Parent: c.issuer.parent, Issuer: c.issuer.body, Number: c.Code, Place: c.issuer.place, Date: c.IssuedAt.In(vietnam)}
	subtitle := "Hoàn thành khóa bồi dưỡng kỹ năng số"
	if c.Province == "" {
		subtitle += " (" + strings.ToLower(nationalProgramme[:1]) + nationalProgramme[1:] + ")"
	}
	return h, subtitle, pdfdoc.Signature{Authority: c.issuer.body, Position: c.issuer.position}
}

func renderCertificate(c Certificate, base string) ([]byte, error) {
	url := VerifyURL(base, c.Code)
	header, subtitle, sig := certificateText(c)
	d := pdfdoc.NewLandscape("Chứng nhận " + c.Code)
	d.AdministrativeHeader(header)
	d.Title("GIẤY CHỨNG NHẬN", subtitle)
	d.Paragraph("Chứng nhận Ông/Bà: " + c.LearnerName)
	d.Paragraph("Đã hoàn thành khóa học: " + c.CourseTitle)
	d.Paragraph(fmt.Sprintf("Kết quả bài kiểm tra: %s điểm (thang 100). Ngày cấp: %s.", FormatScore(c.Score, "vi"), c.IssuedAt.In(vietnam).Format("02/01/2006")))
	d.Paragraph("Mã chứng nhận: " + c.Code + ". Tra cứu tính xác thực tại: " + url)
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return nil, apperr.Wrap(err, "qr code")
	}
	imgOpt := fpdf.ImageOptions{ImageType: "PNG"}
	d.RegisterImageOptionsReader("qr", imgOpt, bytes.NewReader(png))
	y := d.GetY() + 4
	// The QR code sits at the left of the signature block and links to the verification page.
	d.ImageOptions("qr", pdfdoc.MarginLeft, y, 38, 38, false, imgOpt, 0, url)
	d.SetY(y - 6)
	d.SignatureBlock(sig)
	return d.Bytes()
}
