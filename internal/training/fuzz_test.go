package training_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// fuzzFixture is one SQLite database for a whole fuzz run: the province's units, a draft course
// and a published one, and two learners.
type fuzzFixture struct {
	d             *db.DB
	svc           *training.Service
	sys           context.Context
	draft, public int64
}

func newFuzzFixture(f *testing.F) *fuzzFixture {
	f.Helper()
	d := dbtest.SQLite(f, schema.All())
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	x := &fuzzFixture{d: d, svc: training.NewService(d), sys: sys}
	f.Cleanup(x.svc.Close)
	c, err := x.svc.CreateCourse(sys, training.Course{Title: "Khóa thử mờ", Exam: training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 20}})
	if err != nil {
		f.Fatal(err)
	}
	x.draft = c.ID
	p, err := x.svc.CreateCourse(sys, training.Course{Title: "Khóa đã mở", Exam: training.Exam{QuestionCount: 4, PassPercent: 50, TimeLimitMinutes: 20}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := x.svc.ImportQuestions(sys, p.ID, strings.NewReader(bankCSV(6))); err != nil {
		f.Fatal(err)
	}
	if _, err := x.svc.Publish(sys, p.ID); err != nil {
		f.Fatal(err)
	}
	x.public = p.ID
	acc := accounts.NewService(d)
	for _, name := range []string{"hocvien.mot", "hocvien.hai"} {
		if _, err := acc.CreateUser(sys, accounts.NewUser{Username: name, Password: pw, Role: authz.Learner, UnitCode: "535"}); err != nil {
			f.Fatal(err)
		}
	}
	return x
}

func (x *fuzzFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := x.d.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fileLines is the number of lines a person sees in the file, CSV or xlsx (rows of the first sheet):
// an error's line number must lie within 2 (the first line after the header) and it.
func fileLines(data []byte) int {
	_, rows, err := sheet.ReadTable(bytes.NewReader(data), sheet.DefaultLimits)
	if err != nil || len(rows) == 0 {
		return 1
	}
	return rows[len(rows)-1].Line
}

// checkImportError asserts what every importer promises on refusal: an apperr of a kind a person
// can act on (never Internal), and line numbers that exist in the file.
func checkImportError(t *testing.T, err error, data []byte) {
	t.Helper()
	ae := apperr.As(err)
	if ae == nil || ae.Kind == apperr.Internal {
		t.Fatalf("refusal is not a user-facing apperr: %#v", err)
	}
	if ae.Key == "" {
		t.Fatalf("refusal without a message key: %#v", ae)
	}
	if len(ae.Details) == 0 {
		return
	}
	last := fileLines(data)
	for _, dt := range ae.Details {
		if dt.Line < 2 || dt.Line > last {
			t.Fatalf("error line %d outside 2..%d (%s)", dt.Line, last, dt.Key)
		}
		if dt.Key == "" {
			t.Fatalf("error line %d without a message key", dt.Line)
		}
	}
}

func xlsxOf(header []string, rows ...[]any) []byte {
	var b bytes.Buffer
	if err := sheet.WriteXLSX(&b, sheet.Table{Name: "Câu hỏi", Header: header, Rows: rows}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// FuzzImportQuestions feeds arbitrary files (CSV, xlsx, neither) to the question-bank import of a
// draft course: it must not panic; a refused file is an apperr whose line numbers exist in the file
// and adds no question; an accepted file adds exactly the questions it reports.
func FuzzImportQuestions(f *testing.F) {
	f.Add([]byte(bankCSV(3)))
	f.Add([]byte("category,type,question,A,B,C,D,correct\nAn toàn,single,Mật khẩu mạnh?,a,b,c,d,E\nAn toàn,multiple,Hai đáp án?,a,b,,,\"A,B\"\n"))
	f.Add([]byte("\xef\xbb\xbfchủ đề,loại,câu hỏi,A,B,đáp án đúng\r\nDVC,truefalse,Đúng không?,Đúng,Sai,A\r\nDVC,truefalse,Đúng không?,Đúng,Sai,A\r\n"))
	f.Add([]byte("category,type,question\n=cmd|' /C calc'!A0,single,\"unterminated\n"))
	f.Add(xlsxOf([]string{"category", "type", "question", "A", "B", "C", "D", "correct"},
		[]any{"Thanh toán số", "single", "Mã QR dùng để làm gì?", "Thanh toán", "Gọi điện", "Chụp ảnh", "Nghe nhạc", "A"},
		[]any{"Thanh toán số", "single", "", "", "", "", "", "Z"}))
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"))
	x := newFuzzFixture(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		before := x.count(t, "SELECT COUNT(*) FROM training_questions WHERE course_id = ?", x.draft)
		n, err := x.svc.ImportQuestions(x.sys, x.draft, bytes.NewReader(data))
		after := x.count(t, "SELECT COUNT(*) FROM training_questions WHERE course_id = ?", x.draft)
		if err != nil {
			checkImportError(t, err, data)
			if after != before {
				t.Fatalf("a refused file changed the bank: %d → %d questions", before, after)
			}
			return
		}
		if n <= 0 || after-before != n {
			t.Fatalf("import reported %d questions, the bank grew by %d", n, after-before)
		}
	})
}

// FuzzEnrolRoster feeds arbitrary rosters to the enrolment import of a published course: no panic;
// a refusal is an apperr with existing line numbers and enrols nobody; an accepted roster enrols
// exactly the learners it reports, all of them named in the file.
func FuzzEnrolRoster(f *testing.F) {
	f.Add([]byte("username\nhocvien.mot\nhocvien.hai\n"))
	f.Add([]byte("Username,họ tên\nHOCVIEN.MOT,Một\n\nhocvien.mot,lặp\n"))
	f.Add([]byte("username\nkhong.co.ai\n,\n"))
	f.Add([]byte("ho ten\nai do\n"))
	f.Add(xlsxOf([]string{"username"}, []any{"hocvien.hai"}, []any{"=HYPERLINK(\"x\")"}))
	f.Add([]byte{0xff, 0xfe, 0x00})
	x := newFuzzFixture(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		enrolled := x.enrolled(t)
		before := len(enrolled)
		res, err := x.svc.EnrolRoster(x.sys, x.public, bytes.NewReader(data))
		after := len(x.enrolled(t))
		if err != nil {
			checkImportError(t, err, data)
			if after != before {
				t.Fatalf("a refused roster enrolled %d learners", after-before)
			}
			return
		}
		if after-before != res.Enrolled || res.Enrolled+res.Already == 0 {
			t.Fatalf("roster reported %+v, enrolments grew by %d", res, after-before)
		}
		// Whoever was newly enrolled is named in the file (CSV: as text; xlsx cells are compressed).
		if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			lower := strings.ToLower(string(data))
			for name := range x.enrolled(t) {
				if !enrolled[name] && !strings.Contains(lower, name) {
					t.Fatalf("enrolled %s, who is not in the roster", name)
				}
			}
		}
	})
}

func (x *fuzzFixture) enrolled(t *testing.T) map[string]bool {
	t.Helper()
	rows, err := x.d.Reader().QueryContext(context.Background(),
		"SELECT u.username FROM training_enrolments e JOIN users u ON u.id = e.user_id WHERE e.course_id = ?", x.public)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		m[name] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}
