package i18n

import (
	"strings"
	"testing"
)

func TestEveryKeyInEveryLocale(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Locales {
		for _, other := range Locales {
			for _, k := range b.Keys(lang) {
				if !b.Has(other, k) {
					t.Errorf("key %q is in %s but not in %s", k, lang, other)
				}
			}
		}
	}
	if got := b.T("vi", "units.results", 3); got != "Tìm thấy 3 đơn vị." {
		t.Errorf("T = %q", got)
	}
	// Arguments are fitted to the message: no %!(EXTRA …) or %!s(MISSING) reaches a user.
	if got := b.T("vi", "units.error.name_required", "x"); got != "Chưa nhập tên đơn vị." {
		t.Errorf("extra args: %q", got)
	}
	if got := b.T("en", "units.error.not_found"); got != "No administrative unit with code ." {
		t.Errorf("missing args: %q", got)
	}
	if got := b.T("fr", "nav.home"); got != "Trang chủ" {
		t.Errorf("fallback: %q", got)
	}
}

func TestMessageArgumentTranslated(t *testing.T) {
	b := MustLoad()
	vi := b.T("vi", "reports.error.transition", Msg("reports.state.draft"))
	en := b.T("en", "reports.error.transition", Msg("reports.state.draft"))
	if !strings.Contains(vi, "(Đang soạn)") || strings.Contains(vi, "draft") {
		t.Errorf("vi: %q", vi)
	}
	if strings.Contains(en, "reports.state") || strings.Contains(en, "Đang soạn") {
		t.Errorf("en: %q", en)
	}
}
