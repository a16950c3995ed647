package seed

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws one bar per step on a terminal (redrawn in place with \r) and, when the output
// is a file or a pipe (CI logs), a line at every tenth of the step so logs stay short.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	step     string
	total    int64
	done     int64
	started  time.Time
	lastDraw time.Time
	lastTick int64
	now      func() time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// start begins a step of total units of work.
func (p *progress) start(step string, total int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.total, p.done, p.lastTick = step, max(total, 1), 0, 0
	p.started = p.now()
	p.draw(true)
}

// add records n more units of work done.
func (p *progress) add(n int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(p.done+n, p.total)
	p.draw(false)
}

// set records that done units of the step are finished so far (for generators that report a
// running total rather than increments).
func (p *progress) set(done int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(max(done, p.done), p.total)
	p.draw(false)
}

// finish ends the step and prints its time.
func (p *progress) finish() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.done = p.total
		p.draw(true)
		fmt.Fprintln(p.w)
		return
	}
	if p.done < p.total || p.lastTick != 10 {
		p.done = p.total
		p.draw(true)
	}
}

func (p *progress) draw(force bool) {
	now := p.now()
	if p.tty {
		if !force && now.Sub(p.lastDraw) < 100*time.Millisecond {
			return
		}
	} else {
		tick := p.done * 10 / p.total
		if !force && tick == p.lastTick {
			return
		}
		p.lastTick = tick
	}
	p.lastDraw = now
	elapsed := now.Sub(p.started)
	const width = 30
	filled := int(p.done * width / p.total)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	rate, eta := "", ""
	if secs := elapsed.Seconds(); secs > 0.5 && p.done > 0 {
		r := float64(p.done) / secs
		rate = fmt.Sprintf("  %s/s", group(int64(r)))
		if p.done < p.total {
			eta = "  còn/ETA " + (time.Duration(float64(p.total-p.done)/r) * time.Second / time.Second * time.Second).String()
		}
	}
	line := fmt.Sprintf("%-28s %s %3d%%  %s/%s%s%s  %s", p.step, bar, p.done*100/p.total, group(p.done), group(p.total), rate, eta,
		elapsed.Round(100*time.Millisecond))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// group writes n with thousands separators as Vietnamese does (1.000.000).
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}
