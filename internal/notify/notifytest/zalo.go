// Package notifytest runs local servers that implement the documented requests and answers of the
// providers the outbox sends through (Zalo's OAuth v4, OA v3 and ZNS APIs; eSMS.vn's brand-name SMS
// API), for the tests of internal/notify and the browser tests. Each refuses a request that is not
// shaped as documented (and reports it to the test), so a test passes only if the sender speaks
// the provider's language.
package notifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Zalo implements Zalo's documented requests and answers for the three endpoints the
// sender uses: the OAuth v4 refresh (form POST, secret_key header, one-time refresh tokens), the
// OA v3 customer-service message and the ZNS template message (JSON, access_token header, answers
// {"error": 0, "message": "Success", "data": …} or {"error": -N, "message": …}). It refuses any
// request that is not shaped as documented, so a test passes only if the sender speaks Zalo.
type Zalo struct {
	*httptest.Server
	t testing.TB

	mu        sync.Mutex
	AppID     string
	Secret    string
	Refresh   string          // the one valid refresh token
	access    map[string]bool // valid access tokens
	gen       int
	refreshes int
	// templates lists each approved ZNS template's parameters.
	Templates map[string][]string
	// answers forces an error code for a phone number or user id; down answers 503 n times;
	// limited answers -32 n times.
	Answers map[string]int
	Down    int
	Limited int
	// hang holds a message request after reading it until the client gives up (the answer is
	// lost after Zalo delivered).
	Hang bool
	// slow delays the OAuth answer, so that concurrent refreshes overlap.
	Slow time.Duration
	// delivered are the messages Zalo accepted, by recipient.
	delivered []ZaloDelivery
}

type ZaloDelivery struct {
	Endpoint, To, Text, Template, Tracking string
	Data                                   map[string]string
}

func StartZalo(t testing.TB) *Zalo {
	z := &Zalo{t: t, AppID: "4291763606161179100", Secret: "AbC123456XyZsecret", Refresh: "rt-bootstrap",
		access: map[string]bool{}, Answers: map[string]int{},
		Templates: map[string][]string{"231677": {"otp"}, "300100": {"subject", "content", "link"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", z.oauth)
	mux.HandleFunc("POST /v3.0/oa/message/cs", z.cs)
	mux.HandleFunc("POST /message/template", z.zns)
	z.Server = httptest.NewServer(mux)
	t.Cleanup(z.Close)
	return z
}

func (z *Zalo) oauth(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	slow := z.Slow
	z.mu.Unlock()
	time.Sleep(slow)
	z.mu.Lock()
	defer z.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("secret_key") != z.Secret {
		z.t.Errorf("oauth: content type %q, secret_key %q", r.Header.Get("Content-Type"), r.Header.Get("secret_key"))
		writeJSON(w, map[string]any{"error": -14002, "error_name": "Invalid secret key", "error_description": "secret_key is invalid"})
		return
	}
	if err := r.ParseForm(); err != nil || len(r.PostForm) != 3 || r.PostForm.Get("app_id") != z.AppID || r.PostForm.Get("grant_type") != "refresh_token" {
		z.t.Errorf("oauth: form %v %v", r.PostForm, err)
		writeJSON(w, map[string]any{"error": -14001, "error_name": "Invalid parameter", "error_description": "app_id or grant_type is invalid"})
		return
	}
	z.refreshes++
	if r.PostForm.Get("refresh_token") != z.Refresh {
		// Zalo's refresh tokens are spent by one refresh.
		writeJSON(w, map[string]any{"error": -14014, "error_name": "Invalid refresh token", "error_reason": "Refresh token is invalid or expired",
			"error_description": "refresh_token is invalid"})
		return
	}
	z.gen++
	at, rt := fmt.Sprintf("at-%d", z.gen), fmt.Sprintf("rt-%d", z.gen)
	z.access[at], z.Refresh = true, rt
	// expires_in is a string of seconds in Zalo's documentation.
	writeJSON(w, map[string]any{"access_token": at, "refresh_token": rt, "expires_in": "90000"})
}

// expire makes every access token issued so far invalid, as Zalo does when one expires early or
// the OA revokes the app.
func (z *Zalo) Expire() {
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
func (z *Zalo) common(w http.ResponseWriter, r *http.Request) bool {
	if z.Down > 0 {
		z.Down--
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return false
	}
	if !z.access[r.Header.Get("access_token")] {
		writeJSON(w, map[string]any{"error": -124, "message": "Access token is invalid"})
		return false
	}
	if z.Limited > 0 {
		z.Limited--
		writeJSON(w, map[string]any{"error": -32, "message": "The request has exceeded the limit"})
		return false
	}
	return true
}

func (z *Zalo) cs(w http.ResponseWriter, r *http.Request) {
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
	if code, ok := z.Answers[req.Recipient.UserID]; ok {
		writeJSON(w, map[string]any{"error": code, "message": "User has not followed OA"})
		return
	}
	z.delivered = append(z.delivered, ZaloDelivery{Endpoint: "cs", To: req.Recipient.UserID, Text: req.Message.Text})
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]string{"message_id": fmt.Sprintf("cs-%d", len(z.delivered)), "user_id": req.Recipient.UserID}})
}

var znsPhone = regexp.MustCompile(`^84[35789][0-9]{8}$`)

func (z *Zalo) zns(w http.ResponseWriter, r *http.Request) {
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
	params, ok := z.Templates[req.TemplateID]
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
	if code, ok := z.Answers[req.Phone]; ok {
		writeJSON(w, map[string]any{"error": code, "message": "User rejects receiving ZNS"})
		z.mu.Unlock()
		return
	}
	z.delivered = append(z.delivered, ZaloDelivery{Endpoint: "zns", To: req.Phone, Template: req.TemplateID, Tracking: req.TrackingID, Data: req.TemplateData})
	n, hang := len(z.delivered), z.Hang
	z.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]any{"msg_id": fmt.Sprintf("zns-%d", n),
		"sent_time": "1626926365425", "quota": map[string]string{"dailyQuota": "500", "remainingQuota": "499"}}})
}

// set changes the server's modes under its lock.
func (z *Zalo) Set(fn func()) {
	z.mu.Lock()
	defer z.mu.Unlock()
	fn()
}

func (z *Zalo) RefreshCount() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.refreshes
}

func (z *Zalo) Got() []ZaloDelivery {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.delivered)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Endpoints are the OAuth, customer-service and ZNS URLs.
func (z *Zalo) Endpoints() (oauth, cs, zns string) {
	return z.URL + "/v4/oa/access_token", z.URL + "/v3.0/oa/message/cs", z.URL + "/message/template"
}
