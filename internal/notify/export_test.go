package notify

import "context"

// ClaimOnly claims the next due message and records the start of its attempt, as the worker does
// before a send, and then does nothing more: a worker that stopped between the send and the
// record of its outcome.
func (w *Worker) ClaimOnly(ctx context.Context) (Message, bool, error) {
	c, ok, err := w.claim(ctx)
	return c.Message, ok, err
}
