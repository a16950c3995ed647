package notifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
)

// ESMS implements eSMS.vn's SendMultipleMessage_V4_post_json as documented: a JSON POST
// with exactly the fields ApiKey, SecretKey, Brandname, SmsType, Phone, Content, IsUnicode,
// Sandbox and RequestId; the answer {"CodeResult": "100", "CountRegenerate": 0, "SMSID": "…"},
// or another CodeResult with ErrorMessage (101 wrong keys, 103 balance, 104 brand name, 124 a
// RequestId received before). It delivers each RequestId once.
type ESMS struct {
	*httptest.Server
	t testing.TB

	mu        sync.Mutex
	byRequest map[string]string // RequestId → SMSID
	delivered []ESMSDelivery
	Code      map[string]string // forced CodeResult by phone
	Down      int               // 503 this many times
	Limited   int               // 429 with Retry-After this many times
	Hang      bool              // deliver, then lose the answer
	requests  int
}

type ESMSDelivery struct{ Phone, Content, RequestID string }

var esmsFields = []string{"ApiKey", "Brandname", "Content", "IsUnicode", "Phone", "RequestId", "Sandbox", "SecretKey", "SmsType"}

func StartESMS(t testing.TB) *ESMS {
	s := &ESMS{t: t, byRequest: map[string]string{}, Code: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /MainService.svc/json/SendMultipleMessage_V4_post_json/", s.send)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

var esmsPhone = regexp.MustCompile(`^0[35789][0-9]{8}$`)

func (s *ESMS) send(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	if s.Down > 0 {
		s.Down--
		s.mu.Unlock()
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if s.Limited > 0 {
		s.Limited--
		s.mu.Unlock()
		w.Header().Set("Retry-After", "120")
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	var raw map[string]json.RawMessage
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&raw) != nil {
		s.mu.Unlock()
		s.t.Errorf("esms: not JSON (%s)", r.Header.Get("Content-Type"))
		writeJSON(w, map[string]any{"CodeResult": "99", "ErrorMessage": "Invalid request"})
		return
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
	var req struct {
		ApiKey, SecretKey, Brandname, SmsType, Phone, Content, RequestId string
		IsUnicode, Sandbox                                               int
	}
	b, _ := json.Marshal(raw)
	err := json.Unmarshal(b, &req)
	if !slices.Equal(keys, esmsFields) || err != nil || req.SmsType != "2" || req.Brandname != "QUANGNGAI" || req.Sandbox != 0 || req.RequestId == "" {
		s.mu.Unlock()
		s.t.Errorf("esms: request fields %v: %+v %v", keys, req, err)
		writeJSON(w, map[string]any{"CodeResult": "99", "ErrorMessage": "Invalid request"})
		return
	}
	if req.ApiKey != "api-key-test" || req.SecretKey != "secret-key-test" {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"CodeResult": "101", "ErrorMessage": "Authorize Failed"})
		return
	}
	if code, ok := s.Code[req.Phone]; ok {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"CodeResult": code, "ErrorMessage": "refused"})
		return
	}
	if !esmsPhone.MatchString(req.Phone) {
		s.mu.Unlock()
		s.t.Errorf("esms: phone %q", req.Phone)
		writeJSON(w, map[string]any{"CodeResult": "99", "ErrorMessage": "Phone invalid"})
		return
	}
	if id, ok := s.byRequest[req.RequestId]; ok {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"CodeResult": "124", "ErrorMessage": "Trùng RequestId", "SMSID": id})
		return
	}
	id := fmt.Sprintf("ebe101db-%04d", len(s.delivered)+1)
	s.byRequest[req.RequestId] = id
	s.delivered = append(s.delivered, ESMSDelivery{Phone: req.Phone, Content: req.Content, RequestID: req.RequestId})
	hang := s.Hang
	s.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	writeJSON(w, map[string]any{"CodeResult": "100", "CountRegenerate": 0, "SMSID": id})
}

func (s *ESMS) Set(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

func (s *ESMS) Got() []ESMSDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.delivered)
}

// Requests is how many requests reached the gateway.
func (s *ESMS) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Endpoint is the gateway's send URL.
func (s *ESMS) Endpoint() string {
	return s.URL + "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
}
