package ceremony

import (
	"testing"

	"github.com/lantoa/lantoa/internal/units"
)

// Every province's documents and default programme name its own People's Committee, by its kind
// (tỉnh, thành phố), from its name in the unit tree.
func TestLetterheadAndStepsFollowTheProvince(t *testing.T) {
	for _, c := range []struct {
		name, parent, issuer, place, kind, step string
	}{
		{"Tỉnh Quảng Ngãi", "UBND TỈNH QUẢNG NGÃI", "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH", "Quảng Ngãi", "tỉnh", "Lãnh đạo UBND tỉnh phát biểu phát động Phong trào chuyển đổi số"},
		{"Thành phố Hà Nội", "UBND THÀNH PHỐ HÀ NỘI", "VĂN PHÒNG ỦY BAN NHÂN DÂN THÀNH PHỐ", "Hà Nội", "thành phố", "Lãnh đạo UBND thành phố phát biểu phát động Phong trào chuyển đổi số"},
	} {
		u := units.Unit{Name: c.name, Level: units.Province}
		h, kind := letterhead(u)
		if h.Parent != c.parent || h.Issuer != c.issuer || h.Place != c.place || kind != c.kind {
			t.Errorf("%s: %+v %q", c.name, h, kind)
		}
		if steps := defaultSteps(u); len(steps) != len(DefaultSteps) || steps[2] != c.step || steps[3] != DefaultSteps[3] {
			t.Errorf("%s: steps %q", c.name, steps)
		}
	}
}
