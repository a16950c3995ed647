package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/bench/internal/benchkit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/training"
)

// contender is one server of (a): how a client saves, which table holds its saves, and, per
// client, the last choice the server acknowledged for each question (what the table must hold).
type contender struct {
	name, label string
	table       string
	save        func(i int, a attempt, q training.QuestionView, choice int64) error
	atts        []attempt
	acked       []map[int64]int64
	saves       int
	all         stats
	rates       []float64
}

type attempt struct {
	id int64
	qs []training.QuestionView
	// saveToken is the attempt's save token, which the exam page sends with every answer.
	saveToken string
}

// bareSave is a save as the bare handlers read it: no authentication, the attempt named in the body.
type bareSave struct {
	Attempt  int64   `json:"attempt"`
	Question int64   `json:"question"`
	Choices  []int64 `json:"choices"`
}

const bareUpsert = ` ON CONFLICT (attempt_id, question_id) DO UPDATE SET choices = excluded.choices, saved_at = excluded.saved_at`

// bareSingle is the first baseline: each save is one upsert in a transaction of its own.
func bareSingle(d *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in bareSave
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		err := d.WriteTx(r.Context(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(r.Context(), "INSERT INTO bench_bare_single (attempt_id, question_id, choices, saved_at) VALUES (?, ?, ?, ?)"+bareUpsert,
				in.Attempt, in.Question, encodeChoices(in.Choices), time.Now().UnixMilli())
			return err
		})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

// groupWriter is the second baseline's group commit, with Lan Tỏa's policy
// (internal/training/answers_writer.go): writers take the first queued save and whatever else is
// queued at that moment, up to 500, without waiting for more; the last save of a question in a
// batch wins; one multi-row upsert and one commit per batch; each caller is answered after that
// commit. One writer on SQLite (one writer connection), eight on PostgreSQL, as Lan Tỏa runs.
type groupWriter struct {
	d     *db.DB
	saves chan *pendingBare
	wg    sync.WaitGroup
}

type pendingBare struct {
	in   bareSave
	at   int64
	done chan error
}

func newGroupWriter(d *db.DB) *groupWriter {
	g := &groupWriter{d: d, saves: make(chan *pendingBare, 4*500)}
	n := 1
	if d.Engine == db.Postgres {
		n = 8
	}
	for range n {
		g.wg.Add(1)
		go g.loop()
	}
	return g
}

func (g *groupWriter) close() { close(g.saves); g.wg.Wait() }

func (g *groupWriter) loop() {
	defer g.wg.Done()
	batch := make([]*pendingBare, 0, 500)
	for first := range g.saves {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < 500 {
			select {
			case p, ok := <-g.saves:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		type key struct{ a, q int64 }
		last := map[key]int{}
		for i, p := range batch {
			last[key{p.in.Attempt, p.in.Question}] = i
		}
		var rows []string
		var args []any
		for i, p := range batch {
			if last[key{p.in.Attempt, p.in.Question}] == i {
				rows = append(rows, "(?, ?, ?, ?)")
				args = append(args, p.in.Attempt, p.in.Question, encodeChoices(p.in.Choices), p.at)
			}
		}
		err := g.d.WriteTx(context.Background(), func(tx *db.Tx) error {
			_, err := tx.ExecContext(context.Background(), "INSERT INTO bench_bare_group (attempt_id, question_id, choices, saved_at) VALUES "+
				strings.Join(rows, ", ")+bareUpsert, args...)
			return err
		})
		for _, p := range batch {
			p.done <- err
		}
	}
}

func (g *groupWriter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := &pendingBare{at: time.Now().UnixMilli(), done: make(chan error, 1)}
	if err := json.NewDecoder(r.Body).Decode(&p.in); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	select {
	case g.saves <- p:
	case <-r.Context().Done():
		return
	}
	if err := <-p.done; err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// encodeChoices is how training_answers stores choices (internal/training), so the three tables
// can be checked alike.
func encodeChoices(c []int64) string {
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(parts, ",")
}

func (e *env) saves(ctx context.Context) error {
	o := e.o
	d := e.d
	for _, t := range []string{"bench_bare_single", "bench_bare_group"} {
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "CREATE TABLE "+t+" (attempt_id BIGINT NOT NULL, question_id BIGINT NOT NULL, choices TEXT NOT NULL, saved_at BIGINT NOT NULL, PRIMARY KEY (attempt_id, question_id))")
			return err
		}); err != nil {
			return err
		}
	}
	singleBase, stopSingle, err := serve(bareSingle(d))
	if err != nil {
		return err
	}
	defer stopSingle()
	gw := newGroupWriter(d)
	defer gw.close()
	groupBase, stopGroup, err := serve(gw)
	if err != nil {
		return err
	}
	defer stopGroup()

	course, err := e.exam(ctx, "Bài thi đo tải", time.Time{}, 0)
	if err != nil {
		return err
	}
	hash, err := passwordHash(ctx)
	if err != nil {
		return err
	}
	ids, err := e.learners(ctx, "save", o.clients, hash)
	if err != nil {
		return err
	}
	tokens, err := e.tokens(ctx, ids)
	if err != nil {
		return err
	}
	startAll := func(c training.Course) ([]attempt, error) {
		atts := make([]attempt, len(tokens))
		for i, tok := range tokens {
			var a training.AttemptView
			if code, err := call(e.client, "POST", fmt.Sprintf("%s/api/v1/courses/%d/attempts", e.base, c.ID), bearer(tok), nil, &a); err != nil || code != 201 {
				return nil, fmt.Errorf("start attempt: %d %v", code, err)
			}
			atts[i] = attempt{a.ID, a.Questions, a.SaveToken}
		}
		return atts, nil
	}
	atts, err := startAll(course)
	if err != nil {
		return err
	}
	// Lan Tỏa's save as the exam page makes it (the attempt's save token in its header), and as an
	// API client with a bearer token makes it (the token, its user and grants read each time), on
	// the attempts of a second exam so that the two write distinct answers.
	course2, err := e.exam(ctx, "Bài thi đo tải (B)", time.Time{}, 0)
	if err != nil {
		return err
	}
	atts2, err := startAll(course2)
	if err != nil {
		return err
	}
	saveWith := func(header func(i int, a attempt) http.Header) func(i int, a attempt, q training.QuestionView, choice int64) error {
		return func(i int, a attempt, q training.QuestionView, choice int64) error {
			_, err := call(e.client, "PUT", fmt.Sprintf("%s/api/v1/attempts/%d/answers/%d", e.base, a.id, q.ID), header(i, a),
				map[string]any{"choices": []int64{choice}}, nil)
			return err
		}
	}
	all := map[string]*contender{
		"single": {name: "single", label: "bare handler, one commit per save", table: "bench_bare_single",
			save: func(i int, a attempt, q training.QuestionView, choice int64) error {
				_, err := call(e.client, "PUT", singleBase+"/", nil, bareSave{a.id, q.ID, []int64{choice}}, nil)
				return err
			}},
		"grouped": {name: "grouped", label: "bare handler, group commit (Lan Tỏa's policy)", table: "bench_bare_group",
			save: func(i int, a attempt, q training.QuestionView, choice int64) error {
				_, err := call(e.client, "PUT", groupBase+"/", nil, bareSave{a.id, q.ID, []int64{choice}}, nil)
				return err
			}},
		"lantoa": {name: "lantoa", label: "Lan Tỏa answer save (the attempt's save token, checks, group commit)", table: "training_answers",
			save: saveWith(func(_ int, a attempt) http.Header { return http.Header{"X-Lantoa-Save-Token": {a.saveToken}} })},
		"lantoa-bearer": {name: "lantoa-bearer", label: "Lan Tỏa answer save with a bearer token (read each time)", table: "training_answers",
			atts: atts2, save: saveWith(func(i int, _ attempt) http.Header { return bearer(tokens[i]) })},
	}
	var order []*contender
	for _, n := range strings.Split(o.contenders, ",") {
		c := all[strings.TrimSpace(n)]
		if c == nil {
			return fmt.Errorf("unknown server %q in -servers", n)
		}
		if c.atts == nil {
			c.atts = atts
		}
		c.acked = make([]map[int64]int64, o.clients)
		for i := range c.acked {
			c.acked[i] = map[int64]int64{}
		}
		order = append(order, c)
	}
	fmt.Printf("(a) %d learners saving answers, %d interleaved rounds of %s per server:\n\n", o.clients, o.rounds, o.duration)
	for r := range o.rounds {
		// Each round starts with a different server, so none always runs first or last.
		k := r % len(order)
		for _, c := range append(slices.Clone(order[k:]), order[:k]...) {
			loadBefore := benchkit.LoadAvg()
			st := load(o.clients, o.duration, func(i int) error {
				a := c.atts[i]
				q := a.qs[pick(len(a.qs))]
				choice := q.Options[pick(len(q.Options))].ID
				if err := c.save(i, a, q, choice); err != nil {
					return err
				}
				c.acked[i][q.ID] = choice
				return nil
			})
			c.all.add(st)
			c.rates = append(c.rates, st.rate())
			fmt.Fprintf(os.Stderr, "  round %d %-8s %6.0f/s, %d errors (load %s → %s)\n", r+1, c.name, st.rate(), st.errs, loadBefore, benchkit.LoadAvg())
		}
	}
	fmt.Println("| server | saves/s, median of rounds (min–max) | acknowledged | errors | latency over every sample |")
	fmt.Println("| --- | ---: | ---: | ---: | --- |")
	for _, c := range order {
		med, lo, hi := benchkit.UpperMedian(c.rates)
		fmt.Printf("| %s | %.0f (%.0f–%.0f) | %d | %d | %s |\n", c.label, med, lo, hi, c.all.n, c.all.errs, benchkit.Summarize(c.all.lat))
	}
	fmt.Println()
	lt, gr, si, be := all["lantoa"], all["grouped"], all["single"], all["lantoa-bearer"]
	for _, b := range []*contender{gr, si, be} {
		if len(lt.rates) == 0 || len(b.rates) == 0 || len(lt.rates) != len(b.rates) {
			continue
		}
		var ratios []float64
		for i := range lt.rates {
			ratios = append(ratios, lt.rates[i]/b.rates[i])
		}
		med, lo, hi := benchkit.UpperMedian(ratios)
		fmt.Printf("- Lan Tỏa ÷ %s: %.2f× (rounds %.2f–%.2f)\n", b.label, med, lo, hi)
	}
	for _, c := range order {
		if c.all.firstErr != "" {
			fmt.Printf("- first error, %s: %q\n", c.name, c.all.firstErr)
		}
	}
	fmt.Println()
	var errs []error
	for _, c := range order {
		errs = append(errs, e.checkSaves(ctx, c))
	}
	fmt.Println()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkSaves reads c's table back: each question a client got an acknowledgement for must hold
// the last choice acknowledged (each client saves its own attempt, one save at a time, so the last
// acknowledgement is the last write).
func (e *env) checkSaves(ctx context.Context, c *contender) error {
	want := map[[2]int64]string{}
	var ids []string
	for i, m := range c.acked {
		ids = append(ids, strconv.FormatInt(c.atts[i].id, 10))
		for q, choice := range m {
			want[[2]int64{c.atts[i].id, q}] = strconv.FormatInt(choice, 10)
		}
	}
	rows, err := e.d.Reader().QueryContext(ctx, "SELECT attempt_id, question_id, choices FROM "+c.table+" WHERE attempt_id IN ("+strings.Join(ids, ", ")+")")
	if err != nil {
		return err
	}
	defer rows.Close()
	match := 0
	for rows.Next() {
		var a, q int64
		var ch string
		if err := rows.Scan(&a, &q, &ch); err != nil {
			return err
		}
		if w, ok := want[[2]int64{a, q}]; ok && w == ch {
			match++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return benchkit.Check(os.Stdout, fmt.Sprintf("%s, %d saves acknowledged; questions holding their last acknowledged choice", c.name, c.all.n), int64(len(want)), int64(match))
}
