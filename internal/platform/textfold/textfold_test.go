package textfold

import "testing"

func TestFold(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Huyện Ba Tơ", "huyen ba to"},
		{"Thị xã Đức Phổ", "thi xa duc pho"},
		{"Hòa", "hoa"},
		{"Hoà", "hoa"},
		{"  Xã   Hành Tín  Đông ", "xa hanh tin dong"},
		{"THỦY", "thuy"},
		{"Thuỷ", "thuy"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Fold(c.in); got != c.want {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLikePatternEscapes(t *testing.T) {
	if got := LikePattern("50%_a"); got != `%50\%\_a%` {
		t.Fatalf("LikePattern = %q", got)
	}
}
