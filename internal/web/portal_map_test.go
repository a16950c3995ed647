package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
)

// ringArea is the shoelace area of a ring.
func ringArea(r []pt) float64 {
	a := 0.0
	for i := range r {
		j := (i + 1) % len(r)
		a += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return math.Abs(a) / 2
}

// relRings reads the simplified "Mx yl dx dy…z" paths back into absolute rings.
func relRings(t *testing.T, d string) [][]pt {
	t.Helper()
	var out [][]pt
	for _, m := range regexp.MustCompile(`M(-?\d+) (-?\d+)l([-0-9 ]*)z`).FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		ring := []pt{{float64(x), float64(y)}}
		nums := regexp.MustCompile(`-?\d+`).FindAllString(m[3], -1)
		if len(nums)%2 != 0 {
			t.Fatalf("odd number of coordinates in %q", m[3])
		}
		for i := 0; i < len(nums); i += 2 {
			dx, _ := strconv.Atoi(nums[i])
			dy, _ := strconv.Atoi(nums[i+1])
			x, y = x+dx, y+dy
			ring = append(ring, pt{float64(x), float64(y)})
		}
		out = append(out, ring)
	}
	return out
}

// TestSimplifiedDistricts: the home page's shapes keep every district, keep each district's area
// within 3 % of the dashboards' shapes, and cost a tenth of their bytes.
func TestSimplifiedDistricts(t *testing.T) {
	full, err := reports.DistrictMap(nil)
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := simplifiedShapes()
	if err != nil {
		t.Fatal(err)
	}
	if len(shapes) != len(full) || len(full) != 13 {
		t.Fatalf("%d simplified shapes of %d", len(shapes), len(full))
	}
	var before, after int
	for _, f := range full {
		s, ok := shapes[f.Code]
		if !ok {
			t.Fatalf("district %s lost", f.Code)
		}
		before, after = before+len(f.D), after+len(s.D)
		var a0, a1 float64
		for _, r := range parsePath(f.D) {
			a0 += ringArea(r)
		}
		for _, r := range relRings(t, s.D) {
			a1 += ringArea(r)
		}
		if a0 == 0 || math.Abs(a1-a0)/a0 > 0.03 {
			t.Errorf("%s (%s): area %.0f simplified to %.0f", f.Name, f.Code, a0, a1)
		}
	}
	if after*10 > before {
		t.Errorf("simplified paths take %d bytes of %d", after, before)
	}
	t.Logf("district paths: %d bytes, simplified %d bytes", before, after)
}

func TestSimplifyKeepsCorners(t *testing.T) {
	// A square with points along its sides: the corners stay, the points between them go.
	ring := []pt{{0, 0}, {50, 0.3}, {100, 0}, {100, 50}, {100, 100}, {50, 100}, {0, 100}, {0, 50}, {0, 0}}
	got := simplify(ring, 2.5)
	if len(got) != 5 {
		t.Fatalf("simplified to %v", got)
	}
	if d := simplifyPath("M0.0 0.0L50.0 0.3L100.0 0.0L100.0 50.0L100.0 100.0L50.0 100.0L0.0 100.0L0.0 50.0L0.0 0.0Z", 2.5); d != "M0 0l100 0 0 100-100 0z" {
		t.Errorf("path %q", d)
	}
}

// On the map of 2025 the board's items are communes: they are tiles with the commune words, never
// matched against the 2023 district shapes — even when a commune's code were a district's.
func TestPortalMapCommunesAreTiles(t *testing.T) {
	f := portal.DistrictFigures{LabelKey: "portal.map.citizens", TargetKey: "portal.map.target", Level: "commune", Items: []portal.DistrictFigure{
		{Code: "21034", Name: "Xã An Phú", Value: 7, Target: 14, Measured: true},
		{Code: "535", Name: "a code that is a 2023 district's", Value: 0, Target: 0},
	}}
	v, err := portalMap(f)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Grid || v.Keys != mapKeysCommune || len(v.Areas) != 2 || !v.HasData {
		t.Fatalf("commune view %+v", v)
	}
	if a := v.Areas[0]; a.D != "" || a.Share != "50%" || a.Value != "7" || a.Target != "14" || a.Bucket != 2 {
		t.Errorf("An Phú's tile %+v", a)
	}
	if a := v.Areas[1]; a.D != "" || a.Share != "—" || a.Bucket != -1 {
		t.Errorf("an unmeasured commune %+v", a)
	}
	// The districts of 2023 keep their shapes and words.
	d, err := portalMap(portal.DistrictFigures{Level: "district", Items: []portal.DistrictFigure{{Code: "535", Name: "Huyện Ba Tơ"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Grid || d.Keys != mapKeysDistrict || d.Areas[0].D == "" {
		t.Errorf("district view: grid %v keys %v", d.Grid, d.Keys)
	}
}
