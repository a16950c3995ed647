package fakename

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNameIsStableAndVaried(t *testing.T) {
	seen := map[string]int{}
	families := map[string]int{}
	for i := range uint64(20000) {
		h := i * 0x9e3779b97f4a7c15
		n, _ := Name(h)
		if again, _ := Name(h); again != n {
			t.Fatalf("Name(%d) = %q then %q", h, n, again)
		}
		parts := strings.Fields(n)
		if len(parts) != 3 || !utf8.ValidString(n) {
			t.Fatalf("Name(%d) = %q: want family, middle and given names", h, n)
		}
		seen[n]++
		families[parts[0]]++
	}
	if len(seen) < 2000 {
		t.Errorf("only %d distinct names in 20,000", len(seen))
	}
	// Nguyễn is the most common family name, near two in five; the rare ones still occur.
	if share := float64(families["Nguyễn"]) / 20000; share < 0.3 || share > 0.45 {
		t.Errorf("Nguyễn share %.2f", share)
	}
	if families["Tạ"] == 0 {
		t.Errorf("rare family names never drawn: %v", families)
	}
}
