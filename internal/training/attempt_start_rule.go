package training

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
)

// The rules of starting an attempt live here, apart from StartAttempt's reads and write, so that
// every refusal and its message can be tested on plain values (attempt_start_rule_test.go). They
// come in the order StartAttempt can afford them: what the course alone decides before anything of
// the learner is read, what the learner's attempts decide, then the draw from the bank. A later
// rule's facts are read only when the earlier rules let the learner through, because refusals
// come in crowds (a scheduled exam's lobby asks thousands of times before its start).

// courseStartable refuses a start in a course that is not open at now: a draft is not found, as
// it is to everyone but its authors.
func courseStartable(c Course, now time.Time) error {
	switch c.StatusAt(now) {
	case Draft:
		return apperr.New(apperr.NotFound, "training.error.course_not_found")
	case Closed:
		return apperr.New(apperr.Conflict, "training.error.course_closed")
	case Upcoming:
		return apperr.New(apperr.Conflict, "training.error.course_not_open")
	}
	return nil
}

// startInput is what decideStart decides on: the course, the learner and their attempts so far.
type startInput struct {
	course Course
	userID int64
	now    time.Time
	stats  attemptStats
	// openDeadline is the deadline of the learner's open attempt (stats.open); zero when they
	// have none, or once it has been finished for running out of time.
	openDeadline time.Time
}

// startDecision is what decideStart lets the learner do.
type startDecision struct {
	// resume: the open attempt still has time (Grace included), and the learner goes back to it.
	resume bool
	// expire: the open attempt ran out of time; it is submitted as saved, and decideStart is asked
	// again about a new one.
	expire bool
	// lessonsFirst: the course is sequential, so every lesson must be done before the draw.
	lessonsFirst bool
	// questions is how many questions to draw, and deadline when the new attempt ends: the time
	// limit plus the extra minutes granted to the learner, from now.
	questions int
	deadline  time.Time
}

// decideStart decides whether the learner may start a new attempt now. The refusals come in a
// fixed order, which decides the message when several apply: already passed, their own start
// time not yet come, no attempts left, the retry delay not yet over.
func decideStart(in startInput) (startDecision, error) {
	c, st, now := in.course, in.stats, in.now
	if !in.openDeadline.IsZero() {
		if now.Before(in.openDeadline.Add(Grace)) {
			return startDecision{resume: true}, nil
		}
		return startDecision{expire: true}, nil
	}
	if st.passed {
		return startDecision{}, apperr.New(apperr.Conflict, "training.error.already_passed")
	}
	if start := LearnerStart(c, in.userID); !start.IsZero() && now.Before(start) {
		return startDecision{}, apperr.New(apperr.Conflict, "training.error.not_yet", start.In(vietnam).Format("15:04:05 02/01/2006"))
	}
	if c.Exam.MaxAttempts > 0 && st.count >= c.Exam.MaxAttempts {
		return startDecision{}, apperr.New(apperr.Conflict, "training.error.no_attempts_left", c.Exam.MaxAttempts)
	}
	if c.Exam.RetryDelayMinutes > 0 && !st.lastEnd.IsZero() {
		if next := st.lastEnd.Add(time.Duration(c.Exam.RetryDelayMinutes) * time.Minute); now.Before(next) {
			// A throttle, not a conflict: the same request succeeds once the delay is over, so it
			// is a 429 whose Retry-After says when.
			return startDecision{}, apperr.Throttled(next.Sub(now), "training.error.retry_later", int(math.Ceil(next.Sub(now).Minutes())))
		}
	}
	return startDecision{
		lessonsFirst: c.Sequential,
		questions:    c.Exam.QuestionCount,
		deadline:     now.Add(time.Duration(c.Exam.TimeLimitMinutes+st.extra) * time.Minute),
	}, nil
}

// recheckStart is decideStart's last word, said inside the write against what the database holds
// then: an attempt opened meanwhile (two starts of one learner at once) is resumed rather than
// doubled, and a start that the attempts counted since have used up is refused.
func recheckStart(c Course, open, counted int64) (resume int64, err error) {
	if open != 0 {
		return open, nil
	}
	if c.Exam.MaxAttempts > 0 && int(counted) >= c.Exam.MaxAttempts {
		return 0, apperr.New(apperr.Conflict, "training.error.no_attempts_left", c.Exam.MaxAttempts)
	}
	return 0, nil
}

// draw picks n questions of the bank at random and shuffles each one's options: a partial
// Fisher–Yates over a copy of the pool's ids. A bank with fewer than n questions to draw from
// refuses the start.
func draw(b *bank, n int) (order []int64, options map[int64][]int64, err error) {
	if len(b.pool) < n {
		return nil, nil, apperr.New(apperr.Conflict, "training.error.bank_too_small", n, len(b.pool))
	}
	pool := append([]int64(nil), b.pool...)
	options = map[int64][]int64{}
	for i := 0; i < n; i++ {
		j := i + rand.IntN(len(pool)-i) // #nosec G404 -- math/rand/v2's generator is ChaCha8 seeded by the OS: unpredictable enough for a question draw
		pool[i], pool[j] = pool[j], pool[i]
		q := b.questions[pool[i]]
		opts := make([]int64, len(q.Options))
		for k, o := range q.Options {
			opts[k] = o.ID
		}
		rand.Shuffle(len(opts), func(x, y int) { opts[x], opts[y] = opts[y], opts[x] })
		order = append(order, q.ID)
		options[q.ID] = opts
	}
	return order, options, nil
}
