package training

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/sheet"
)

// TemplateHeader is the header of the question import template. More letter columns (E, F…)
// may follow D; an optional "difficulty" column (1–3) may follow "correct".
var TemplateHeader = []string{"category", "type", "question", "A", "B", "C", "D", "correct"}

// MaxImportBytes bounds an imported question file.
const MaxImportBytes = 5 << 20

// maxImportErrors bounds the problems reported for one file.
const maxImportErrors = 500

// templateRows are the examples of the downloadable template.
var templateRows = [][]any{
	{"Dịch vụ công trực tuyến", "single", "Cổng Dịch vụ công quốc gia có địa chỉ nào?", "dichvucong.gov.vn", "dichvucong.com", "dvc.vn", "congdichvu.vn", "A"},
	{"Thanh toán không dùng tiền mặt", "multiple", "Những cách nào là thanh toán không dùng tiền mặt?", "Quét mã QR", "Chuyển khoản qua ứng dụng ngân hàng", "Trả bằng tiền giấy", "Ví điện tử", "A,B,D"},
	{"An toàn thông tin", "truefalse", "Không bao giờ cung cấp mã OTP cho người khác, kể cả người xưng là nhân viên ngân hàng.", "Đúng", "Sai", "", "", "A"},
}

// Template returns the question import template as CSV (UTF-8 with BOM, so Excel shows the
// Vietnamese correctly) or xlsx.
func Template(format string) ([]byte, error) {
	t := sheet.Table{Name: "Câu hỏi", Header: TemplateHeader, Rows: templateRows}
	var buf bytes.Buffer
	if format == "xlsx" {
		err := sheet.WriteXLSX(&buf, t)
		return buf.Bytes(), err
	}
	err := sheet.WriteCSV(&buf, t)
	return buf.Bytes(), err
}

type importLayout struct {
	letters    int
	correct    int
	difficulty int // -1 when absent
	width      int // the header's columns; a line with text beyond them is refused
}

func parseHeader(h []string) (importLayout, error) {
	l := importLayout{difficulty: -1, width: len(h)}
	norm := make([]string, len(h))
	for i, x := range h {
		norm[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(x, "\ufeff")))
	}
	if len(norm) < 6 || norm[0] != "category" || norm[1] != "type" || norm[2] != "question" {
		return l, apperr.New(apperr.Invalid, "training.error.import_header", strings.Join(TemplateHeader, ","))
	}
	i := 3
	for ; i < len(norm) && len(norm[i]) == 1 && norm[i][0] == byte('a'+l.letters); i++ { // #nosec G115 -- at most 26 letter columns
		l.letters++
	}
	if l.letters < 2 || i >= len(norm) || norm[i] != "correct" {
		return l, apperr.New(apperr.Invalid, "training.error.import_header", strings.Join(TemplateHeader, ","))
	}
	l.correct = i
	i++
	if i < len(norm) && norm[i] == "difficulty" {
		l.difficulty = i
		i++
	}
	for ; i < len(norm); i++ {
		if norm[i] != "" {
			return l, apperr.New(apperr.Invalid, "training.error.import_header", strings.Join(TemplateHeader, ","))
		}
	}
	return l, nil
}

func cell(f []string, i int) string {
	if i < 0 || i >= len(f) {
		return ""
	}
	return strings.TrimSpace(f[i])
}

// parseRow turns one line into a question, or the reason it is refused.
func parseRow(l importLayout, f []string) (Question, string, []any) {
	// Text past the header's last column is most often a multiple answer written A,B without
	// quotes in a CSV: its B spilled into a cell of its own. Dropping it would score learners
	// against half the key, so the line is refused.
	for i := l.width; i < len(f); i++ {
		if strings.TrimSpace(f[i]) != "" {
			return Question{}, "training.import.extra_cells", []any{strings.TrimSpace(f[i])}
		}
	}
	q := Question{Category: strings.Join(strings.Fields(cell(f, 0)), " "), Kind: Kind(strings.ToLower(cell(f, 1))), Text: cell(f, 2), Difficulty: 1, Active: true}
	switch {
	case q.Category == "":
		return q, "training.import.category_required", nil
	case utf8.RuneCountInString(q.Category) > 100:
		return q, "training.import.category_long", nil
	case !q.Kind.Valid():
		return q, "training.import.type", []any{cell(f, 1)}
	case q.Text == "":
		return q, "training.import.question_required", nil
	case utf8.RuneCountInString(q.Text) > 2000:
		return q, "training.import.question_long", nil
	}
	gap := false
	for i := 0; i < l.letters; i++ {
		t := cell(f, 3+i)
		if t == "" {
			gap = true
			continue
		}
		if gap {
			return q, "training.import.option_gap", []any{letter(i)}
		}
		if utf8.RuneCountInString(t) > 500 {
			return q, "training.import.option_long", []any{letter(i)}
		}
		q.Options = append(q.Options, Option{Text: t})
	}
	if q.Kind == TrueFalse && len(q.Options) == 0 {
		q.Options = []Option{{Text: "Đúng"}, {Text: "Sai"}}
	}
	if q.Kind == TrueFalse && len(q.Options) != 2 {
		return q, "training.import.truefalse_options", nil
	}
	if len(q.Options) < 2 {
		return q, "training.import.options_few", nil
	}
	seen := map[string]bool{}
	for _, o := range q.Options {
		k := strings.ToLower(o.Text)
		if seen[k] {
			return q, "training.import.option_duplicate", []any{o.Text}
		}
		seen[k] = true
	}
	raw := cell(f, l.correct)
	letters := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
	if len(letters) == 0 {
		return q, "training.import.correct_required", nil
	}
	n := 0
	for _, x := range letters {
		i := letterIndex(x)
		if i < 0 || i >= len(q.Options) {
			return q, "training.import.correct_letter", []any{x}
		}
		if !q.Options[i].Correct {
			q.Options[i].Correct = true
			n++
		}
	}
	if (q.Kind == Single || q.Kind == TrueFalse) && n != 1 {
		return q, "training.import.correct_one", nil
	}
	if d := cell(f, l.difficulty); d != "" {
		v, err := strconv.Atoi(d)
		if err != nil || v < 1 || v > 3 {
			return q, "training.import.difficulty", []any{d}
		}
		q.Difficulty = v
	}
	return q, "", nil
}

// readImportFile reads an imported file (CSV or xlsx, at most MaxImportBytes), its refusals said
// as the imports say them.
func readImportFile(r io.Reader) ([]string, []sheet.Row, error) {
	lim := sheet.DefaultLimits
	lim.MaxBytes = MaxImportBytes
	header, rows, err := sheet.ReadTable(r, lim)
	switch {
	case errors.Is(err, sheet.ErrTooLarge):
		return nil, nil, apperr.New(apperr.Invalid, "training.error.import_large", MaxImportBytes>>20)
	case errors.Is(err, sheet.ErrNotUTF8):
		return nil, nil, apperr.New(apperr.Invalid, "training.error.import_utf8")
	case errors.Is(err, sheet.ErrTooManyRows):
		return nil, nil, apperr.New(apperr.Invalid, "training.error.import_rows", lim.MaxRows)
	case err != nil:
		return nil, nil, apperr.New(apperr.Invalid, "training.error.import_format")
	}
	return header, rows, nil
}

// ImportQuestions reads a question file (CSV or xlsx in the template) into a course's bank. The
// whole file is checked first; when any line is wrong every bad line is reported with its reason
// and nothing is imported.
func (s *Service) ImportQuestions(ctx context.Context, courseID int64, r io.Reader) (int, error) {
	c, err := s.manageableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return 0, err
	}
	if r == nil { // no file sent: said after the access check, which comes first
		return 0, apperr.InvalidField("file", "import.error.no_file")
	}
	header, rows, err := readImportFile(r)
	if err != nil {
		return 0, err
	}
	if header == nil {
		return 0, apperr.New(apperr.Invalid, "training.error.import_empty")
	}
	layout, err := parseHeader(header)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, apperr.New(apperr.Invalid, "training.error.import_empty")
	}
	existing := map[string]bool{}
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return 0, err
	}
	for _, q := range b.questions {
		existing[dupKey(q.Category, q.Text)] = true
	}
	var details []apperr.Detail
	var qs []Question
	inFile := map[string]int{}
	for _, row := range rows {
		q, key, args := parseRow(layout, row.Fields)
		if key == "" {
			k := dupKey(q.Category, q.Text)
			if first, dup := inFile[k]; dup {
				key, args = "training.import.duplicate_in_file", []any{first}
			} else if existing[k] {
				key, args = "training.import.duplicate_in_bank", nil
			} else {
				inFile[k] = row.Line
			}
		}
		if key != "" {
			if len(details) < maxImportErrors {
				details = append(details, apperr.Detail{Line: row.Line, Key: key, Args: args})
			}
			continue
		}
		qs = append(qs, q)
	}
	if len(details) > 0 {
		e := apperr.New(apperr.Invalid, "training.error.import_rejected", len(details))
		e.Details = details
		return 0, e
	}
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		now := db.Millis(s.Now())
		for _, q := range qs {
			id, err := tx.InsertID(ctx, `INSERT INTO training_questions (course_id, category, kind, text, difficulty, active, created_at)
				VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id`, courseID, q.Category, string(q.Kind), q.Text, q.Difficulty, now)
			if err != nil {
				return apperr.Wrap(err, "insert question")
			}
			for i, o := range q.Options {
				if _, err := tx.ExecContext(ctx, "INSERT INTO training_options (question_id, position, text, correct) VALUES (?, ?, ?, ?)",
					id, i, o.Text, boolInt(o.Correct)); err != nil {
					return apperr.Wrap(err, "insert option")
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE training_courses SET bank_version = bank_version + 1, updated_at = ? WHERE id = ?", now, courseID); err != nil {
			return apperr.Wrap(err, "bank version")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "question.import", ObjectType: "course", ObjectID: strconv.FormatInt(courseID, 10),
			UnitPath: coursePath(c), Detail: fmt.Sprintf("questions=%d", len(qs))})
	})
	if err != nil {
		return 0, err
	}
	return len(qs), nil
}

func dupKey(cat, text string) string {
	return strings.ToLower(cat) + "\x00" + strings.ToLower(strings.Join(strings.Fields(text), " "))
}
