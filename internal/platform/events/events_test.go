package events_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/events"
)

var sets = []db.MigrationSet{events.Migrations}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// startBroker starts a broker over d, closed when the test ends.
func startBroker(t *testing.T, d *db.DB) *events.Broker {
	t.Helper()
	b := events.New(d, quietLog())
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// next reads one event or fails after a generous bound (a hang is a failure, not a timing claim).
func next(t *testing.T, ch <-chan events.Event) events.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return events.Event{}
}

func TestReplayLiveAndOrder(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := startBroker(t, d)
		for i := 1; i <= 3; i++ {
			ev, err := b.Publish(ctx, "t:1", "n", []byte(fmt.Sprint(i)))
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != int64(i) {
				t.Fatalf("id %d, want %d", ev.ID, i)
			}
		}
		if _, err := b.Publish(ctx, "t:2", "other", nil); err != nil {
			t.Fatal(err)
		}
		if last, _ := b.LastID(ctx, "t:1"); last != 3 {
			t.Fatalf("LastID %d", last)
		}
		// Replay after 1, then live.
		ch, cancel := b.Subscribe(ctx, "t:1", 1)
		defer cancel()
		for _, want := range []int64{2, 3} {
			if e := next(t, ch); e.ID != want || string(e.Data) != fmt.Sprint(want) {
				t.Fatalf("replay got %d %q, want %d", e.ID, e.Data, want)
			}
		}
		// From now on: no replay.
		live, cancelLive := b.Subscribe(ctx, "t:1", -1)
		defer cancelLive()
		// Concurrent publishers: every subscriber sees 4..23 once, in order.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.Publish(ctx, "t:1", "n", []byte(fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for want := int64(4); want <= 23; want++ {
			if e := next(t, ch); e.ID != want {
				t.Fatalf("live got %d, want %d", e.ID, want)
			}
		}
		// Other topics never leak in.
		if _, err := b.Publish(ctx, "t:2", "other", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Publish(ctx, "t:1", "n", nil); err != nil {
			t.Fatal(err)
		}
		if e := next(t, ch); e.Topic != "t:1" || e.ID != 24 {
			t.Fatalf("got %+v", e)
		}
		// "From now on" starts wherever the subscription was registered (the publishers raced
		// it), replays nothing older, and is contiguous from there.
		first := next(t, live)
		if first.ID < 4 {
			t.Fatalf("from-now replayed %d", first.ID)
		}
		for want := first.ID + 1; want <= 24; want++ {
			if e := next(t, live); e.ID != want {
				t.Fatalf("from-now got %d, want %d", e.ID, want)
			}
		}
		// A bad topic is refused.
		if _, err := b.Publish(ctx, "bad\ntopic", "n", nil); err == nil {
			t.Fatal("bad topic accepted")
		}
		// A publication in a rolled-back transaction is never delivered nor stored.
		_ = d.WriteTx(ctx, func(tx *db.Tx) error {
			if _, err := b.PublishTx(ctx, tx, "t:1", "ghost", nil); err != nil {
				t.Fatal(err)
			}
			return fmt.Errorf("roll back")
		})
		if _, err := b.Publish(ctx, "t:1", "after-ghost", nil); err != nil {
			t.Fatal(err)
		}
		if e := next(t, ch); e.Name != "after-ghost" || e.ID != 25 {
			t.Fatalf("after rollback got %s %d", e.Name, e.ID)
		}
		cancel()
		for range ch { // closes after cancel
		}
	})
}

// A subscriber that does not read falls behind its buffer and catches up from the database.
func TestSlowSubscriberCatchesUp(t *testing.T) {
	d := dbtest.SQLite(t, sets)
	ctx := context.Background()
	b := events.New(d, quietLog())
	b.SubscriberBuffer = 2
	ch, cancel := b.Subscribe(ctx, "slow", 0)
	defer cancel()
	// The first event arrives by replay or live, whichever comes first.
	if _, err := b.Publish(ctx, "slow", "first", nil); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch); e.ID != 1 {
		t.Fatalf("first got %d", e.ID)
	}
	for range 50 {
		if _, err := b.Publish(ctx, "slow", "n", nil); err != nil {
			t.Fatal(err)
		}
	}
	for want := int64(2); want <= 51; want++ {
		if e := next(t, ch); e.ID != want {
			t.Fatalf("got %d, want %d", e.ID, want)
		}
	}
}

// Two brokers over one PostgreSQL database (two processes): a subscriber of one receives what the
// other publishes.
func TestTwoInstancesPostgres(t *testing.T) {
	source := dbtest.PostgresURL(t)
	ctx := context.Background()
	open := func() *events.Broker {
		d, err := db.Open(ctx, source, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if _, err := d.Migrate(ctx, sets); err != nil {
			t.Fatal(err)
		}
		return startBroker(t, d)
	}
	a, bb := open(), open()
	ch, cancel := bb.Subscribe(ctx, "x", 0)
	defer cancel()
	if _, err := a.Publish(ctx, "x", "hello", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	e := next(t, ch)
	if e.Name != "hello" || e.ID != 1 || string(e.Data) != `{"a":1}` {
		t.Fatalf("got %+v", e)
	}
	if _, err := a.Publish(ctx, "x", "again", nil); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch); e.Name != "again" || e.ID != 2 {
		t.Fatalf("got %+v", e)
	}
}

// An event whose notification never came (written here without pg_notify) still reaches the
// subscribers of another instance, by the periodic catch-up.
func TestLostNotificationCaughtUp(t *testing.T) {
	source := dbtest.PostgresURL(t)
	ctx := context.Background()
	d, err := db.Open(ctx, source, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, sets); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, d)
	ch, cancel := b.Subscribe(ctx, "y", 0)
	defer cancel()
	time.Sleep(100 * time.Millisecond) // subscribed
	if err := d.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO events (topic, seq, name, data, created_at) VALUES ('y', 1, 'launch', '{}', 0)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		if e.Name != "launch" || e.ID != 1 {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an event without its notification never reached the subscriber")
	}
}

// TestFromNowOnStartsAtTheCall: a subscription "from now on" receives an event published right
// after Subscribe returns, however late its goroutine runs. The stream handler sends its first
// bytes as soon as Subscribe returns, so a screen that saw them and then missed the launch would
// wait for good. Many rounds, each with a fresh topic, so that a late registration shows.
func TestFromNowOnStartsAtTheCall(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := startBroker(t, d)
		for i := range 200 {
			topic := fmt.Sprintf("now:%d", i)
			if _, err := b.Publish(ctx, topic, "before", nil); err != nil {
				t.Fatal(err)
			}
			ch, cancel := b.Subscribe(ctx, topic, -1)
			ev, err := b.Publish(ctx, topic, "after", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := next(t, ch); got.ID != ev.ID || got.Name != "after" {
				t.Fatalf("round %d: got %s #%d, want after #%d", i, got.Name, got.ID, ev.ID)
			}
			cancel()
		}
	})
}
