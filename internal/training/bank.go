package training

import (
	"context"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// Question is one question of a course's bank.
type Question struct {
	ID         int64    `json:"id"`
	Category   string   `json:"category"`
	Kind       Kind     `json:"type"`
	Text       string   `json:"question"`
	Difficulty int      `json:"difficulty"`
	Active     bool     `json:"active"`
	Options    []Option `json:"options"`
}

// Option is one answer option; Correct never leaves the server before submission.
type Option struct {
	ID      int64  `json:"id"`
	Text    string `json:"text"`
	Correct bool   `json:"correct"`
}

// bank is the in-memory snapshot of a course's question bank: the ids an attempt draws from and
// every question with its options (inactive ones too, for the attempts that already hold them).
// It is rebuilt when the course's bank_version changes (import, exam settings, publication).
type bank struct {
	version int64
	// pool are the ids an attempt draws from: active questions of the exam's categories.
	pool      []int64
	questions map[int64]*Question
}

// bankFor returns the snapshot of c's bank, building it when missing or out of date. Loads are
// serialised so that a thousand starts after a restart build it once.
func (s *Service) bankFor(ctx context.Context, c Course) (*bank, error) {
	s.mu.Lock()
	b := s.banks[c.ID]
	s.mu.Unlock()
	if b != nil && b.version == c.bankVersion {
		return b, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	b = s.banks[c.ID]
	s.mu.Unlock()
	if b != nil && b.version == c.bankVersion {
		return b, nil
	}
	b, err := s.loadBank(ctx, c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.banks[c.ID] = b
	s.mu.Unlock()
	return b, nil
}

func (s *Service) loadBank(ctx context.Context, c Course) (*bank, error) {
	b := &bank{version: c.bankVersion, questions: map[int64]*Question{}}
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT q.id, q.category, q.kind, q.text, q.difficulty, q.active, o.id, o.text, o.correct
		FROM training_questions q JOIN training_options o ON o.question_id = q.id WHERE q.course_id = ? ORDER BY q.id, o.position`, c.ID)
	if err != nil {
		return nil, apperr.Wrap(err, "load bank")
	}
	defer rows.Close()
	cats := map[string]bool{}
	for _, x := range c.Exam.Categories {
		cats[x] = true
	}
	for rows.Next() {
		var q Question
		var o Option
		var active, correct int
		if err := rows.Scan(&q.ID, &q.Category, &q.Kind, &q.Text, &q.Difficulty, &active, &o.ID, &o.Text, &correct); err != nil {
			return nil, apperr.Wrap(err, "scan bank")
		}
		o.Correct = correct == 1
		cur := b.questions[q.ID]
		if cur == nil {
			q.Active = active == 1
			cur = &q
			b.questions[q.ID] = cur
			if q.Active && (len(cats) == 0 || cats[q.Category]) {
				b.pool = append(b.pool, q.ID)
			}
		}
		cur.Options = append(cur.Options, o)
	}
	return b, rows.Err()
}

// Questions returns a course's bank, correct answers included, to those who may change the course
// (access.go): another province's bank is not found, a national administrator is refused a
// province's.
func (s *Service) Questions(ctx context.Context, courseID int64) ([]Question, error) {
	c, err := s.manageableCourse(ctx, s.DB.Reader(), courseID)
	if err != nil {
		return nil, err
	}
	b, err := s.bankFor(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]Question, 0, len(b.questions))
	for _, q := range b.questions {
		out = append(out, *q)
	}
	sortQuestions(out)
	return out, nil
}

// Categories returns the categories present in a course's bank with their active question counts.
func (s *Service) Categories(ctx context.Context, courseID int64) (map[string]int, error) {
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT category, COUNT(*) FROM training_questions WHERE course_id = ? AND active = 1 GROUP BY category", courseID)
	if err != nil {
		return nil, apperr.Wrap(err, "categories")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, apperr.Wrap(err, "categories")
		}
		out[c] = n
	}
	return out, rows.Err()
}

func sortQuestions(qs []Question) {
	slices.SortFunc(qs, func(a, b Question) int {
		if c := strings.Compare(a.Category, b.Category); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
}

// letters names options A, B, C… as the template does.
func letter(i int) string { return string(rune('A' + i)) } // #nosec G115 -- i is an option index, a few dozen at most

func letterIndex(s string) int {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 1 || s[0] < 'A' || s[0] > 'Z' {
		return -1
	}
	return int(s[0] - 'A')
}
