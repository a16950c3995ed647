// Package memo keeps computed figures for a while, for the dashboards and the portal: a value is
// never older than TTL, each key is computed by one caller at a time however many ask together,
// and under steady traffic a value is recomputed in the background shortly before it expires, so
// no request waits for the recomputation.
//
// Without this, every request that arrived in the moment a figure expired recomputed it: on
// launch morning, fifty page views a second on two cores turned one half-second refresh into many
// concurrent ones, and every other request queued behind them for seconds.
//
// A Cache is per process; it holds nothing that another instance needs (each instance computes
// its own copy from the database).
package memo

import (
	"context"
	"sync"
	"time"
)

// Cache maps keys to values computed on demand. The zero value is not usable; set TTL.
type Cache[V any] struct {
	// TTL bounds a value's age: an older one is never returned.
	TTL time.Duration
	// Ahead is the age from which a request that finds the value starts its recomputation in the
	// background (default four fifths of TTL); the request itself gets the current value.
	Ahead time.Duration
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// MaxKeys bounds the number of keys kept (default 20,000); past it the cache starts afresh.
	MaxKeys int
	// Timeout bounds one computation that no request is waiting on (default 2 minutes).
	Timeout time.Duration

	mu      sync.Mutex
	entries map[string]*entry[V]
}

type entry[V any] struct {
	val    V
	at     time.Time
	ok     bool
	flight *flight[V]
}

type flight[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func (c *Cache[V]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the value under key, computing it with compute when there is none younger than
// TTL. compute receives a context that outlives the caller's (a computation shared by several
// requests must not end because the first of them left) and the moment the value stands for.
// A caller whose ctx ends while waiting gets ctx's error; the computation goes on for the others.
func (c *Cache[V]) Get(ctx context.Context, key string, compute func(ctx context.Context, now time.Time) (V, error)) (V, error) {
	now := c.now()
	c.mu.Lock()
	e := c.entries[key]
	if e != nil && e.ok && !now.Before(e.at) && now.Sub(e.at) < c.TTL {
		if e.flight == nil && now.Sub(e.at) >= c.ahead() {
			c.start(ctx, e, now, compute)
		}
		v := e.val
		c.mu.Unlock()
		return v, nil
	}
	if e == nil {
		if c.entries == nil || len(c.entries) >= c.maxKeys() {
			c.entries = map[string]*entry[V]{}
		}
		e = &entry[V]{}
		c.entries[key] = e
	}
	f := e.flight
	if f == nil {
		f = c.start(ctx, e, now, compute)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// start runs compute for e in its own goroutine; c.mu is held.
func (c *Cache[V]) start(ctx context.Context, e *entry[V], now time.Time, compute func(context.Context, time.Time) (V, error)) *flight[V] {
	f := &flight[V]{done: make(chan struct{})}
	e.flight = f
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout())
		defer cancel()
		f.val, f.err = compute(cctx, now)
		c.mu.Lock()
		// A failed recomputation keeps the value it would have replaced (still within TTL, or
		// refused by the next Get when not).
		if f.err == nil && (!e.ok || !now.Before(e.at)) {
			e.val, e.at, e.ok = f.val, now, true
		}
		e.flight = nil
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

func (c *Cache[V]) ahead() time.Duration {
	if c.Ahead > 0 {
		return c.Ahead
	}
	return c.TTL * 4 / 5
}

func (c *Cache[V]) maxKeys() int {
	if c.MaxKeys > 0 {
		return c.MaxKeys
	}
	return 20000
}

func (c *Cache[V]) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 2 * time.Minute
}
