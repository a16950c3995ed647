package training_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// An attempt's save token names its attempt and learner, ends with the attempt's time, cannot be
// altered or moved to another attempt, is honoured by another instance over the same database,
// and is no longer given once the attempt is submitted.
func TestSaveToken(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d, training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 20, MaxAttempts: 3})
		ctx := context.Background()
		me := f.learners[0]
		a, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.SaveToken == "" {
			t.Fatal("a started attempt has no save token")
		}
		uid, ok := f.svc.SaveTokenUser(ctx, a.SaveToken, a.ID)
		if want := actorID(me); !ok || uid != want {
			t.Fatalf("token of attempt %d: user %d ok=%v, want %d", a.ID, uid, ok, want)
		}
		// A resumed attempt's token works the same.
		again, err := f.svc.StartAttempt(me, f.course.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.svc.SaveTokenUser(ctx, again.SaveToken, a.ID); !ok {
			t.Error("the resumed attempt's token is refused")
		}
		// Another instance over the same database reads the same key.
		peer := training.NewService(d)
		t.Cleanup(peer.Close)
		peer.Now = f.svc.Now
		if got, ok := peer.SaveTokenUser(ctx, a.SaveToken, a.ID); !ok || got != uid {
			t.Errorf("another instance: %d %v", got, ok)
		}
		// Refused: another attempt's id, an altered learner or time, a bad MAC, junk, too long.
		body, mac := a.SaveToken[:strings.LastIndexByte(a.SaveToken, '.')], a.SaveToken[strings.LastIndexByte(a.SaveToken, '.')+1:]
		parts := strings.Split(strings.TrimPrefix(body, "st1."), ".")
		flip := func(s string) string {
			if s[0] == 'A' {
				return "B" + s[1:]
			}
			return "A" + s[1:]
		}
		for name, tok := range map[string]string{
			"another learner": "st1." + parts[0] + "." + parts[1] + "9." + parts[2] + "." + mac,
			"a later end":     "st1." + parts[0] + "." + parts[1] + "." + parts[2] + "9." + mac,
			"a changed MAC":   body + "." + flip(mac),
			"no MAC":          body,
			"junk":            "st1.x.y.z.w",
			"other prefix":    strings.Replace(a.SaveToken, "st1.", "st2.", 1),
			"too long":        a.SaveToken + strings.Repeat("A", 100),
			"empty":           "",
		} {
			if _, ok := f.svc.SaveTokenUser(ctx, tok, a.ID); ok {
				t.Errorf("%s: accepted %q", name, tok)
			}
		}
		if _, ok := f.svc.SaveTokenUser(ctx, a.SaveToken, a.ID+1); ok {
			t.Error("the token is accepted for another attempt")
		}
		// Past the deadline and its grace the token ends.
		*f.clock = f.clock.Add(20*time.Minute + training.Grace + time.Second)
		if _, ok := f.svc.SaveTokenUser(ctx, a.SaveToken, a.ID); ok {
			t.Error("the token outlives its attempt")
		}
		// A submitted attempt gives no token.
		done, err := f.svc.GetAttempt(me, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !done.Submitted || done.SaveToken != "" {
			t.Errorf("submitted %v, token %q", done.Submitted, done.SaveToken)
		}
	})
}

func actorID(ctx context.Context) int64 { return authz.ActorFrom(ctx).UserID }
