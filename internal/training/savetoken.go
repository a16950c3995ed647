package training

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// A save token lets its holder save answers to one attempt, and do nothing else, until the
// attempt's deadline and its grace have passed. The learner's page gets it with the attempt
// (AttemptView.SaveToken) and sends it with every answer in a header, so an answer save costs an
// HMAC check instead of a read of the session, its user and their grants: on exam day the saves
// are most of the traffic, and that read was half of a save's CPU (docs/benchmarks.md, "Honest
// drivers"). What it gives up, deliberately: a sign-out or a disabled account does not stop the
// saves of an attempt already open (the attempt is submitted at its deadline with what was saved,
// as it would be after a closed tab). The token is signed with a key kept in the database, made
// by the first instance that needs it, so that every instance honours every instance's tokens.

const (
	saveTokenPrefix = "st1."
	saveKeyName     = "attempt_save"
	// saveTokenMAC is how many bytes of the HMAC-SHA256 a token carries: 128 bits, beyond guessing.
	saveTokenMAC = 16
	// maxSaveToken bounds what is parsed: the prefix, three decimal numbers and the MAC in base64.
	maxSaveToken = 100
)

// saveKey is the key, read once per process, and a pool of HMACs keyed with it.
type saveKey struct {
	mu   sync.Mutex
	key  []byte
	macs sync.Pool
}

// key returns the signing key, reading it from the database (or making it, once for every
// instance: the first insert wins and every instance reads the row that won) on first use.
func (s *Service) key(ctx context.Context) ([]byte, error) {
	s.saveKey.mu.Lock()
	defer s.saveKey.mu.Unlock()
	if s.saveKey.key != nil {
		return s.saveKey.key, nil
	}
	var k []byte
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT secret FROM training_keys WHERE name = ?", saveKeyName).Scan(&k)
	if err != nil {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return nil, apperr.Wrap(err, "save key")
		}
		if err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO training_keys (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
				saveKeyName, fresh, db.Millis(s.Now())); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, "SELECT secret FROM training_keys WHERE name = ?", saveKeyName).Scan(&k)
		}); err != nil {
			return nil, apperr.Wrap(err, "save key")
		}
	}
	if len(k) < 32 {
		return nil, apperr.Wrap(errors.New("the key in training_keys is shorter than 32 bytes"), "save key")
	}
	s.saveKey.key = k
	s.saveKey.macs.New = func() any { return hmac.New(sha256.New, k) }
	return k, nil
}

// saveTokenPayload is what a token signs, in plain decimal: the attempt, its learner and when the
// token ends (Unix milliseconds).
func saveTokenPayload(attemptID, userID int64, until time.Time) string {
	return strconv.FormatInt(attemptID, 10) + "." + strconv.FormatInt(userID, 10) + "." + strconv.FormatInt(until.UnixMilli(), 10)
}

// mac is the MAC of a token's payload, from a pooled HMAC: keying one costs as much as the rest.
func (s *Service) mac(payload string) []byte {
	h := s.saveKey.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(payload))
	sum := h.Sum(make([]byte, 0, sha256.Size))[:saveTokenMAC]
	s.saveKey.macs.Put(h)
	return sum
}

// saveToken mints the token of an open attempt: valid until its deadline and the grace.
func (s *Service) saveToken(ctx context.Context, m *attemptMeta) (string, error) {
	if _, err := s.key(ctx); err != nil {
		return "", err
	}
	p := saveTokenPayload(m.id, m.userID, m.deadline.Add(Grace))
	return saveTokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), nil
}

// SaveTokenUser checks a save token presented to save an answer to attemptID, and returns the
// learner it was minted for. ok is false for anything else: a malformed or forged token, one of
// another attempt, one past its time. The caller then authenticates the request as usual.
func (s *Service) SaveTokenUser(ctx context.Context, token string, attemptID int64) (userID int64, ok bool) {
	if len(token) > maxSaveToken || !strings.HasPrefix(token, saveTokenPrefix) {
		return 0, false
	}
	// "attempt.user.until" then the MAC after the last dot.
	rest := token[len(saveTokenPrefix):]
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return 0, false
	}
	p := rest[:dot]
	mac, err := base64.RawURLEncoding.DecodeString(rest[dot+1:])
	if err != nil || len(mac) != saveTokenMAC {
		return 0, false
	}
	fields := strings.Split(p, ".")
	if len(fields) != 3 {
		return 0, false
	}
	var n [3]int64
	for i, f := range fields {
		if n[i], err = strconv.ParseInt(f, 10, 64); err != nil {
			return 0, false
		}
	}
	if _, err := s.key(ctx); err != nil {
		return 0, false
	}
	if !hmac.Equal(mac, s.mac(p)) || n[0] != attemptID || s.Now().UnixMilli() > n[2] {
		return 0, false
	}
	return n[1], true
}
