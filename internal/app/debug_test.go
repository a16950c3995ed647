package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// The profiler must never be reachable from the network: only loopback addresses are accepted.
func TestDebugListenerLoopbackOnly(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "example.org:6060", "nonsense"} {
		if stop, err := startDebug(context.Background(), addr, log); err == nil {
			stop()
			t.Errorf("--debug-addr %s accepted", addr)
		}
	}
	stop, err := startDebug(context.Background(), "127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := startDebug(context.Background(), "10.0.0.1:6060", log); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error does not say why: %v", err)
	}
}
