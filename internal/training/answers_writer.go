package training

import (
	"context"
	"strings"
	"sync"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// The answer writer coalesces concurrent answer saves into one multi-row upsert, handed to the
// group-commit batcher as a single job. Under an exam-day load this turns hundreds of saves into
// one statement and one durable commit; each caller is still answered only after the commit that
// holds its answer. A save whose attempt was submitted meanwhile is left out by the statement
// itself (the join on submitted_at = 0) and answered with a conflict.

const maxAnswerBatch = 500

// answerChunk is the largest power of two not above n (n ≥ 1), capped at 256.
func answerChunk(n int) int {
	size := 1
	for size*2 <= n && size < 256 {
		size *= 2
	}
	return size
}

// upsertSQL holds the upsert of 1, 2, 4 … 256 answers, made once.
var upsertSQL = func() map[int]string {
	m := map[int]string{}
	for size := 1; size <= 256; size *= 2 {
		rows := strings.TrimSuffix(strings.Repeat("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)), ", size), ", ")
		m[size] = `INSERT INTO training_answers (attempt_id, question_id, choices, saved_at)
			SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES ` + rows + `) AS v
			JOIN training_attempts a ON a.id = v.column1 WHERE a.submitted_at = 0
			ON CONFLICT (attempt_id, question_id) DO UPDATE SET choices = excluded.choices, saved_at = excluded.saved_at`
	}
	return m
}()

func upsertAnswersSQL(size int) string { return upsertSQL[size] }

// upsertUnnestSQL is PostgreSQL's upsert of any number of answers in one statement, each column an
// array: one round trip per batch, where chunks of a power of two took up to nine.
const upsertUnnestSQL = `INSERT INTO training_answers (attempt_id, question_id, choices, saved_at)
	SELECT v.attempt_id, v.question_id, v.choices, v.saved_at
	FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[])) AS v (attempt_id, question_id, choices, saved_at)
	JOIN training_attempts a ON a.id = v.attempt_id WHERE a.submitted_at = 0
	ON CONFLICT (attempt_id, question_id) DO UPDATE SET choices = excluded.choices, saved_at = excluded.saved_at`

// upsertAnswers writes args (attempt, question, choices, time: four per answer) and tells whether
// every answer went in: the statement's join leaves out the answers of an attempt submitted
// meanwhile.
func upsertAnswers(tx *db.Tx, args []any) (all bool, err error) {
	ctx := context.Background()
	if tx.Engine() == db.Postgres {
		n := len(args) / 4
		attempts, questions, choices, times := make([]int64, n), make([]int64, n), make([]string, n), make([]int64, n)
		for i := range n {
			attempts[i], questions[i], choices[i], times[i] = args[4*i].(int64), args[4*i+1].(int64), args[4*i+2].(string), args[4*i+3].(int64)
		}
		res, err := tx.ExecContext(ctx, upsertUnnestSQL, attempts, questions, choices, times)
		if err != nil {
			return false, err
		}
		k, err := res.RowsAffected()
		return err == nil && k == int64(n), nil
	}
	// SQLite: the rows go in chunks of a power of two, each through a statement prepared once: a
	// statement of exactly the batch's length would be new text, parsed and planned again, for
	// nearly every batch (that parsing was a quarter of the writer's time).
	all = true
	for n := len(args) / 4; n > 0; {
		size := answerChunk(n)
		chunk := args[:4*size]
		args, n = args[4*size:], n-size
		res, err := tx.ExecCached(ctx, upsertAnswersSQL(size), chunk...)
		if err != nil {
			return false, err
		}
		if k, err := res.RowsAffected(); err != nil || k != int64(size) {
			all = false
		}
	}
	return all, nil
}

type pendingSave struct {
	ctx                   context.Context
	attemptID, questionID int64
	choices               string
	at                    int64
	done                  chan error
}

// startAnswerWriters starts n writers. SQLite has one writer connection, so one writer is all it
// can use; PostgreSQL commits concurrent transactions in parallel (and flushes their WAL
// together), so several writers keep more batches in flight.
//
// A writer commits its batch itself rather than through a group-commit batcher: its batch is
// already the group, and on an exam-day load, when every core is busy with requests, each hand-over
// between goroutines waits its turn in the run queue, once more per commit.
func (s *Service) startAnswerWriters(n int) {
	s.saves = make(chan *pendingSave, 4*maxAnswerBatch)
	s.writerDone = make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go s.answerWriter(&wg)
	}
	go func() {
		wg.Wait()
		close(s.writerDone)
	}()
}

func (s *Service) answerWriter(wg *sync.WaitGroup) {
	defer wg.Done()
	{
		batch := make([]*pendingSave, 0, maxAnswerBatch)
		for first := range s.saves {
			batch = append(batch[:0], first)
		fill:
			for len(batch) < maxAnswerBatch {
				select {
				case p, ok := <-s.saves:
					if !ok {
						break fill
					}
					batch = append(batch, p)
				default:
					break fill
				}
			}
			s.writeAnswers(batch)
		}
	}
}

// queueSave hands one save to the writer and waits for its commit.
func (s *Service) queueSave(ctx context.Context, p *pendingSave) error {
	p.ctx, p.done = ctx, make(chan error, 1)
	select {
	case s.saves <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The save may still commit; the learner's page re-reads the attempt on reconnect.
		return ctx.Err()
	}
}

func (s *Service) writeAnswers(batch []*pendingSave) {
	// The last save of a question in the batch wins, as it would in sequence.
	type key struct{ a, q int64 }
	last := map[key]int{}
	live := batch[:0:0]
	for _, p := range batch {
		if p.ctx.Err() != nil {
			p.done <- p.ctx.Err()
			continue
		}
		live = append(live, p)
		last[key{p.attemptID, p.questionID}] = len(live) - 1
	}
	if len(live) == 0 {
		return
	}
	var args []any
	for i, p := range live {
		if last[key{p.attemptID, p.questionID}] != i {
			continue
		}
		args = append(args, p.attemptID, p.questionID, p.choices, p.at)
	}
	// open is nil while every row went in, the usual case; otherwise it holds the attempts of the
	// batch still open, and the saves of the others are answered with a conflict.
	var open map[int64]bool
	err := s.DB.WriteTx(context.Background(), func(tx *db.Tx) error {
		open = nil
		all, err := upsertAnswers(tx, args)
		if err != nil || all {
			return err
		}
		// The statement's join left out the rows of an attempt submitted meanwhile: find which
		// attempts are still open. Reading the rows back on every batch instead (RETURNING) cost
		// every save a scan to learn this rare case.
		ids := make([]any, 0, len(args)/4)
		for i := 0; i < len(args); i += 4 {
			ids = append(ids, args[i])
		}
		r, err := tx.QueryContext(context.Background(), "SELECT id FROM training_attempts WHERE submitted_at = 0 AND id IN (?"+
			strings.Repeat(", ?", len(ids)-1)+")", ids...)
		if err != nil {
			return err
		}
		defer r.Close()
		open = map[int64]bool{}
		for r.Next() {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			open[id] = true
		}
		return r.Err()
	})
	for _, p := range live {
		switch {
		case err != nil:
			p.done <- apperr.Wrap(err, "save answers")
		case open == nil || open[p.attemptID]:
			p.done <- nil
		default:
			p.done <- apperr.New(apperr.Conflict, "training.error.already_submitted")
		}
	}
}
