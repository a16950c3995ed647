package ceremony

// The ceremony's exports: the delegates' invitation letters (PDF) and the attendance report (xlsx).
// The invitation is an official letter of the province's People's Committee office, so it is in
// Vietnamese whoever prints it; the attendance report is a working table, in its reader's language.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/units"
)

// Invitation renders a delegate's invitation letter as a PDF in administrative style, issued by the
// office of the People's Committee of the ceremony's province, with the check-in QR code. base is
// the site's address, for the QR code.
func (s *Service) Invitation(ctx context.Context, id, did int64, base string) ([]byte, Delegate, error) {
	d, p, err := s.findDelegate(ctx, s.DB.Reader(), id, "id = ?", did, true)
	if err != nil {
		return nil, Delegate{}, err
	}
	c, err := s.Find(ctx, id)
	if err != nil {
		return nil, Delegate{}, err
	}
	out, err := s.renderInvitation(ctx, c, p, d, base)
	return out, d, err
}

// renderInvitation lays out delegate d's letter. A numbered invitation carries its number ("Số:
// 12/GM-UBND") and is dated the day it was sent; one not sent yet leaves the number blank for
// the office to fill in by hand, in the ceremony's series.
func (s *Service) renderInvitation(ctx context.Context, c Ceremony, p Point, d Delegate, base string) ([]byte, error) {
	province, err := s.Units.Find(ctx, c.Province)
	if err != nil {
		return nil, err
	}
	head, kind := letterhead(province)
	head.Date = c.CreatedAt.In(VietnamTime)
	if d.InvitationNo != 0 {
		head.Number = d.Number()
		head.Date = d.InvitedAt.In(VietnamTime)
	} else {
		series, err := s.series(ctx, s.DB.Reader(), c.ID)
		if err != nil {
			return nil, err
		}
		head.Number = pdfdoc.UnregisteredNumber(series)
	}
	start := c.StartsAt.In(VietnamTime)
	doc := pdfdoc.New("Giấy mời " + d.FullName)
	doc.AdministrativeHeader(head)
	doc.Title("GIẤY MỜI", "Dự "+c.Title)
	doc.Paragraph("Kính gửi: " + salutation(d))
	where := c.Venue
	if p.Level != Main {
		where = "điểm cầu trực tuyến " + p.Name
		if p.Address != "" {
			where += " (" + p.Address + ")"
		}
	}
	doc.Paragraph(fmt.Sprintf("Văn phòng Ủy ban nhân dân "+kind+" trân trọng kính mời Ông/Bà tới dự %s, được tổ chức theo hình thức trực tiếp kết hợp trực tuyến.", c.Title))
	doc.Paragraph(fmt.Sprintf("Thời gian: %s, ngày %s.", start.Format("15 giờ 04"), start.Format("02/01/2006")))
	if where != "" {
		doc.Paragraph("Địa điểm: " + where + ".")
	}
	doc.Paragraph("Đề nghị Ông/Bà mang theo giấy mời này; mã QR bên dưới dùng để điểm danh khi đến dự. Rất mong Ông/Bà thu xếp thời gian tham dự./.")
	url := CheckInURL(base, d)
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return nil, apperr.Wrap(err, "qr code")
	}
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	doc.RegisterImageOptionsReader("qr", opt, bytes.NewReader(png))
	y := doc.GetY() + 4
	doc.ImageOptions("qr", pdfdoc.MarginLeft, y, 36, 36, false, opt, 0, "")
	doc.SetY(y - 6)
	doc.SignatureBlock(pdfdoc.Signature{Authority: "TL. CHỦ TỊCH", Position: "CHÁNH VĂN PHÒNG"})
	out, err := doc.Bytes()
	if err != nil {
		return nil, apperr.Wrap(err, "invitation pdf")
	}
	return out, nil
}

// letterhead is the header of a letter from the office of a province's People's Committee, and
// the province's kind for the letter's sentences: every name comes from the unit tree.
func letterhead(province units.Unit) (pdfdoc.Header, string) {
	kind := provinceKind(province)
	return pdfdoc.Header{Parent: "UBND " + strings.ToUpper(province.Name), Issuer: strings.ToUpper("Văn phòng Ủy ban nhân dân " + kind),
		Place: units.PlaceName(province.Name)}, kind
}

func salutation(d Delegate) string {
	s := "Ông/Bà " + d.FullName
	if d.Position != "" {
		s += ", " + d.Position
	}
	if d.Organisation != "" {
		s += ", " + d.Organisation
	}
	return s
}

// AttendanceReport writes the attendance report as xlsx: one sheet per point, one per district
// (the district's own point and its communes'), within the actor's scope (a national
// administrator's is the whole ceremony), in the words of T.
func (s *Service) AttendanceReport(ctx context.Context, id int64, T i18n.Translator, w io.Writer) error {
	if _, err := s.Find(ctx, id); err != nil {
		return err
	}
	a := authz.ActorFrom(ctx)
	if len(a.AdminUnitPaths()) == 0 && len(operated(a)) == 0 && !a.IsNational() {
		return forbidden()
	}
	points, err := s.ListPoints(ctx, id, PointFilter{})
	if err != nil {
		return err
	}
	invited := map[int64][2]int{}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT point_id, COUNT(*), SUM(CASE WHEN checked_in_at > 0 THEN 1 ELSE 0 END)
		FROM ceremony_delegates WHERE ceremony_id = ? GROUP BY point_id`, id)
	if err != nil {
		return apperr.Wrap(err, "count delegates")
	}
	for rows.Next() {
		var pid int64
		var n, in int
		if err := rows.Scan(&pid, &n, &in); err != nil {
			rows.Close()
			return apperr.Wrap(err, "scan delegates")
		}
		invited[pid] = [2]int{n, in}
	}
	rows.Close()
	names := map[string]string{}
	for _, p := range points {
		switch p.Level {
		case District:
			names[p.UnitCode] = p.Name
		case Main:
			names[""] = p.Name
		}
	}
	perPoint := sheet.Table{Name: T("ceremony.report.points"), Header: []string{
		T("ceremony.col.point"), T("ceremony.col.level"), T("ceremony.col.district"), T("ceremony.col.state"),
		T("ceremony.col.expected"), T("ceremony.col.actual"), T("ceremony.col.invited"), T("ceremony.col.checked_in")}}
	type agg struct{ points, expected, actual, invited, checked, onAir int }
	byDistrict := map[string]*agg{}
	now := s.Now()
	for _, p := range points {
		inv := invited[p.ID]
		district := ""
		if p.DistrictCode != "" {
			district = names[p.DistrictCode]
		}
		perPoint.Rows = append(perPoint.Rows, []any{p.Name, T("ceremony.level." + string(p.Level)), district, T("ceremony.state." + string(p.StateAt(now))),
			p.ExpectedTotal(), p.ActualTotal(), inv[0], inv[1]})
		if p.Level == Main {
			continue
		}
		// A commune directly under its province (two-tier map) has no district: its row is the
		// province's, named after the main site's point.
		g := byDistrict[p.DistrictCode]
		if g == nil {
			g = &agg{}
			byDistrict[p.DistrictCode] = g
		}
		g.points++
		g.expected += p.ExpectedTotal()
		g.actual += p.ActualTotal()
		g.invited += inv[0]
		g.checked += inv[1]
		if p.OnAir {
			g.onAir++
		}
	}
	perDistrict := sheet.Table{Name: T("ceremony.report.districts"), Header: []string{
		T("ceremony.col.district"), T("ceremony.col.points"), T("ceremony.col.on_air"), T("ceremony.col.expected"), T("ceremony.col.actual"),
		T("ceremony.col.invited"), T("ceremony.col.checked_in")}}
	codes := make([]string, 0, len(byDistrict))
	for code := range byDistrict {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		g := byDistrict[code]
		name := names[code]
		if name == "" {
			name = code
		}
		perDistrict.Rows = append(perDistrict.Rows, []any{name, g.points, g.onAir, g.expected, g.actual, g.invited, g.checked})
	}
	delegates, err := s.delegateSheet(ctx, id, points, T)
	if err != nil {
		return err
	}
	return sheet.WriteXLSX(w, perPoint, perDistrict, delegates)
}

// delegateSheet is the attendance list: every delegate of the points given (those the reader
// reads), with the invitation's number, the answer to it (and the deputy sent) and the check-in.
// Phones are masked (Decree 13).
func (s *Service) delegateSheet(ctx context.Context, id int64, points []Point, T i18n.Translator) (sheet.Table, error) {
	t := sheet.Table{Name: T("ceremony.report.delegates"), Header: []string{
		T("ceremony.col.point"), T("ceremony.field.full_name"), T("ceremony.field.position"), T("ceremony.field.organisation"),
		T("ceremony.col.invitation_no"), T("ceremony.field.channel"), T("ceremony.field.contact_phone"), T("ceremony.col.rsvp"),
		T("ceremony.col.deputy"), T("ceremony.col.checked_in")}}
	names := make(map[int64]string, len(points))
	for _, p := range points {
		names[p.ID] = p.Name
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+delegateColumns+" FROM ceremony_delegates WHERE ceremony_id = ? ORDER BY point_id, id", id)
	if err != nil {
		return t, apperr.Wrap(err, "list delegates")
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelegate(rows)
		if err != nil {
			return t, apperr.Wrap(err, "scan delegate")
		}
		name, ok := names[d.PointID]
		if !ok {
			continue
		}
		deputy := d.DeputyName
		if d.DeputyPosition != "" {
			deputy += ", " + d.DeputyPosition
		}
		checked := ""
		if !d.CheckedInAt.IsZero() {
			checked = d.CheckedInAt.In(VietnamTime).Format("15:04 02/01/2006")
		}
		channel := ""
		if d.Channel != "" {
			channel = T("ceremony.channel." + d.Channel)
		}
		t.Rows = append(t.Rows, []any{name, d.FullName, d.Position, d.Organisation, d.Number(), channel, d.MaskedPhone(), T(d.RSVP.Key()), deputy, checked})
	}
	return t, rows.Err()
}
