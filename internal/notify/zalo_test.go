package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// zaloServer implements Zalo's documented requests and answers for the three endpoints the
// sender uses: the OAuth v4 refresh (form POST, secret_key header, one-time refresh tokens), the
// OA v3 customer-service message and the ZNS template message (JSON, access_token header, answers
// {"error": 0, "message": "Success", "data": …} or {"error": -N, "message": …}). It refuses any
// request that is not shaped as documented, so a test passes only if the sender speaks Zalo.
type zaloServer struct {
	*httptest.Server
	t *testing.T

	mu        sync.Mutex
	appID     string
	secret    string
	refresh   string          // the one valid refresh token
	access    map[string]bool // valid access tokens
	gen       int
	refreshes int
	// templates lists each approved ZNS template's parameters.
	templates map[string][]string
	// answers forces an error code for a phone number or user id; down answers 503 n times;
	// limited answers -32 n times.
	answers map[string]int
	down    int
	limited int
	// hang holds a message request after reading it until the client gives up (the answer is
	// lost after Zalo delivered).
	hang bool
	// slow delays the OAuth answer, so that concurrent refreshes overlap.
	slow time.Duration
	// delivered are the messages Zalo accepted, by recipient.
	delivered []zaloDelivery
}

type zaloDelivery struct {
	Endpoint, To, Text, Template, Tracking string
	Data                                   map[string]string
}

func startZalo(t *testing.T) *zaloServer {
	z := &zaloServer{t: t, appID: "4291763606161179100", secret: "AbC123456XyZsecret", refresh: "rt-bootstrap",
		access: map[string]bool{}, answers: map[string]int{},
		templates: map[string][]string{"231677": {"otp"}, "300100": {"subject", "content", "link"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", z.oauth)
	mux.HandleFunc("POST /v3.0/oa/message/cs", z.cs)
	mux.HandleFunc("POST /message/template", z.zns)
	z.Server = httptest.NewServer(mux)
	t.Cleanup(z.Close)
	return z
}

func (z *zaloServer) oauth(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	slow := z.slow
	z.mu.Unlock()
	time.Sleep(slow)
	z.mu.Lock()
	defer z.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("secret_key") != z.secret {
		z.t.Errorf("oauth: content type %q, secret_key %q", r.Header.Get("Content-Type"), r.Header.Get("secret_key"))
		writeJSON(w, map[string]any{"error": -14002, "error_name": "Invalid secret key", "error_description": "secret_key is invalid"})
		return
	}
	if err := r.ParseForm(); err != nil || len(r.PostForm) != 3 || r.PostForm.Get("app_id") != z.appID || r.PostForm.Get("grant_type") != "refresh_token" {
		z.t.Errorf("oauth: form %v %v", r.PostForm, err)
		writeJSON(w, map[string]any{"error": -14001, "error_name": "Invalid parameter", "error_description": "app_id or grant_type is invalid"})
		return
	}
	z.refreshes++
	if r.PostForm.Get("refresh_token") != z.refresh {
		// Zalo's refresh tokens are spent by one refresh.
		writeJSON(w, map[string]any{"error": -14014, "error_name": "Invalid refresh token", "error_reason": "Refresh token is invalid or expired",
			"error_description": "refresh_token is invalid"})
		return
	}
	z.gen++
	at, rt := fmt.Sprintf("at-%d", z.gen), fmt.Sprintf("rt-%d", z.gen)
	z.access[at], z.refresh = true, rt
	// expires_in is a string of seconds in Zalo's documentation.
	writeJSON(w, map[string]any{"access_token": at, "refresh_token": rt, "expires_in": "90000"})
}

// expire makes every access token issued so far invalid, as Zalo does when one expires early or
// the OA revokes the app.
func (z *zaloServer) expire() {
	z.mu.Lock()
	defer z.mu.Unlock()
	clear(z.access)
}

// decode reads a JSON body strictly: unknown fields are a malformed request.
func decodeStrict(r *http.Request, v any) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// common checks the token and the server's modes; ok false means it answered already.
func (z *zaloServer) common(w http.ResponseWriter, r *http.Request) bool {
	if z.down > 0 {
		z.down--
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return false
	}
	if !z.access[r.Header.Get("access_token")] {
		writeJSON(w, map[string]any{"error": -124, "message": "Access token is invalid"})
		return false
	}
	if z.limited > 0 {
		z.limited--
		writeJSON(w, map[string]any{"error": -32, "message": "The request has exceeded the limit"})
		return false
	}
	return true
}

func (z *zaloServer) cs(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	defer z.mu.Unlock()
	var req struct {
		Recipient struct {
			UserID string `json:"user_id"`
		} `json:"recipient"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if err := decodeStrict(r, &req); err != nil || req.Recipient.UserID == "" || req.Message.Text == "" || len([]rune(req.Message.Text)) > 2000 {
		z.t.Errorf("cs: malformed request %+v %v", req, err)
		writeJSON(w, map[string]any{"error": -201, "message": "Parameters are invalid"})
		return
	}
	if !z.common(w, r) {
		return
	}
	if code, ok := z.answers[req.Recipient.UserID]; ok {
		writeJSON(w, map[string]any{"error": code, "message": "User has not followed OA"})
		return
	}
	z.delivered = append(z.delivered, zaloDelivery{Endpoint: "cs", To: req.Recipient.UserID, Text: req.Message.Text})
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]string{"message_id": fmt.Sprintf("cs-%d", len(z.delivered)), "user_id": req.Recipient.UserID}})
}

var znsPhone = regexp.MustCompile(`^84[35789][0-9]{8}$`)

func (z *zaloServer) zns(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	var req struct {
		Mode         string            `json:"mode"`
		Phone        string            `json:"phone"`
		TemplateID   string            `json:"template_id"`
		TemplateData map[string]string `json:"template_data"`
		TrackingID   string            `json:"tracking_id"`
	}
	if err := decodeStrict(r, &req); err != nil || req.Phone == "" || req.TemplateID == "" || req.TrackingID == "" || len(req.TrackingID) > 48 {
		z.t.Errorf("zns: malformed request %+v %v", req, err)
		writeJSON(w, map[string]any{"error": -100, "message": "Invalid parameter"})
		z.mu.Unlock()
		return
	}
	if !z.common(w, r) {
		z.mu.Unlock()
		return
	}
	if !znsPhone.MatchString(req.Phone) {
		writeJSON(w, map[string]any{"error": -108, "message": "Phone number is invalid"})
		z.mu.Unlock()
		return
	}
	params, ok := z.templates[req.TemplateID]
	keys := make([]string, 0, len(req.TemplateData))
	for k := range req.TemplateData {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(params))
	if !ok || !slices.Equal(keys, want) {
		writeJSON(w, map[string]any{"error": -112, "message": "Template data is invalid"})
		z.mu.Unlock()
		return
	}
	if code, ok := z.answers[req.Phone]; ok {
		writeJSON(w, map[string]any{"error": code, "message": "User rejects receiving ZNS"})
		z.mu.Unlock()
		return
	}
	z.delivered = append(z.delivered, zaloDelivery{Endpoint: "zns", To: req.Phone, Template: req.TemplateID, Tracking: req.TrackingID, Data: req.TemplateData})
	n, hang := len(z.delivered), z.hang
	z.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]any{"msg_id": fmt.Sprintf("zns-%d", n),
		"sent_time": "1626926365425", "quota": map[string]string{"dailyQuota": "500", "remainingQuota": "499"}}})
}

// set changes the server's modes under its lock.
func (z *zaloServer) set(fn func()) {
	z.mu.Lock()
	defer z.mu.Unlock()
	fn()
}

func (z *zaloServer) refreshCount() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.refreshes
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (z *zaloServer) got() []zaloDelivery {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.delivered)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (z *zaloServer) auth(d *db.DB, clk *clock) *notify.ZaloAuth {
	return &notify.ZaloAuth{DB: d, AppID: z.appID, SecretKey: z.secret, Bootstrap: "rt-bootstrap", URL: z.URL + "/v4/oa/access_token", Now: clk.now}
}

func zaloSetup(t *testing.T, d *db.DB, z *zaloServer) (*notify.Service, *notify.Worker, *clock, *notify.ZaloSender) {
	clk := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	svc := notify.NewService(d)
	svc.Now = clk.now
	zs := &notify.ZaloSender{Auth: z.auth(d, clk), CSURL: z.URL + "/v3.0/oa/message/cs", ZNSURL: z.URL + "/message/template",
		Templates: map[notify.Kind]string{notify.AccountInvitation: "231677", notify.ReportReminder: "300100"}}
	w := notify.NewWorker(svc, map[notify.Channel]notify.Sender{notify.Zalo: zs}, quiet())
	w.SendTimeout = 2 * time.Second
	return svc, w, clk, zs
}

func zaloOTP(phone string) notify.Message {
	return notify.Message{Kind: notify.AccountInvitation, Channel: notify.Zalo, Recipient: phone, Body: "Mã đăng nhập Lan Tỏa của bạn: 482913",
		TemplateData: map[string]string{"otp": "482913"}}
}

func TestZaloExpiredTokenRefreshedAndSentOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := startZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		first, err := svc.EnqueueNow(sys, zaloOTP("0912.345.678"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(sys); n != 1 || err != nil {
			t.Fatalf("RunOnce %d %v", n, err)
		}
		m, _ := svc.Find(sys, first)
		if m.Status != notify.Sent || m.ProviderRef != "zns-1" {
			t.Fatalf("first message: %+v", m)
		}
		got := z.got()
		if len(got) != 1 || got[0].To != "84912345678" || got[0].Template != "231677" || got[0].Data["otp"] != "482913" || got[0].Tracking != notify.RequestID(m) {
			t.Fatalf("delivered %+v", got)
		}
		// Zalo stops honouring the token before the time it gave: the send is refused (-124), the
		// token refreshed with the stored refresh token, and the message sent once.
		z.expire()
		clk.add(time.Hour)
		m2 := reminder("x")
		m2.Channel, m2.Recipient = notify.Zalo, "84987654321"
		second, _ := svc.EnqueueNow(sys, m2)
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, second); m.Status != notify.Sent || m.Attempts != 1 {
			t.Fatalf("after the refresh: %+v", m)
		}
		got = z.got()
		if len(got) != 2 || got[1].Data["subject"] != m2.Subject || got[1].Data["link"] != m2.Link || !strings.Contains(got[1].Data["content"], "tuần 48") {
			t.Fatalf("delivered %+v", got)
		}
		if z.refreshCount() != 2 {
			t.Errorf("%d refreshes, want 2 (bootstrap, then after -124)", z.refreshCount())
		}
		// The rotated refresh token is stored: another instance over the same database uses the
		// stored access token without refreshing, and refreshes with the newest refresh token.
		other := z.auth(d, clk)
		other.Bootstrap = "rt-bootstrap"
		tok, _, err := other.Token(sys)
		if err != nil || tok != "at-2" || z.refreshCount() != 2 {
			t.Fatalf("other instance: %q %v (%d refreshes)", tok, err, z.refreshes)
		}
		clk.add(25 * time.Hour)
		if tok, _, err := other.Token(sys); err != nil || tok != "at-3" {
			t.Fatalf("after expiry: %q %v", tok, err)
		}
	})
}

func TestZaloRefreshSpendsTheTokenOnceAcrossInstances(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := startZalo(t)
		clk := &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
		z.set(func() { z.slow = 300 * time.Millisecond })
		var wg sync.WaitGroup
		toks := make([]string, 4)
		for i := range toks {
			a := z.auth(d, clk)
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(sys, 10*time.Second)
				defer cancel()
				tok, _, err := a.Token(ctx)
				if err != nil {
					t.Error(err)
				}
				toks[i] = tok
			})
		}
		wg.Wait()
		if z.refreshCount() != 1 {
			t.Errorf("%d refreshes for 4 instances, want 1", z.refreshCount())
		}
		for _, tok := range toks {
			if tok != "at-1" {
				t.Errorf("tokens %v", toks)
				break
			}
		}
		// The operator authorises the OA again and gives a new refresh token: it replaces the
		// stored chain at the next use.
		z.mu.Lock()
		z.refresh = "rt-again"
		z.mu.Unlock()
		z.expire()
		a := z.auth(d, clk)
		a.Bootstrap = "rt-again"
		if tok, _, err := a.Token(sys); err != nil || tok != "at-2" {
			t.Fatalf("after a new bootstrap token: %q %v", tok, err)
		}
	})
}

func TestZaloPermanentFailuresShownNotRetried(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := startZalo(t)
		z.set(func() {
			z.answers["84912000111"] = -139         // the user refused the OA's notifications
			z.answers["84912000222"] = -118         // no Zalo account on the number
			z.answers["7391234567890123456"] = -213 // not a follower
		})
		svc, w, clk, _ := zaloSetup(t, d, z)
		cases := map[string]string{
			"0912000111":          "zalo.blocked",
			"+84912000222":        "zalo.no_account",
			"7391234567890123456": "zalo.not_follower",
			"0241234567":          "zalo.invalid_phone", // a Hà Nội landline: no Zalo notification
		}
		ids := map[string]int64{}
		for to := range cases {
			m := zaloOTP(to)
			if to == "7391234567890123456" {
				m.TemplateData = nil
			}
			id, err := svc.EnqueueNow(sys, m)
			if err != nil {
				t.Fatal(err)
			}
			ids[to] = id
		}
		noTemplate, _ := svc.EnqueueNow(sys, notify.Message{Kind: notify.ExamSchedule, Channel: notify.Zalo, Recipient: "0912345678", Body: "Lịch thi"})
		w.RunOnce(sys)
		clk.add(24 * time.Hour)
		if n, _ := w.RunOnce(sys); n != 0 {
			t.Errorf("%d permanent failures tried again", n)
		}
		for to, reason := range cases {
			m, _ := svc.Find(sys, ids[to])
			if m.Status != notify.Failed || m.Attempts != 1 || m.LastReason != reason {
				t.Errorf("%s: %s after %d attempts, reason %q (%s)", to, m.Status, m.Attempts, m.LastReason, m.LastError)
			}
		}
		if m, _ := svc.Find(sys, noTemplate); m.Status != notify.Failed || m.LastReason != "zalo.no_template" {
			t.Errorf("kind without a template: %+v", m)
		}
		if len(z.got()) != 0 {
			t.Errorf("delivered %+v", z.got())
		}
	})
}

func TestZaloRateLimitAndOutageWaitThenSendOnce(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := startZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		z.set(func() { z.limited = 1 })
		id, _ := svc.EnqueueNow(sys, zaloOTP("0987654321"))
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Pending || m.LastReason != notify.ReasonRateLimited || m.NextAttemptAt.Before(clk.now().Add(time.Minute)) {
			t.Fatalf("after -32: %+v", m)
		}
		// Zalo is down for two attempts (503), then answers.
		z.set(func() { z.down = 2 })
		for range 3 {
			clk.add(3 * time.Hour)
			w.RunOnce(sys)
		}
		m, _ = svc.Find(sys, id)
		if m.Status != notify.Sent || m.Attempts != 4 {
			t.Fatalf("after the outage: %+v", m)
		}
		at, _ := svc.Attempts(sys, id)
		if len(at) != 4 || !strings.Contains(at[1].Error, "503") || !at[3].OK {
			t.Errorf("attempts %+v", at)
		}
		if n := len(z.got()); n != 1 {
			t.Errorf("delivered %d times", n)
		}
	})
}

func TestZaloLostAnswerNotRepeated(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		z := startZalo(t)
		svc, w, clk, _ := zaloSetup(t, d, z)
		w.SendTimeout = 300 * time.Millisecond
		z.set(func() { z.hang = true })
		id, _ := svc.EnqueueNow(sys, zaloOTP("0912345678"))
		w.RunOnce(sys)
		m, _ := svc.Find(sys, id)
		if m.Status != notify.Failed || m.LastReason != notify.ReasonOutcomeUnknown {
			t.Fatalf("after a lost answer: %+v", m)
		}
		clk.add(24 * time.Hour)
		w.RunOnce(sys)
		if n := len(z.got()); n != 1 {
			t.Errorf("delivered %d times", n)
		}

		// A worker that stops between the send and its record: the next claim finds the open
		// attempt and does not send again through Zalo, which cannot recognise a repeat.
		z.set(func() { z.hang = false })
		id2, _ := svc.EnqueueNow(sys, zaloOTP("0912345679"))
		if _, ok, err := w.ClaimOnly(sys); !ok || err != nil {
			t.Fatal(ok, err)
		}
		clk.add(w.Lease + time.Second)
		w.RunOnce(sys)
		m, _ = svc.Find(sys, id2)
		at, _ := svc.Attempts(sys, id2)
		if m.Status != notify.Failed || m.LastReason != notify.ReasonOutcomeUnknown || len(at) != 2 || !strings.Contains(at[0].Error, "outcome unknown") {
			t.Errorf("after a lost worker: %+v %+v", m, at)
		}
		if n := len(z.got()); n != 1 {
			t.Errorf("delivered %d messages", n)
		}
		// An administrator who checked with the recipient sends it again by hand.
		if err := svc.Retry(sys, id2); err != nil {
			t.Fatal(err)
		}
		w.RunOnce(sys)
		if m, _ := svc.Find(sys, id2); m.Status != notify.Sent {
			t.Errorf("after Gửi lại: %+v", m)
		}
	})
}
