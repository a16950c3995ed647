package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/events"
)

// Timing of Server-Sent Events streams.
var (
	// ssePing is how often an idle stream sends a comment (and the server's clock), so that
	// proxies keep it open and screens keep their clock offset fresh.
	ssePing = 15 * time.Second
	// sseIdle ends a stream that carried no event for this long; the browser reconnects with
	// Last-Event-ID and loses nothing.
	sseIdle = 30 * time.Minute
	// sseMaxLife ends every stream after this long, so that long-lived connections are spread
	// again over instances behind a load balancer.
	sseMaxLife = 2 * time.Hour
	// sseWriteTimeout bounds one write to a stalled client.
	sseWriteTimeout = 15 * time.Second
	// sseRetry is the reconnection delay the browser is told to use.
	sseRetry = 2 * time.Second
)

// streamEvents writes a subscription as text/event-stream: each event with its id (for
// Last-Event-ID), name and data; a "clock" event with the server's time at the start and with each
// ping; comments as keep-alive. It returns when the client leaves or a lifetime ends.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, subscribe func(after int64) (<-chan events.Event, func(), error)) error {
	after := int64(-1)
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return apperr.InvalidField("Last-Event-ID", "error.query_number", "Last-Event-ID")
		}
		after = n
	}
	ch, cancel, err := subscribe(after)
	if err != nil {
		return err
	}
	defer cancel()

	rc := http.NewResponseController(w)
	// The server has no write timeout for this reason; clear any deadline anyway, then bound
	// each write ourselves.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	// The ResponseWriter buffers until Flush; write into it directly (no second buffer per stream:
	// a screen costs memory times thousands).
	bw := sseWriter{w}
	flush := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		return rc.Flush() == nil
	}
	clock := func() {
		bw.WriteString("event: clock\ndata: {\"server_time_ms\":")
		bw.WriteString(strconv.FormatInt(s.Now().UnixMilli(), 10))
		bw.WriteString("}\n\n")
	}
	bw.WriteString("retry: " + strconv.FormatInt(sseRetry.Milliseconds(), 10) + "\n\n")
	clock()
	if !flush() {
		return nil
	}
	ping := time.NewTicker(ssePing)
	defer ping.Stop()
	idle := time.NewTimer(sseIdle)
	defer idle.Stop()
	maxLife := time.NewTimer(sseMaxLife)
	defer maxLife.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-maxLife.C:
			return nil
		case <-idle.C:
			return nil
		case <-ping.C:
			bw.WriteString(": ping\n\n")
			clock()
			if !flush() {
				return nil
			}
		case ev, ok := <-ch:
			if !ok {
				return nil // the subscription failed; the browser reconnects with its last id
			}
			writeSSE(bw, ev)
			// Send what else is already waiting in the same write.
			for more := true; more; {
				select {
				case e, ok := <-ch:
					if !ok {
						flush()
						return nil
					}
					writeSSE(bw, e)
				default:
					more = false
				}
			}
			if !flush() {
				return nil
			}
			idle.Reset(sseIdle)
		}
	}
}

// sseWriter adds the string and byte helpers of bufio.Writer to a ResponseWriter.
type sseWriter struct{ w http.ResponseWriter }

func (s sseWriter) WriteString(v string) { _, _ = io.WriteString(s.w, v) }
func (s sseWriter) Write(b []byte)       { _, _ = s.w.Write(b) }
func (s sseWriter) newline()             { _, _ = io.WriteString(s.w, "\n") }

func writeSSE(bw sseWriter, ev events.Event) {
	bw.WriteString("id: ")
	bw.WriteString(strconv.FormatInt(ev.ID, 10))
	bw.WriteString("\nevent: ")
	bw.WriteString(ev.Name)
	bw.newline()
	for _, line := range bytes.Split(ev.Data, []byte("\n")) {
		bw.WriteString("data: ")
		bw.Write(line)
		bw.newline()
	}
	bw.newline()
}

func (s *Server) apiCeremonyEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.streamEvents(w, r, func(after int64) (<-chan events.Event, func(), error) {
		return s.Ceremony.Subscribe(r.Context(), id, after)
	})
}
