package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// BenchmarkAnswerSave runs the exam page's answer save (the attempt's save token, the rules, the
// group-committed write) through the whole handler chain, without a network in between, so that
// the server's own cost of a save can be followed from change to change: allocations per save and
// the process's CPU per save (cpu-µs/op; ns/op is mostly waiting for commits). The bench/training
// driver measures the same save end to end against bare handlers.
//
//	go test ./internal/web -run '^$' -bench AnswerSave -benchmem
func BenchmarkAnswerSave(b *testing.B) {
	e := newEnv(b, dbtest.SQLite(b, schema.All()))
	c := e.course(false)
	resp, body := e.do("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", c.ID), e.tokens["learner"], "", "")
	if resp.StatusCode != 201 {
		b.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	var a training.AttemptView
	if err := json.Unmarshal(body, &a); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	before := cpu()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q := a.Questions[int(next.Add(1))%len(a.Questions)]
			body := fmt.Sprintf(`{"choices":[%d]}`, q.Options[0].ID)
			req := httptest.NewRequest("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Lantoa-Save-Token", a.SaveToken)
			rec := httptest.NewRecorder()
			e.web.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("save: %d %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(cpu()-before)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}
