package accounts_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// FuzzCheckPupilRoster feeds the school's roster importer arbitrary files (CSV or bytes that
// look like xlsx): it must answer a roster or a refusal with reasons — never panic, never accept a
// line it cannot account for, and never write (checking is read-only; the job writes later).
func FuzzCheckPupilRoster(f *testing.F) {
	year := "2010"
	f.Add([]byte("ho_ten,ngay_sinh,lop,ten_nguoi_giam_ho,sdt_nguoi_giam_ho,dong_y_cua_nguoi_giam_ho\nNguyễn Thị Lan,15/03/2013,7A,Nguyễn Văn Bình,0912345678,có\n"))
	f.Add([]byte("ho_ten,ngay_sinh,lop\nTrần Văn Minh," + year + ",11B\n"))
	f.Add([]byte("\ufeffHọ và tên,Năm sinh,Lớp\n\"Lê, Thị\",2099,6A\n"))
	f.Add([]byte("ho_ten,ngay_sinh,lop\n=cmd|' /C calc'!A0,2008,10A\n"))
	f.Add([]byte("PK\x03\x04not really a zip"))
	f.Add([]byte("ho_ten\n" + strings.Repeat("x", 5000) + "\n"))
	f.Add([]byte{0xff, 0xfe, 0x00, 0x41})
	d := dbtest.SQLite(f, schema.All())
	fx := newPupilFixture(f, d)
	f.Fuzz(func(t *testing.T, data []byte) {
		var before int
		if err := d.Reader().QueryRowContext(fx.sys, "SELECT COUNT(*) FROM users").Scan(&before); err != nil {
			t.Fatal(err)
		}
		ro, err := fx.a.CheckPupilRoster(fx.admin, fx.schoolID, bytes.NewReader(data))
		if err != nil {
			if ae := apperr.As(err); ae.Kind != apperr.Invalid {
				t.Fatalf("refusal of kind %v: %v", ae.Kind, err)
			}
		} else {
			for _, p := range ro.Pupils {
				if strings.TrimSpace(p.FullName) == "" || !utf8.ValidString(p.FullName) || p.Line < 2 {
					t.Fatalf("accepted a pupil without a proper name or line: %+v", p)
				}
				if p.Under16 && !p.Consent {
					t.Fatalf("accepted a pupil under 16 without the guardian's consent: %+v", p)
				}
			}
		}
		var after int
		if err := d.Reader().QueryRowContext(fx.sys, "SELECT COUNT(*) FROM users").Scan(&after); err != nil || after != before {
			t.Fatalf("checking a roster wrote accounts: %d → %d (%v)", before, after, err)
		}
	})
}
