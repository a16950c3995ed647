package vnphone

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"0905123123": "0905123123", "0905 123 123": "0905123123", "+84 905.123.123": "0905123123",
		"84905123123": "0905123123", "905123123": "0905123123", "(090) 512-3123": "0905123123", " 0398765432 ": "0398765432",
	} {
		if got, ok := Normalize(in); !ok || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "0123456789", "090512312", "09051231234", "0905-123-12a", "+1 905 123 1234", "0205123123",
		"84 0905123123", "205123123", "+905123123", "090５123123", "0905123123\x00", "++84905123123"} {
		if got, ok := Normalize(bad); ok {
			t.Errorf("Normalize(%q) = %q, accepted", bad, got)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"0905123123": "0905***123", "": "", "12345": "***"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
