package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// SMTPSender delivers email through an SMTP server (the province's mail server or a relay). It
// uses STARTTLS whenever the server offers it, or TLS from the first byte with ImplicitTLS (port
// 465), and authenticates with PLAIN when a user name is set (net/smtp refuses to send a password
// over an unencrypted connection to anything but localhost).
type SMTPSender struct {
	Addr        string // host:port
	From        string // "Lan Tỏa <no-reply@quangngai.gov.vn>"
	Username    string
	Password    string
	ImplicitTLS bool
	// InsecureSkipVerify accepts any certificate (a test relay); never in production.
	InsecureSkipVerify bool
	// BaseURL is the site's public address, for the unsubscribe link ("https://lantoa.quangngai.gov.vn").
	BaseURL string
	// HelloName is the name given in EHLO; the default is "localhost".
	HelloName string
	Now       func() time.Time
}

// Send delivers one message. A 5xx answer from the server is a permanent error; everything else
// (connection refused, timeouts, 4xx) is retried by the worker.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: bad sender address %q: %w", s.From, err))
	}
	to, err := mail.ParseAddress(m.Recipient)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: bad recipient: %w", err))
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: bad address %q: %w", s.Addr, err))
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return WithReason(ReasonUnreachable, fmt.Errorf("smtp: dial: %w", err))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	tlsConf := &tls.Config{ServerName: host, InsecureSkipVerify: s.InsecureSkipVerify, MinVersion: tls.VersionTLS12} // #nosec G402 -- off unless an administrator opts in for a relay with a private certificate
	if s.ImplicitTLS {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return classify("ehlo", err)
	}
	if !s.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return classify("starttls", err)
			}
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return classify("auth", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classify("mail from", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return classify("rcpt to", err)
	}
	wc, err := c.Data()
	if err != nil {
		return classify("data", err)
	}
	if _, err := wc.Write(s.compose(from, to, m)); err != nil {
		return classify("data", err)
	}
	if err := wc.Close(); err != nil {
		var te *textproto.Error
		if !errors.As(err, &te) {
			// The whole message was written and the server's verdict was lost (a timeout, a
			// reset): it may have queued the message.
			return Uncertain(fmt.Errorf("smtp data end: %w", err))
		}
		return classify("data end", err)
	}
	// The server queued the message: a failing QUIT must not make the worker send it again.
	_ = c.Quit()
	return nil
}

func classify(step string, err error) error {
	if err == nil {
		return nil
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(WithReason("email.rejected", fmt.Errorf("smtp %s: %w", step, err)))
	}
	if te == nil && (step == "greeting" || step == "ehlo") {
		return WithReason(ReasonUnreachable, fmt.Errorf("smtp %s: %w", step, err))
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// UnsubscribeURL is the link that turns a kind of message off for its recipient.
func UnsubscribeURL(baseURL string, m Message) string {
	return strings.TrimRight(baseURL, "/") + "/unsubscribe/" + m.UnsubscribeToken
}

// compose builds the RFC 5322 message: UTF-8 text, base64 so that Vietnamese survives every relay,
// the subject as an encoded word, and List-Unsubscribe (RFC 2369, one-click RFC 8058) headers.
func (s *SMTPSender) compose(from, to *mail.Address, m Message) []byte {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now().Format(time.RFC1123Z))
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := "lantoa.local"
	if at := strings.LastIndex(from.Address, "@"); at >= 0 {
		domain = from.Address[at+1:]
	}
	hdr("Message-ID", fmt.Sprintf("<%d.%s@%s>", m.ID, hex.EncodeToString(id[:]), domain))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "base64")
	hdr("Auto-Submitted", "auto-generated")
	body := m.Body
	if m.Link != "" {
		body += "\n\n" + m.Link
	}
	if s.BaseURL != "" && m.UnsubscribeToken != "" && !m.Kind.Mandatory() {
		u := UnsubscribeURL(s.BaseURL, m)
		hdr("List-Unsubscribe", "<"+u+">")
		hdr("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		body += "\n\n--\nNgừng nhận loại thư này / unsubscribe: " + u
	}
	b.WriteString("\r\n")
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}
