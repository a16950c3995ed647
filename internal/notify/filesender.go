package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileSender is the development sender for any channel: it appends each message as one JSON line
// to a file (or logs it when Path is empty), so that SMS and Zalo OA messages can be read without
// an SMS gateway or an Official Account. A production SMS or Zalo OA sender implements Sender and
// is registered for its channel in internal/app.
type FileSender struct {
	Path   string
	Logger *slog.Logger

	mu sync.Mutex
}

type fileLine struct {
	At        time.Time `json:"at"`
	ID        int64     `json:"id"`
	Kind      Kind      `json:"kind"`
	Channel   Channel   `json:"channel"`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	Link      string    `json:"link,omitempty"`
}

// Send records m.
func (f *FileSender) Send(_ context.Context, m Message) error {
	line := fileLine{At: time.Now().UTC(), ID: m.ID, Kind: m.Kind, Channel: m.Channel, Recipient: m.Recipient, Subject: m.Subject, Body: m.Body, Link: m.Link}
	if f.Path == "" {
		log := f.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Info("outbox message (development sender)", "id", m.ID, "channel", m.Channel, "to", m.Recipient, "kind", m.Kind, "subject", m.Subject)
		return nil
	}
	data, err := json.Marshal(line)
	if err != nil {
		return Permanent(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o750); err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	fh, err := os.OpenFile(f.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("file sender: %w", err)
	}
	if _, err := fh.Write(append(data, '\n')); err != nil {
		fh.Close()
		return fmt.Errorf("file sender: %w", err)
	}
	return fh.Close()
}
