package units_test

import (
	"testing"

	"github.com/lantoa/lantoa/internal/units"
)

// The range stands for the LIKE prefix it replaced: everything under the unit, nothing beside it.
func TestPathRangeIsTheSubtree(t *testing.T) {
	lo, hi := units.PathRange("/51/535/")
	in := func(p string) bool { return p >= lo && p < hi }
	for _, p := range []string{"/51/535/", "/51/535/21655/", "/51/535/21655/2165501/"} {
		if !in(p) {
			t.Errorf("%s is under /51/535/ but outside [%s, %s)", p, lo, hi)
		}
	}
	for _, p := range []string{"/51/53/", "/51/5350/", "/51/536/", "/51/", "/52/535/"} {
		if in(p) {
			t.Errorf("%s is not under /51/535/ but inside [%s, %s)", p, lo, hi)
		}
	}
	if lo, hi := units.PathRange(""); lo != "/" || hi != "0" {
		t.Errorf("whole tree: [%s, %s)", lo, hi)
	}
}
