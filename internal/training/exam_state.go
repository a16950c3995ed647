package training

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

// ExamState is where the signed-in learner stands before an exam, read without starting
// anything: the exam page shows it as its start step, so that looking at the page does not spend
// an attempt or start the clock.
type ExamState struct {
	Lobby Lobby
	// Questions and Minutes are what a new attempt would get: the exam's question count, and its
	// time limit plus the extra minutes granted to this learner (ExtraMinutes).
	Questions    int
	Minutes      int
	ExtraMinutes int
	PassPercent  int
	// MaxAttempts is 0 when attempts are not limited; Used counts the attempts that count toward it.
	MaxAttempts int
	Used        int
	// Open is the attempt the learner has running (0 when none): the page resumes it.
	Open int64
	// Passed: the learner has passed; Result is then the passing attempt's, else the latest
	// submitted attempt's (nil before any).
	Passed bool
	Result *Result
	// Refusal says why a new attempt cannot be started now (nil when it can, and while the
	// learner only waits in the lobby for their start time): the same rules and messages as
	// StartAttempt's.
	Refusal error
}

// Left is how many attempts remain (-1 when they are not limited).
func (st ExamState) Left() int {
	if st.MaxAttempts == 0 {
		return -1
	}
	return max(0, st.MaxAttempts-st.Used)
}

// ExamStateFor reads the signed-in learner's state in course c (found with CourseToTake). An
// attempt left open past its deadline is submitted as saved first, as GetAttempt and StartAttempt
// do, so the state shows its result rather than a dead clock.
func (s *Service) ExamStateFor(ctx context.Context, c Course) (ExamState, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return ExamState{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	now := s.Now()
	st := ExamState{Lobby: s.LobbyFor(c, actor.UserID), Questions: c.Exam.QuestionCount, PassPercent: c.Exam.PassPercent, MaxAttempts: c.Exam.MaxAttempts}
	in, open, err := s.readStart(ctx, c, actor.UserID, now)
	if err != nil {
		return st, err
	}
	if open != nil && !now.Before(open.deadline.Add(Grace)) {
		if _, err := s.finish(ctx, open, true); err != nil && !apperr.Is(err, apperr.Conflict) {
			return st, err
		}
		if in.stats, err = s.stats(ctx, s.DB.Reader(), c.ID, actor.UserID); err != nil {
			return st, err
		}
		open, in.openDeadline = nil, time.Time{}
	}
	st.ExtraMinutes, st.Minutes = in.stats.extra, c.Exam.TimeLimitMinutes+in.stats.extra
	st.Used, st.Passed = in.stats.count, in.stats.passed
	if open != nil {
		st.Open = open.id
		return st, nil
	}
	if st.Result, err = s.shownResult(ctx, c.ID, actor.UserID, st.Passed); err != nil {
		return st, err
	}
	if st.Refusal = courseStartable(c, now); st.Refusal != nil {
		return st, nil
	}
	// The lobby's countdown is the page's own business: the rules are asked as at the learner's
	// start time, so that what they say is what will stop the learner once the button opens.
	if !st.Lobby.CanStart {
		in.now = st.Lobby.YourStart
	}
	d, err := decideStart(in)
	if err != nil {
		st.Refusal = err
		return st, nil
	}
	if d.lessonsFirst {
		done, err := s.AllLessonsDone(ctx, c)
		if err != nil {
			return st, err
		}
		if !done {
			st.Refusal = apperr.New(apperr.Conflict, "training.error.lessons_first")
		}
	}
	return st, nil
}

// shownResult is the result the exam page shows: the passing attempt's for a learner who has
// passed (the one their certificate is for), else their latest submitted attempt's.
func (s *Service) shownResult(ctx context.Context, courseID, userID int64, passed bool) (*Result, error) {
	q := "SELECT id FROM training_attempts WHERE course_id = ? AND user_id = ? AND submitted_at <> 0"
	if passed {
		q += " AND passed = 1"
	}
	var id int64
	err := s.DB.Reader().QueryRowContext(ctx, q+" ORDER BY submitted_at DESC, id DESC LIMIT 1", courseID, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, "exam result")
	}
	return s.result(ctx, id)
}

// FormatScore writes a score out of 100 as the language reads it: "100", "87,5" in Vietnamese,
// "87.5" in English, never a trailing ".0". Scores are kept to one decimal (finish).
func FormatScore(score float64, lang string) string {
	out := strconv.FormatFloat(math.Round(score*10)/10, 'f', -1, 64)
	if lang == "en" {
		return out
	}
	return strings.Replace(out, ".", ",", 1)
}
