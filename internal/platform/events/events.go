// Package events carries live updates ("a bridge point is ready", "the ceremony is launched") from
// the service that makes a change to every open screen. Events are persisted in the events table
// with an identifier that increases within each topic, so a screen that reconnects replays what it
// missed (Server-Sent Events' Last-Event-ID) and several server processes over one PostgreSQL
// database deliver the same events.
//
// One Broker serves a process. On SQLite it is an in-process hub: a publication is handed to the
// subscribers of its topic once its transaction commits. On PostgreSQL the publishing transaction
// also sends NOTIFY lantoa_events with "topic\nid"; every process holds one dedicated connection
// that LISTENs and, on a notification, reads the missing rows and hands them to its own
// subscribers. Within a topic, publications are serialised (SQLite has one writer; PostgreSQL takes
// a transaction advisory lock on the topic), so identifiers commit in order and a subscriber that
// has seen id n has seen every id below it.
//
// This package knows nothing of HTTP: internal/web turns a subscription into a text/event-stream.
package events

import (
	"context"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the events table.
var Migrations = db.MigrationSet{Module: "events", FS: migrations}

// Event is one published event.
type Event struct {
	Topic string
	// ID increases by one with each event of the topic, starting at 1.
	ID   int64
	Name string
	// Data is the payload, usually JSON; it is sent to browsers as is.
	Data []byte
	At   time.Time
}

// Bus publishes and delivers events. Topics are free-form strings owned by the publishing module
// ("ceremony:12", "portal:figures"); names say what happened ("point", "launch").
type Bus interface {
	// Publish stores an event in its own transaction and delivers it to the topic's subscribers.
	Publish(ctx context.Context, topic, name string, data []byte) (Event, error)
	// PublishTx stores an event inside the caller's write transaction; it is delivered only if and
	// once that transaction commits, so the event exists exactly when the change it describes does.
	PublishTx(ctx context.Context, tx *db.Tx, topic, name string, data []byte) (Event, error)
	// Subscribe delivers the topic's events with an ID above afterID, stored ones first (replay),
	// then live ones, in order and without duplicates. afterID < 0 means "from now on". The
	// channel closes when ctx ends, when cancel is called, or when the database cannot be read
	// (the client should reconnect with its last ID).
	Subscribe(ctx context.Context, topic string, afterID int64) (<-chan Event, func())
	// LastID is the ID of the topic's latest event (0 when none): a page rendered from the current
	// state passes it to its stream so that nothing between render and connection is lost.
	LastID(ctx context.Context, topic string) (int64, error)
}

// MaxTopicLen bounds a topic's length in bytes (a NOTIFY payload carries it).
const MaxTopicLen = 200

// notifyChannel is the PostgreSQL channel of every topic.
const notifyChannel = "lantoa_events"

// advisoryClass is the first key of the two-key advisory lock that orders a topic's publications;
// the second is hashtext(topic). The two-key space is separate from migrations' one-key lock.
const advisoryClass = 7341

// Broker is the Bus of one process. Create it with New and start it with Start.
type Broker struct {
	db  *db.DB
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	topics map[string]*topicState

	// SubscriberBuffer is how many live events may wait for a slow subscriber before it falls back
	// to reading from the database. Set it before Start.
	SubscriberBuffer int

	cancel context.CancelFunc
	done   chan struct{}

	// life ends every subscription when the server shuts down (EndSubscriptions).
	life    context.Context
	endLife context.CancelFunc
}

type topicState struct {
	// dmu serialises deliveries of the topic and guards last.
	dmu  sync.Mutex
	last int64
	subs map[*subscriber]struct{} // guarded by Broker.mu
}

type subscriber struct {
	ch     chan Event
	lagged atomic.Bool
	wake   chan struct{}
}

// New returns a broker over d.
func New(d *db.DB, log *slog.Logger) *Broker {
	if log == nil {
		log = slog.Default()
	}
	life, end := context.WithCancel(context.Background())
	return &Broker{db: d, log: log, now: time.Now, topics: map[string]*topicState{}, SubscriberBuffer: 16, life: life, endLife: end}
}

// EndSubscriptions closes every subscription, e.g. when the HTTP server shuts down, so that open
// streams end instead of holding the shutdown; new subscriptions close at once.
func (b *Broker) EndSubscriptions() { b.endLife() }

var _ Bus = (*Broker)(nil)

// Start begins listening for other processes' events on PostgreSQL (nothing to do on SQLite). The
// listener stops when ctx ends or Close is called.
func (b *Broker) Start(ctx context.Context) error {
	if b.db.Engine != db.Postgres {
		return nil
	}
	ctx, b.cancel = context.WithCancel(ctx)
	b.done = make(chan struct{})
	ready := make(chan error, 1)
	go b.listen(ctx, ready)
	select {
	case err := <-ready:
		if err == nil {
			go b.sweep(ctx)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// catchUpEvery bounds how late an event can reach a subscriber whose notification was lost.
const catchUpEvery = 3 * time.Second

// sweep reads, every few seconds, what the subscribed topics missed. A notification is the fast
// path, not the only one: a read that failed when it came (deliver only logs) or a notification
// lost in transit would otherwise leave a screen without the launch for good. One MAX(seq) per
// subscribed topic.
func (b *Broker) sweep(ctx context.Context) {
	t := time.NewTicker(catchUpEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.catchUpAll(ctx)
		}
	}
}

// Close ends the subscriptions and stops the PostgreSQL listener.
func (b *Broker) Close() {
	b.endLife()
	if b.cancel != nil {
		b.cancel()
		<-b.done
	}
}

func validTopic(topic string) error {
	if topic == "" || len(topic) > MaxTopicLen || strings.ContainsAny(topic, "\x00\n") {
		return fmt.Errorf("events: bad topic %q", topic)
	}
	return nil
}

// Publish stores and delivers one event.
func (b *Broker) Publish(ctx context.Context, topic, name string, data []byte) (Event, error) {
	var ev Event
	err := b.db.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		ev, err = b.PublishTx(ctx, tx, topic, name, data)
		return err
	})
	return ev, err
}

// PublishTx stores one event in tx and delivers it after the commit.
func (b *Broker) PublishTx(ctx context.Context, tx *db.Tx, topic, name string, data []byte) (Event, error) {
	if err := validTopic(topic); err != nil {
		return Event{}, err
	}
	if name == "" || strings.ContainsAny(name, "\r\n") {
		return Event{}, fmt.Errorf("events: bad name %q", name)
	}
	pg := tx.Engine() == db.Postgres
	if pg {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(?))", advisoryClass, topic); err != nil {
			return Event{}, fmt.Errorf("events: lock topic: %w", err)
		}
	}
	ev := Event{Topic: topic, Name: name, Data: data, At: b.now()}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE topic = ?", topic).Scan(&ev.ID); err != nil {
		return Event{}, fmt.Errorf("events: next id: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO events (topic, seq, name, data, created_at) VALUES (?, ?, ?, ?, ?)",
		topic, ev.ID, name, string(data), db.Millis(ev.At)); err != nil {
		return Event{}, fmt.Errorf("events: insert: %w", err)
	}
	if pg {
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, topic+"\n"+strconv.FormatInt(ev.ID, 10)); err != nil {
			return Event{}, fmt.Errorf("events: notify: %w", err)
		}
	}
	tx.AfterCommit(func() { b.deliver(topic, &ev, ev.ID) })
	return ev, nil
}

// LastID returns the latest ID of topic.
func (b *Broker) LastID(ctx context.Context, topic string) (int64, error) {
	var n int64
	err := b.db.Reader().QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE topic = ?", topic).Scan(&n)
	return n, err
}

// load reads the stored events of topic with after < ID <= upTo.
func (b *Broker) load(ctx context.Context, topic string, after, upTo int64) ([]Event, error) {
	rows, err := b.db.Reader().QueryContext(ctx, "SELECT seq, name, data, created_at FROM events WHERE topic = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT 10000",
		topic, after, upTo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		ev := Event{Topic: topic}
		var data string
		var at int64
		if err := rows.Scan(&ev.ID, &ev.Name, &data, &at); err != nil {
			return nil, err
		}
		ev.Data, ev.At = []byte(data), db.FromMillis(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// deliver hands the topic's events up to id to its subscribers. ev is the event with that id when
// the caller has it (a local publication); otherwise (a notification, a gap) the events are read
// from the database.
func (b *Broker) deliver(topic string, ev *Event, id int64) {
	b.mu.Lock()
	ts := b.topics[topic]
	b.mu.Unlock()
	if ts == nil {
		return // nobody listens here
	}
	ts.dmu.Lock()
	defer ts.dmu.Unlock()
	if id <= ts.last {
		return
	}
	var list []Event
	if ev != nil && id == ts.last+1 {
		list = []Event{*ev}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var err error
		list, err = b.load(ctx, topic, ts.last, id)
		cancel()
		if err != nil {
			b.log.Error("events: read missed events", "topic", topic, "err", err)
			return
		}
	}
	for _, e := range list {
		ts.last = e.ID
		b.fanout(ts, e)
	}
}

func (b *Broker) fanout(ts *topicState, e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range ts.subs {
		select {
		case s.ch <- e:
		default:
			// The subscriber is behind: it will read from the database instead.
			s.lagged.Store(true)
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// register adds s to topic's subscribers and returns the topic's latest delivered id.
func (b *Broker) register(ctx context.Context, topic string, s *subscriber) (int64, error) {
	b.mu.Lock()
	ts := b.topics[topic]
	if ts != nil {
		ts.subs[s] = struct{}{}
		b.mu.Unlock()
		ts.dmu.Lock()
		defer ts.dmu.Unlock()
		return ts.last, nil
	}
	ts = &topicState{subs: map[*subscriber]struct{}{s: {}}}
	ts.dmu.Lock() // deliveries wait until last is known
	b.topics[topic] = ts
	b.mu.Unlock()
	defer ts.dmu.Unlock()
	last, err := b.LastID(ctx, topic)
	if err != nil {
		b.mu.Lock()
		delete(ts.subs, s)
		if len(ts.subs) == 0 && b.topics[topic] == ts {
			delete(b.topics, topic)
		}
		b.mu.Unlock()
		return 0, err
	}
	ts.last = last
	return last, nil
}

func (b *Broker) unregister(topic string, s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := b.topics[topic]
	if ts == nil {
		return
	}
	delete(ts.subs, s)
	if len(ts.subs) == 0 {
		delete(b.topics, topic)
	}
}

// Subscribe implements Bus.
func (b *Broker) Subscribe(ctx context.Context, topic string, afterID int64) (<-chan Event, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(b.life, cancel)
	out := make(chan Event, 1)
	if validTopic(topic) != nil {
		close(out)
		return out, cancel
	}
	s := &subscriber{ch: make(chan Event, max(b.SubscriberBuffer, 1)), wake: make(chan struct{}, 1)}
	// Registered before Subscribe returns, not in the goroutine: "from now on" (afterID < 0) must
	// mean from the call, or an event committed while the goroutine waits to be scheduled is
	// neither replayed nor delivered live (a stream's first bytes were already sent by then, and
	// its screen missed the launch — seen as an intermittent hang of the acceptance test in CI).
	now, err := b.register(ctx, topic, s)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("events: subscribe", "topic", topic, "err", err)
		}
		stop()
		close(out)
		return out, cancel
	}
	go func() {
		defer stop()
		defer close(out)
		defer b.unregister(topic, s)
		last := afterID
		if last < 0 {
			last = now
		}
		send := func(e Event) bool {
			select {
			case out <- e:
				last = e.ID
				return true
			case <-ctx.Done():
				return false
			}
		}
		catchUp := func() bool {
			for {
				list, err := b.load(ctx, topic, last, math.MaxInt64)
				if err != nil {
					if ctx.Err() == nil {
						b.log.Error("events: replay", "topic", topic, "err", err)
					}
					return false
				}
				for _, e := range list {
					if !send(e) {
						return false
					}
				}
				if len(list) < 10000 {
					return true
				}
			}
		}
		if !catchUp() {
			return
		}
		for {
			if s.lagged.Swap(false) {
				for len(s.ch) > 0 {
					<-s.ch
				}
				if !catchUp() {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case e := <-s.ch:
				if e.ID <= last {
					continue
				}
				if e.ID > last+1 {
					if !catchUp() {
						return
					}
					continue
				}
				if !send(e) {
					return
				}
			}
		}
	}()
	return out, cancel
}

// Prune deletes events older than before and returns how many went. Screens that were away longer
// than that reload their page instead of replaying.
func (b *Broker) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := b.db.WriteTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM events WHERE created_at < ?", db.Millis(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// listen keeps a LISTEN connection open until ctx ends, reconnecting after failures; after each
// (re)connection it reads what the subscribed topics missed.
func (b *Broker) listen(ctx context.Context, ready chan<- error) {
	defer close(b.done)
	first := true
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := b.listenOnce(ctx, func() {
			if first {
				first = false
				ready <- nil
			}
			backoff = 200 * time.Millisecond
			b.catchUpAll(ctx)
		})
		if ctx.Err() != nil {
			return
		}
		if first {
			first = false
			ready <- err
			return
		}
		b.log.Warn("events: listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (b *Broker) listenOnce(ctx context.Context, connected func()) error {
	conn, err := b.db.SQL().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var loopErr error
	_ = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			loopErr = fmt.Errorf("events: driver connection is %T, not pgx", dc)
			return driver.ErrBadConn
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			loopErr = err
			return driver.ErrBadConn
		}
		connected()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				loopErr = err
				// Never hand a LISTENing connection back to the pool.
				return driver.ErrBadConn
			}
			topic, idText, found := strings.Cut(n.Payload, "\n")
			id, perr := strconv.ParseInt(idText, 10, 64)
			if !found || perr != nil {
				b.log.Warn("events: malformed notification", "payload", n.Payload)
				continue
			}
			b.deliver(topic, nil, id)
		}
	})
	if loopErr == nil {
		loopErr = errors.New("events: listener stopped")
	}
	return loopErr
}

// catchUpAll reads what every subscribed topic missed, after the listener (re)connects.
func (b *Broker) catchUpAll(ctx context.Context) {
	b.mu.Lock()
	topics := make([]string, 0, len(b.topics))
	for t := range b.topics {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	for _, t := range topics {
		last, err := b.LastID(ctx, t)
		if ctx.Err() != nil {
			return // shutting down
		}
		if err != nil {
			b.log.Error("events: catch up", "topic", t, "err", err)
			continue
		}
		b.deliver(t, nil, last)
	}
}
