package training

import (
	"strings"
	"testing"
	"time"
)

// The certificate's header, place line and signature come from the issuing province's name in the
// unit tree; a national course says so, and is issued by the learner's province.
func TestCertificateTextNamesTheProvince(t *testing.T) {
	issued := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name                     string
		cert                     Certificate
		province                 string
		parent, body, place, who string
		national                 bool
	}{
		{"a Quảng Ngãi course", Certificate{Province: "51", UnitPath: "/51/535/"}, "Tỉnh Quảng Ngãi",
			"UBND TỈNH QUẢNG NGÃI", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "Quảng Ngãi", "Sở Thông tin và Truyền thông tỉnh Quảng Ngãi", false},
		{"a Hà Nội course", Certificate{Province: "01", UnitPath: "/01/001/"}, "Thành phố Hà Nội",
			"UBND THÀNH PHỐ HÀ NỘI", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "Hà Nội", "Sở Thông tin và Truyền thông thành phố Hà Nội", false},
		{"a national course, a Hà Nội learner", Certificate{UnitPath: "/01/002/"}, "Thành phố Hà Nội",
			"UBND THÀNH PHỐ HÀ NỘI", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "Hà Nội", "Sở Thông tin và Truyền thông thành phố Hà Nội", true},
		{"a national course, a learner in no province", Certificate{}, "",
			"", "CHƯƠNG TRÌNH BỒI DƯỠNG KỸ NĂNG SỐ TOÀN QUỐC", "", "Chương trình bồi dưỡng kỹ năng số toàn quốc", true},
	} {
		cert := c.cert
		cert.Code, cert.IssuedAt = "LT-AAAA-BBBB-CCCC-DDDD", issued
		cert.issuer = issuerOf(c.province)
		h, subtitle, sig := certificateText(cert)
		if h.Parent != c.parent || h.Issuer != c.body || h.Place != c.place || cert.issuer.name != c.who || sig.Authority != c.body {
			t.Errorf("%s: header %+v, issuer %q, signature %+v", c.name, h, cert.issuer.name, sig)
		}
		if strings.Contains(subtitle, "toàn quốc") != c.national {
			t.Errorf("%s: subtitle %q", c.name, subtitle)
		}
		if _, err := renderCertificate(cert, "https://lantoa.example.vn"); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got := (Certificate{UnitPath: "/01/001/00001/"}).issuerProvince(); got != "01" {
		t.Errorf("a national course's issuer is the learner's province: %q", got)
	}
	if got := (Certificate{Province: "51", UnitPath: "/01/001/"}).issuerProvince(); got != "51" {
		t.Errorf("a province course's issuer is its province: %q", got)
	}
}
