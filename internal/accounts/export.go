package accounts

// The accounts' export: a school's list of its pupils' new accounts and one-time passwords, as a
// printable PDF for the teacher or a workbook. Both are in Vietnamese: a teacher hands them to
// pupils of a Vietnamese school.

import (
	"io"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// CredentialsXLSX writes the list of accounts and one-time passwords as a spreadsheet.
func CredentialsXLSX(w io.Writer, school string, creds []PupilCredential) error {
	t := sheet.Table{Name: "Tài khoản học sinh", Header: []string{"STT", "Họ và tên", "Lớp", "Tên đăng nhập", "Mật khẩu dùng một lần"}}
	for i, c := range creds {
		t.Rows = append(t.Rows, []any{i + 1, c.FullName, c.Class, c.Username, c.passwordCell()})
	}
	return sheet.WriteXLSX(w, t)
}

// CredentialsPDF writes the list as a printable PDF for the teacher, one table sorted as uploaded;
// place is the school's province as the date line names it ("Quảng Ngãi").
func CredentialsPDF(w io.Writer, school, place string, creds []PupilCredential, now time.Time) error {
	d := pdfdoc.New("Danh sách tài khoản học sinh")
	d.Title("DANH SÁCH TÀI KHOẢN HỌC SINH", school)
	d.Paragraph("Mỗi học sinh đăng nhập bằng tên đăng nhập và mật khẩu dùng một lần dưới đây, rồi đặt mật khẩu mới ở lần đăng nhập đầu tiên. Học sinh có số điện thoại đã nhận mật khẩu qua SMS hoặc Zalo và có thể đăng nhập bằng mã gửi tới điện thoại. Giữ danh sách này kín; hủy sau khi đã phát cho học sinh.")
	rows := make([][]string, len(creds))
	for i, c := range creds {
		rows[i] = []string{strconv.Itoa(i + 1), c.FullName, c.Class, c.Username, c.passwordCell()}
	}
	d.Table([]string{"STT", "Họ và tên", "Lớp", "Tên đăng nhập", "Mật khẩu"}, []float64{12, 60, 18, 50, 40}, rows)
	d.Paragraph(pdfdoc.DateLine(place, now))
	return d.Write(w)
}

// passwordCell is what the printed list shows for a pupil: the one-time password, or where it went
// instead ("Đã gửi qua SMS tới 0905***123"), so that no password of a pupil with a phone is on paper.
func (c PupilCredential) passwordCell() string {
	if c.SentBy == "" {
		return c.Password
	}
	via := "SMS"
	if c.SentBy == notify.Zalo {
		via = "Zalo"
	}
	return "Đã gửi qua " + via + " tới " + c.Phone
}
