package memo

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCache() (*Cache[int], *clock) {
	clk := &clock{t: time.Date(2023, 7, 28, 8, 30, 0, 0, time.UTC)}
	return &Cache[int]{TTL: time.Minute, Now: clk.now}, clk
}

// A hundred requests arriving together at an empty key cost one computation.
func TestConcurrentCallersShareOneComputation(t *testing.T) {
	c, _ := newCache()
	var calls atomic.Int32
	release := make(chan struct{})
	compute := func(context.Context, time.Time) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	got := make([]int, 100)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.Get(context.Background(), "k", compute)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all arrive
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d computations for 100 simultaneous callers, want 1", n)
	}
	for i, v := range got {
		if v != 42 {
			t.Fatalf("caller %d got %d", i, v)
		}
	}
}

// Near the end of its life a value is recomputed in the background while callers keep getting
// it; past TTL it is never returned.
func TestRefreshAheadAndNeverOlderThanTTL(t *testing.T) {
	c, clk := newCache()
	var n atomic.Int32
	refreshed := make(chan struct{}, 10)
	compute := func(context.Context, time.Time) (int, error) {
		v := int(n.Add(1))
		refreshed <- struct{}{}
		return v, nil
	}
	if v, _ := c.Get(context.Background(), "k", compute); v != 1 {
		t.Fatalf("first value %d", v)
	}
	<-refreshed
	clk.add(30 * time.Second)
	if v, _ := c.Get(context.Background(), "k", compute); v != 1 || n.Load() != 1 {
		t.Fatalf("young value recomputed: %d (%d computations)", v, n.Load())
	}
	clk.add(20 * time.Second) // 50 s old: past four fifths of the minute
	if v, _ := c.Get(context.Background(), "k", compute); v != 1 {
		t.Fatalf("the caller that triggers the refresh waited for it: got %d", v)
	}
	select {
	case <-refreshed:
	case <-time.After(5 * time.Second):
		t.Fatal("no background refresh")
	}
	waitFor(t, func() bool { v, _ := c.Get(context.Background(), "k", compute); return v == 2 })
	clk.add(2 * time.Minute) // everything expired: the caller waits for a fresh value
	if v, _ := c.Get(context.Background(), "k", compute); v != 3 {
		t.Errorf("after expiry got %d, want a fresh 3", v)
	}
}

// A failed computation is reported to its callers and not kept; the next caller tries again.
func TestErrorsAreNotCached(t *testing.T) {
	c, _ := newCache()
	boom := errors.New("database gone")
	if _, err := c.Get(context.Background(), "k", func(context.Context, time.Time) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	v, err := c.Get(context.Background(), "k", func(context.Context, time.Time) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Errorf("after an error: %d, %v", v, err)
	}
}

// A caller that gives up does not take the shared computation down with it.
func TestCallerCancelDoesNotCancelComputation(t *testing.T) {
	c, _ := newCache()
	release := make(chan struct{})
	var sawCancel atomic.Bool
	compute := func(ctx context.Context, _ time.Time) (int, error) {
		<-release
		sawCancel.Store(ctx.Err() != nil)
		return 9, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := c.Get(ctx, "k", compute); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(release)
	v, err := c.Get(context.Background(), "k", compute)
	if err != nil || v != 9 || sawCancel.Load() {
		t.Errorf("got %d, %v; computation saw the cancel: %v", v, err, sawCancel.Load())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 200 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}
