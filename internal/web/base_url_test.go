package web

import (
	"net/http/httptest"
	"testing"
)

// Links that leave the site — a certificate's QR code above all — use the configured address,
// never the Host header a client chose: a forged Host must not put its domain on a genuine
// certificate.
func TestPublicBaseURLPrefersConfiguredAddress(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/v1/certificates/LT-X/export?format=pdf", nil)
	r.Host = "evil.example"
	s := &Server{cfg: Config{BaseURL: "https://chuyendoiso.quangngai.gov.vn/"}}
	if got := s.publicBaseURL(r); got != "https://chuyendoiso.quangngai.gov.vn" {
		t.Errorf("with --base-url: %q", got)
	}
	s = &Server{cfg: Config{SecureCookies: true}}
	if got := s.publicBaseURL(r); got != "https://evil.example" {
		t.Errorf("without --base-url, the request's own address: %q", got)
	}
}
