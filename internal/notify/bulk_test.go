package notify_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// EnqueueMany queues a batch as Enqueue would each message: opted-out recipients (by preference or
// by unsubscribe link) get suppressed rows, a DedupeKey already queued is skipped (so a replay
// queues nothing), an invalid message refuses the whole batch, and a rollback leaves nothing.
func TestEnqueueMany(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		svc := notify.NewService(d)
		var uids []int64
		err := d.WriteTx(sys, func(tx *db.Tx) error {
			for i := range 3 {
				id, err := tx.InsertID(sys, `INSERT INTO users (username, display_name, email, search_key, password_hash, created_at, updated_at)
					VALUES (?, 'HV', ?, 'hv', 'x', 1, 1) RETURNING id`, fmt.Sprintf("hv%d", i), fmt.Sprintf("hv%d@bato.vn", i))
				if err != nil {
					return err
				}
				uids = append(uids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// hv1 turned exam schedules off; hv2@bato.vn unsubscribed from everything by a link.
		if err := svc.SetPrefs(authz.WithActor(context.Background(), &authz.Actor{UserID: uids[1]}),
			[]notify.Pref{{Kind: notify.ExamSchedule, Channel: notify.Email, Enabled: false}}); err != nil {
			t.Fatal(err)
		}
		tok, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.General, Channel: notify.Email, Recipient: "hv2@bato.vn", Subject: "x", Body: "x"})
		m, _ := svc.Find(sys, tok)
		if _, err := svc.Unsubscribe(context.Background(), m.UnsubscribeToken, true); err != nil {
			t.Fatal(err)
		}
		batch := func() []notify.Message {
			var out []notify.Message
			for i, uid := range uids {
				out = append(out, notify.Message{Kind: notify.ExamSchedule, Channel: notify.Email, Recipient: fmt.Sprintf("HV%d@bato.vn", i), UserID: uid,
					Subject: "Lịch thi", Body: "Thi lúc 08:00 01/12/2026", Link: "https://lantoa.test/courses/1/exam", DedupeKey: fmt.Sprintf("exam:1:%d", uid)})
			}
			return out
		}
		enqueue := func(msgs []notify.Message) (int, error) {
			var n int
			err := d.WriteTx(sys, func(tx *db.Tx) error {
				var err error
				n, err = svc.EnqueueMany(sys, tx, msgs)
				return err
			})
			return n, err
		}
		if n, err := enqueue(batch()); err != nil || n != 3 {
			t.Fatalf("queued %d, %v", n, err)
		}
		list, _ := svc.List(sys, notify.Filter{Kind: notify.ExamSchedule})
		got := map[string]notify.Status{}
		tokens := map[string]bool{}
		for _, m := range list {
			got[m.Recipient] = m.Status
			tokens[m.UnsubscribeToken] = true
		}
		want := map[string]notify.Status{"hv0@bato.vn": notify.Pending, "hv1@bato.vn": notify.Suppressed, "hv2@bato.vn": notify.Suppressed}
		if fmt.Sprint(got) != fmt.Sprint(want) || len(tokens) != 3 {
			t.Errorf("statuses %v (tokens %d), want %v", got, len(tokens), want)
		}
		if n, err := enqueue(batch()); err != nil || n != 0 {
			t.Errorf("replay queued %d, %v", n, err)
		}
		bad := batch()
		bad[0].DedupeKey, bad[2].Recipient = "exam:other", "not-an-address"
		if _, err := enqueue(bad); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("invalid batch: %v", err)
		}
		if list, _ := svc.List(sys, notify.Filter{Kind: notify.ExamSchedule}); len(list) != 3 {
			t.Errorf("after refused batch: %d messages", len(list))
		}
	})
}
