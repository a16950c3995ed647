package pdfdoc

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
)

func TestAdministrativeDocumentKeepsDiacritics(t *testing.T) {
	d := New("Báo cáo")
	d.AdministrativeHeader(Header{Parent: "UBND TỈNH QUẢNG NGÃI", Issuer: "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", Number: "123/BC-STTTT",
		Place: "Quảng Ngãi", Date: time.Date(2023, 8, 15, 0, 0, 0, 0, time.UTC)})
	d.Title("BÁO CÁO", "Kết quả triển khai Phong trào chuyển đổi số")
	d.Heading("I. KẾT QUẢ")
	d.Paragraph("Tổ Công nghệ số cộng đồng đã hướng dẫn người dân sử dụng dịch vụ công trực tuyến.")
	d.Table([]string{"Đơn vị", "Số người"}, []float64{100, 40}, [][]string{{"Huyện Ba Tơ", "1.234"}})
	d.SignatureBlock(Signature{Recipients: []string{"UBND tỉnh (để báo cáo)", "Lưu: VT"}, Authority: "KT. GIÁM ĐỐC", Position: "PHÓ GIÁM ĐỐC", Name: "Nguyễn Văn A"})
	pdf, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	if got := DateLine("Quảng Ngãi", time.Date(2023, 2, 5, 0, 0, 0, 0, time.UTC)); got != "Quảng Ngãi, ngày 05 tháng 02 năm 2023" {
		t.Errorf("DateLine = %q", got)
	}
	// With poppler installed, check the text layer reads back with its diacritics.
	out, ok := pdftest.Text(t, pdf)
	if !ok {
		t.Skip("text layer not checked")
	}
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "ngày 15 tháng 8 năm 2023", "Tổ Công nghệ số cộng đồng"} {
		if !strings.Contains(out, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
}
