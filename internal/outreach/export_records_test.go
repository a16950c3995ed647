package outreach_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/i18n"
	"github.com/lantoa/lantoa/internal/schema"
)

// readSheets opens a workbook and returns every sheet's rows by sheet name.
func readSheets(t *testing.T, b []byte) map[string][][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	out := map[string][][]string{}
	for _, name := range x.GetSheetList() {
		rows, err := x.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

// TestRecordsExportReadsAsWritten opens the records workbook as its reader does and checks each
// column against its header: the skills and platforms by their Vietnamese names (not the codes),
// the time of the guidance under its own name (not the campaign's launch), headers without the
// form's hints, and an erased record saying so with no birth year "0".
func TestRecordsExportReadsAsWritten(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, ua := f.member(f.commune)
		kept := f.input(1, "Phạm Thị Lan", "0905123123")
		kept.Skills = []string{"dvc_quocgia", "khong_tien_mat"}
		kept.Platforms = []string{"vneid", "vi_dien_tu"}
		kept.Evidence = "HS-000123"
		kept.GuidedAt = time.Date(2023, 7, 9, 2, 30, 0, 0, time.UTC) // 09:30 in Việt Nam, days after the launch
		if _, err := f.svc.SaveRecord(a, kept); err != nil {
			t.Fatal(err)
		}
		erased := f.input(2, "Trần Văn Xóa", "0987654321")
		if _, err := f.svc.SaveRecord(a, erased); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.HandleSubjectRequest(f.sys, outreach.SubjectRequest{Kind: "erase", Phone: "0987654321", ReceivedOn: "2023-07-09"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.svc.ExportRecords(f.sys, outreach.RecordFilter{}, i18n.MustLoad().Translator("vi"), &buf); err != nil {
			t.Fatal(err)
		}
		sheets := readSheets(t, buf.Bytes())
		rows := sheets["Phiếu"]
		if len(rows) != 3 {
			t.Fatalf("sheets %v: want the sheet Phiếu with a header and 2 records", sheets)
		}
		// The names of codes as the form lists them: in the catalogue's order.
		names := func(codes ...string) string {
			var out []string
			for _, k := range outreach.DefaultSkills {
				if slices.Contains(codes, k.Code) {
					out = append(out, k.Name)
				}
			}
			return strings.Join(out, "; ")
		}
		// Newest first: the erased record was saved last.
		want := []struct {
			header        string
			kept, erasedV string
		}{
			{"Số phiếu", "", ""},
			{"Thành viên", ua.DisplayName, ua.DisplayName},
			{"Mã đơn vị", f.commune, f.commune},
			{"Họ và tên", "Phạm Thị Lan", "Đã xóa dữ liệu cá nhân theo yêu cầu"},
			{"Năm sinh", "1960", ""},
			{"Số điện thoại", "0905123123", ""},
			{"Kỹ năng đã hướng dẫn", names("dvc_quocgia", "khong_tien_mat"), names("dvc_quocgia", "dvc_tinh")},
			{"Nền tảng đã cài đặt / tài khoản đã kích hoạt", names("vneid", "vi_dien_tu"), ""},
			{"Minh chứng (mã hồ sơ, mã giao dịch)", "HS-000123", ""},
			{"Thời điểm hướng dẫn", "09/07/2023 09:30", f.now.Add(-time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006 15:04")},
			{"Phiếu cần rà soát (trùng người dân)", "", ""},
			{"Đối tượng", "Người dân", "Người dân"},
			{"Tên doanh nghiệp", "", ""},
			{"Mã số thuế", "", ""},
			{"Người liên hệ", "", ""},
			{"Số điện thoại người liên hệ", "", ""},
		}
		header := rows[0]
		if len(header) != len(want) {
			t.Fatalf("header %q, want %d columns", header, len(want))
		}
		cell := func(row []string, i int) string {
			if i < len(row) {
				return row[i]
			}
			return ""
		}
		for i, w := range want {
			if header[i] != w.header {
				t.Errorf("column %d is headed %q, want %q", i+1, header[i], w.header)
			}
			if i == 0 {
				for _, r := range rows[1:] {
					if id, err := strconv.ParseInt(r[0], 10, 64); err != nil || id <= 0 {
						t.Errorf("%s: %q is not a record number", w.header, r[0])
					}
				}
				continue
			}
			if got := cell(rows[2], i); got != w.kept {
				t.Errorf("%s of the kept record: %q, want %q", w.header, got, w.kept)
			}
			if got := cell(rows[1], i); got != w.erasedV {
				t.Errorf("%s of the erased record: %q, want %q", w.header, got, w.erasedV)
			}
		}
		for _, h := range header {
			if strings.Contains(h, "không bắt buộc") || strings.Contains(h, "phát động") {
				t.Errorf("header %q is the form's or the campaign's, not the column's", h)
			}
		}
		for _, r := range rows[1:] {
			for _, k := range outreach.DefaultSkills {
				if strings.Contains(strings.Join(r, "|"), k.Code) {
					t.Errorf("record %s shows the code %q instead of its name", r[0], k.Code)
				}
			}
		}

		// The progress workbook names what it counts under "Tên", not under the campaign's "Tên đợt".
		p, err := f.svc.ProgressExport(f.sys, "51", 0, outreach.ViewNow)
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := p.WriteXLSX(&buf, i18n.MustLoad().Translator("vi")); err != nil {
			t.Fatal(err)
		}
		dims := readSheets(t, buf.Bytes())["Theo kỹ năng"]
		if len(dims) < 2 || fmt.Sprint(dims[0]) != fmt.Sprint([]string{"Loại", "Mã", "Tên", "Số lượng"}) {
			t.Fatalf("by-skill sheet: %q", dims)
		}
		for _, r := range dims[1:] {
			if r[0] == "Kỹ năng" || r[0] == "Nền tảng" {
				if got := names(r[1]); got == "" || r[2] != got {
					t.Errorf("%s %s is named %q, want %q", r[0], r[1], r[2], got)
				}
			}
		}
	})
}
