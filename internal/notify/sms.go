package notify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SMSGateway is one brand-name SMS provider's request shape. Vietnam's gateways (eSMS, Viettel's
// and VNPT's brand-name services, SpeedSMS…) all take a phone number, a text and credentials but
// differ in field names, envelopes and answer codes; each is one implementation of this interface,
// and SMSSender does the rest (phone numbers, the text's template and diacritics, the outbox's
// rules). To add one: implement Send with the provider's documented request, map its answer codes
// to nil (accepted), Permanent (a refused number, bad credentials), RetryAfter (a rate limit) or a
// plain error (try later), each WithReason a code that has a notify.reason.* text in the locales,
// and report Idempotent only if the provider documents that a repeated request id is not sent
// again; then add its name to the --sms-provider flag in internal/app.
type SMSGateway interface {
	// Send submits text to phone ("84912345678"). requestID is stable for one outbox row, so a
	// provider that deduplicates by it recognises the worker's repeat. ref is the provider's id of
	// the message.
	Send(ctx context.Context, phone, text, requestID string) (ref string, err error)
	// Idempotent tells whether a repeated requestID is recognised and not delivered twice.
	Idempotent() bool
}

// SMSSender delivers the outbox's SMS messages through a brand-name gateway.
type SMSSender struct {
	Gateway SMSGateway
	// Template makes the text from a message (its fields Body, Subject, Link, Kind); nil is the
	// body followed by the link. Brand-name customer-care messages must match a template the
	// operator registered with the carriers, so the text is the operator's to shape.
	Template *template.Template
	// Unicode keeps Vietnamese diacritics. Without it the text is sent without marks ("Nhac nop
	// bao cao"), as most registered brand-name templates are and as every telephone shows.
	Unicode bool
	// MaxRunes refuses a longer text for good (the gateways cut or refuse long concatenated
	// messages); 0 is 612, four unaccented segments.
	MaxRunes int
}

// DefaultSMSTemplate is the text of an SMS when no template is configured.
const DefaultSMSTemplate = `{{.Body}}{{if .Link}} {{.Link}}{{end}}`

// ParseSMSTemplate compiles an operator's SMS template (Go's text/template over the message).
func ParseSMSTemplate(s string) (*template.Template, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultSMSTemplate
	}
	return template.New("sms").Option("missingkey=error").Parse(s)
}

// Idempotent tells whether the gateway recognises a repeated request.
func (s *SMSSender) Idempotent() bool { return s.Gateway != nil && s.Gateway.Idempotent() }

// Send delivers m.
func (s *SMSSender) Send(ctx context.Context, m Message) error {
	_, err := s.SendRef(ctx, m)
	return err
}

// SendRef delivers m and returns the gateway's id of the message.
func (s *SMSSender) SendRef(ctx context.Context, m Message) (string, error) {
	phone, err := NormalizePhone(m.Recipient)
	if err != nil {
		return "", Permanent(WithReason("sms.invalid_number", fmt.Errorf("sms: %q: %w", m.Recipient, err)))
	}
	text, err := s.Text(m)
	if err != nil {
		return "", err
	}
	return s.Gateway.Send(ctx, phone, text, RequestID(m))
}

// Text is the SMS text of m.
func (s *SMSSender) Text(m Message) (string, error) {
	tpl := s.Template
	if tpl == nil {
		var err error
		if tpl, err = ParseSMSTemplate(""); err != nil {
			return "", Permanent(err)
		}
	}
	var b strings.Builder
	data := struct {
		Kind                Kind
		Subject, Body, Link string
	}{m.Kind, m.Subject, strings.Join(strings.Fields(m.Body), " "), m.Link}
	if err := tpl.Execute(&b, data); err != nil {
		return "", Permanent(WithReason("sms.template", fmt.Errorf("sms template: %w", err)))
	}
	text := strings.TrimSpace(b.String())
	if !s.Unicode {
		text = StripDiacritics(text)
	}
	limit := s.MaxRunes
	if limit <= 0 {
		limit = 612
	}
	if text == "" || utf8.RuneCountInString(text) > limit {
		return "", Permanent(WithReason("sms.too_long", fmt.Errorf("sms: text of %d characters (at most %d)", utf8.RuneCountInString(text), limit)))
	}
	return text, nil
}

// StripDiacritics writes Vietnamese without its marks, keeping case: "Đề nghị" → "De nghi".
func StripDiacritics(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// ESMSGateway is eSMS.vn's brand-name API, SendMultipleMessage_V4_post_json: a JSON POST of
// ApiKey, SecretKey, Brandname, SmsType, Phone, Content, IsUnicode and RequestId, answered with
// {"CodeResult": "100", "SMSID": "…"} on success or another CodeResult (and ErrorMessage) when
// refused. eSMS documents RequestId as the partner's id it checks for a repeat (code 124,
// "Trùng RequestId"), so a repeated send of one outbox row is not delivered twice.
type ESMSGateway struct {
	// URL is the endpoint, "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/".
	URL       string
	APIKey    string
	SecretKey string
	Brandname string
	// SmsType is eSMS's kind of message: "2" customer care (brand name), the default.
	SmsType string
	// Unicode asks eSMS to send with diacritics (IsUnicode 1).
	Unicode bool
	// Sandbox asks eSMS to answer without sending or charging (its test mode).
	Sandbox bool
	Client  *http.Client
}

// ESMSURL is eSMS's documented endpoint for brand-name messages.
const ESMSURL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"

type esmsRequest struct {
	APIKey    string `json:"ApiKey"`
	SecretKey string `json:"SecretKey"`
	Brandname string `json:"Brandname"`
	SmsType   string `json:"SmsType"`
	Phone     string `json:"Phone"`
	Content   string `json:"Content"`
	IsUnicode int    `json:"IsUnicode"`
	Sandbox   int    `json:"Sandbox"`
	RequestID string `json:"RequestId"`
}

type esmsAnswer struct {
	CodeResult   string `json:"CodeResult"`
	SMSID        string `json:"SMSID"`
	ErrorMessage string `json:"ErrorMessage"`
}

// esmsCodes maps eSMS's documented refusals (its "Bảng mã lỗi") to reasons; permanent ones cannot
// succeed by waiting (the operator fixes the account, then presses Gửi lại).
var esmsCodes = map[string]struct {
	reason    string
	permanent bool
}{
	"101": {"sms.auth", true},      // wrong ApiKey or SecretKey
	"102": {"sms.account", true},   // no price list on the account
	"103": {"sms.balance", false},  // balance too low: waits for a top-up
	"104": {"sms.brandname", true}, // brand name not registered
	"146": {"sms.template", true},  // text does not match a registered customer-care template
	"177": {"sms.carrier", true},   // the number's carrier is not registered for the brand name
	"300": {"sms.account", true},   // SmsType missing
	"120": {"sms.rejected", true},  // too many numbers in one request
}

// Idempotent: eSMS checks RequestId for a repeat.
func (g *ESMSGateway) Idempotent() bool { return true }

// Send submits one SMS.
func (g *ESMSGateway) Send(ctx context.Context, phone, text, requestID string) (string, error) {
	url := g.URL
	if url == "" {
		url = ESMSURL
	}
	smsType := g.SmsType
	if smsType == "" {
		smsType = "2"
	}
	req := esmsRequest{APIKey: g.APIKey, SecretKey: g.SecretKey, Brandname: g.Brandname, SmsType: smsType, Phone: LocalPhone(phone),
		Content: text, IsUnicode: boolDigit(g.Unicode), Sandbox: boolDigit(g.Sandbox), RequestID: requestID}
	client := g.Client
	if client == nil {
		client = defaultClient
	}
	var ans esmsAnswer
	if err := postJSON(ctx, client, url, "esms", nil, req, &ans); err != nil {
		return "", err
	}
	switch ans.CodeResult {
	case "100":
		return ans.SMSID, nil
	case "124":
		// The RequestId was received before: an earlier attempt of this row went through and its
		// answer was lost. Sent, once.
		return ans.SMSID, nil
	}
	err := fmt.Errorf("esms: CodeResult %s: %s", ans.CodeResult, ans.ErrorMessage)
	if c, ok := esmsCodes[ans.CodeResult]; ok {
		if c.permanent {
			return "", Permanent(WithReason(c.reason, err))
		}
		return "", WithReason(c.reason, err)
	}
	if ans.CodeResult == "" {
		return "", Uncertain(WithReason(ReasonNoAnswer, fmt.Errorf("esms: answer without CodeResult")))
	}
	// 99 (unknown error) and codes eSMS adds later: retried, up to MaxAttempts.
	return "", WithReason("sms.error", err)
}

func boolDigit(b bool) int {
	if b {
		return 1
	}
	return 0
}
