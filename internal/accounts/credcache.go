package accounts

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
)

// DefaultCredentialTTL is how long a validated session or token is trusted without asking the
// database again. It is the bound on how late a change made elsewhere is seen here: a logout, a
// token revoked, a user disabled, a grant added or removed by another instance (or by the command
// line, a map switch) stops or changes this instance's answers at most this long afterwards. Such
// a change made through this instance's own Service clears the cache at once.
//
// Why a cache at all: the lookup is one indexed read (credential, user, grants) yet it was half of
// the CPU of an answer save, the exam's hottest request (docs/benchmarks.md, issue 16). Why so
// short: it only has to span a burst of requests from one browser — the saves of a learner
// clicking through questions, a page and the fragments it loads — and a signed-out or disabled
// account must not live on for long. A learner who saves once a minute misses it every time, and
// that is the intended trade: the cache relieves bursts, it does not stretch a revocation.
const DefaultCredentialTTL = 2 * time.Second

// credEntry is a validated credential: the actor it stands for and what the database path checks
// on each request (expiry, idle time, when it was last touched), so a hit applies the same rules.
type credEntry struct {
	actor   *authz.Actor
	user    User
	id      int64 // the token's id (tokens only)
	last    int64 // last_used_at / last_seen_at, Unix ms, as the database holds it after this lookup
	expires int64 // Unix ms; 0 for a token that never expires
	until   time.Time
}

// credCache maps a secret's hash to its validated entry. gen counts local invalidations: a lookup
// that began before one must not store what it read.
type credCache struct {
	mu        sync.Mutex
	m         map[string]credEntry
	gen       uint64
	nextSweep time.Time
	hits      atomic.Int64
	misses    atomic.Int64
}

func (c *credCache) get(hash string, now time.Time) (credEntry, bool) {
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	if !ok || !now.Before(e.until) {
		c.misses.Add(1)
		return credEntry{}, false
	}
	c.hits.Add(1)
	return e, true
}

func (c *credCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores e unless the cache was cleared since gen was read (the read may predate the change).
func (c *credCache) put(hash string, gen uint64, e credEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]credEntry{}
	}
	if now.After(c.nextSweep) {
		for k, v := range c.m {
			if !now.Before(v.until) {
				delete(c.m, k)
			}
		}
		c.nextSweep = now.Add(10 * time.Second)
	}
	c.m[hash] = e
}

func (c *credCache) clear() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// forgetCredentials drops every cached credential; called after any write that can end a session
// or a token or change what a user may do. Such writes are rare, so clearing everything is
// simpler and as cheap as finding the entries of one user.
func (s *Service) forgetCredentials() { s.creds.clear() }

// CredentialCacheStats returns the hits and misses of the credential cache since start, for the
// benchmarks to say how much of a run the cache served.
func (s *Service) CredentialCacheStats() (hits, misses int64) {
	return s.creds.hits.Load(), s.creds.misses.Load()
}

// hit is a copy of a cached actor for one request: requests never share the value they may pass
// on, and an append to its grants makes a new array.
func (e credEntry) hit() (*authz.Actor, User) {
	a := *e.actor
	a.Grants = slices.Clip(a.Grants)
	return &a, e.user
}
