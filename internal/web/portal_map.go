package web

import (
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
)

// The portal's home page shows the dashboards' district choropleth, read-only, with the public
// figure by district the portal registers: the dashboards' one measure (members of the community
// digital technology teams who met the current campaign's target, against all members; see
// outreach.Tally.Measure and docs/architecture.md). The reports module's shapes are detailed enough for a big screen (about
// 96 KB of path data); the home page must stay small on a cheap phone, so the portal draws them
// simplified (Douglas–Peucker to 2.5 units of the 1000-unit view box, under a pixel on a phone),
// with whole-number relative coordinates: a few kilobytes.

// mapTolerance is the simplification tolerance in view-box units.
const mapTolerance = 2.5

type portalShape struct {
	Code, Name     string
	D              string
	LabelX, LabelY float64
}

var (
	portalShapesOnce sync.Once
	portalShapes     map[string]portalShape
	portalShapesErr  error
)

// simplifiedShapes returns the district shapes simplified for the home page, by code.
func simplifiedShapes() (map[string]portalShape, error) {
	portalShapesOnce.Do(func() {
		shapes, err := reports.DistrictMap(nil)
		if err != nil {
			portalShapesErr = err
			return
		}
		portalShapes = make(map[string]portalShape, len(shapes))
		for _, sh := range shapes {
			portalShapes[sh.Code] = portalShape{Code: sh.Code, Name: sh.Name, D: simplifyPath(sh.D, mapTolerance), LabelX: math.Round(sh.LabelX), LabelY: math.Round(sh.LabelY)}
		}
	})
	return portalShapes, portalShapesErr
}

type pt struct{ x, y float64 }

// parsePath reads the absolute "M x yL x y…Z" paths the reports module writes into rings.
func parsePath(d string) [][]pt {
	var rings [][]pt
	var cur []pt
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	i := 0
	for i < len(d) {
		c := d[i]
		switch c {
		case 'M', 'L':
			j := i + 1
			for j < len(d) && d[j] != 'M' && d[j] != 'L' && d[j] != 'Z' {
				j++
			}
			f := strings.Fields(d[i+1 : j])
			if len(f) == 2 {
				if c == 'M' && len(cur) > 0 {
					rings, cur = append(rings, cur), nil
				}
				cur = append(cur, pt{num(f[0]), num(f[1])})
			}
			i = j
		case 'Z':
			if len(cur) > 0 {
				rings, cur = append(rings, cur), nil
			}
			i++
		default:
			i++
		}
	}
	if len(cur) > 0 {
		rings = append(rings, cur)
	}
	return rings
}

// simplify keeps the points of a polyline that lie farther than eps from the line through the
// points kept around them (Douglas–Peucker).
func simplify(p []pt, eps float64) []pt {
	if len(p) < 3 {
		return p
	}
	keep := make([]bool, len(p))
	keep[0], keep[len(p)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(p) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		best, at := -1.0, -1
		for i := s.a + 1; i < s.b; i++ {
			if d := segDist(p[i], p[s.a], p[s.b]); d > best {
				best, at = d, i
			}
		}
		if at > 0 && best > eps {
			keep[at] = true
			stack = append(stack, span{s.a, at}, span{at, s.b})
		}
	}
	out := make([]pt, 0, len(p)/4)
	for i, k := range keep {
		if k {
			out = append(out, p[i])
		}
	}
	return out
}

// segDist is the distance from p to the segment ab (to a when a and b coincide, as the ends of a
// closed ring do).
func segDist(p, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(p.x-a.x, p.y-a.y)
	}
	t := math.Max(0, math.Min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/l2))
	return math.Hypot(p.x-(a.x+t*dx), p.y-(a.y+t*dy))
}

// simplifyPath simplifies every ring of d and writes it with whole-number relative coordinates.
// A small ring (an island such as Lý Sơn) is simplified with a tolerance in proportion to its
// size, so that it keeps its shape; rings that shrink below a triangle (specks of coast) are
// dropped.
func simplifyPath(d string, eps float64) string {
	var b strings.Builder
	for _, ring := range parsePath(d) {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, q := range ring {
			x0, y0, x1, y1 = math.Min(x0, q.x), math.Min(y0, q.y), math.Max(x1, q.x), math.Max(y1, q.y)
		}
		s := simplify(ring, math.Min(eps, math.Hypot(x1-x0, y1-y0)/60))
		if len(s) > 1 && s[0] == s[len(s)-1] {
			s = s[:len(s)-1] // "z" closes the ring
		}
		if len(s) < 3 {
			continue
		}
		px, py := int(math.Round(s[0].x)), int(math.Round(s[0].y))
		b.WriteString("M" + strconv.Itoa(px) + " " + strconv.Itoa(py) + "l")
		first := true
		for _, q := range s[1:] {
			x, y := int(math.Round(q.x)), int(math.Round(q.y))
			dx, dy := x-px, y-py
			if dx == 0 && dy == 0 {
				continue
			}
			writeNum(&b, dx, first)
			writeNum(&b, dy, false)
			first = false
			px, py = x, y
		}
		b.WriteString("z")
	}
	return b.String()
}

// writeNum writes n after the previous number: a minus sign separates by itself.
func writeNum(b *strings.Builder, n int, first bool) {
	if !first && n >= 0 {
		b.WriteByte(' ')
	}
	b.WriteString(strconv.Itoa(n))
}

// portalMapArea is one district on the home page's map (or grid) and in its table.
type portalMapArea struct {
	Code, Name     string
	D              string // "" for a district without a shape
	Bucket         int
	LabelX, LabelY float64
	Value, Target  string // "—" when unknown
	Share          string // "42%", or "—"
}

type portalMapView struct {
	Width, Height float64
	LabelKey      string
	TargetKey     string
	Areas         []portalMapArea
	HasData       bool
	// Keys name the level shown: districts (2023) or communes (2025).
	Keys mapKeys
	// Grid is set for a province whose district shapes Lan Tỏa does not have: its districts are
	// shown as a list of tiles coloured alike, with their figures; no shape is made up.
	Grid bool
}

// area is one unit's tile or shape with its figure; a measured one marks the view as having data.
func (v *portalMapView) area(it portal.DistrictFigure) portalMapArea {
	a := portalMapArea{Code: it.Code, Name: it.Name, Bucket: shareBucket(it.Share()), Value: "—", Target: "—", Share: "—"}
	if it.Measured {
		v.HasData = true
		a.Value = reports.FormatNumber(float64(it.Value))
		if it.Target > 0 {
			a.Target = reports.FormatNumber(float64(it.Target))
			a.Share = strconv.Itoa(int(it.Share()*100)) + "%"
		}
	}
	return a
}

// mapKeys are the words of the map for the level it shows.
type mapKeys struct{ Heading, Title, Table, Column, GridNote string }

var (
	mapKeysDistrict = mapKeys{"portal.map.heading", "portal.map.title", "portal.map.table", "portal.map.district", "portal.map.grid_note"}
	mapKeysCommune  = mapKeys{"portal.map.heading_commune", "portal.map.title_commune", "portal.map.table_commune", "portal.map.commune", "portal.map.grid_note_commune"}
)

// shareBucket is the colour class of a share of target met, as the dashboards' map: fifths, -1
// without a figure.
func shareBucket(share float64) int {
	if share < 0 {
		return -1
	}
	return min(int(share*5), 4)
}

// portalMap joins a province's figures by district with the simplified shapes, where Lan Tỏa has
// the province's shapes (units.DistrictsGeoJSON: Quảng Ngãi's); district codes are unique in the
// country, so another province's districts match no shape and are shown as a grid. Districts
// without a figure read "no data"; the table lists the districts in the figures' order (then, on
// the map, the shapes' other districts).
func portalMap(f portal.DistrictFigures) (portalMapView, error) {
	shapes, err := simplifiedShapes()
	if err != nil {
		return portalMapView{}, err
	}
	v := portalMapView{LabelKey: f.LabelKey, TargetKey: f.TargetKey, Grid: true, Keys: mapKeysDistrict}
	if f.Level == "commune" {
		// The map of 2025: no licensed commune shapes are shipped, so the communes are an honest
		// grid of tiles with their figures, never drawn over the districts' shapes.
		v.Keys = mapKeysCommune
		for _, it := range f.Items {
			v.Areas = append(v.Areas, v.area(it))
		}
		return v, nil
	}
	shares := map[string]float64{}
	byCode := map[string]portal.DistrictFigure{}
	for _, it := range f.Items {
		byCode[it.Code] = it
		if s := it.Share(); s >= 0 {
			shares[it.Code] = s
		}
		if _, ok := shapes[it.Code]; ok {
			v.Grid = false
		}
	}
	area := v.area
	if v.Grid {
		for _, it := range f.Items {
			v.Areas = append(v.Areas, area(it))
		}
		return v, nil
	}
	v.Width, v.Height = reports.MapSize()
	full, err := reports.DistrictMap(shares) // the dashboards' buckets, so that both maps read alike
	if err != nil {
		return portalMapView{}, err
	}
	bucket := map[string]int{}
	for _, sh := range full {
		bucket[sh.Code] = sh.Bucket
	}
	seen := map[string]bool{}
	for _, it := range f.Items {
		if seen[it.Code] {
			continue
		}
		seen[it.Code] = true
		a := area(it)
		if sh, ok := shapes[it.Code]; ok {
			a.D, a.LabelX, a.LabelY, a.Bucket = sh.D, sh.LabelX, sh.LabelY, bucket[it.Code]
			if a.Name == "" {
				a.Name = sh.Name
			}
		}
		v.Areas = append(v.Areas, a)
	}
	for _, sh := range full {
		if !seen[sh.Code] {
			seen[sh.Code] = true
			p := shapes[sh.Code]
			v.Areas = append(v.Areas, portalMapArea{Code: sh.Code, Name: p.Name, D: p.D, Bucket: -1, LabelX: p.LabelX, LabelY: p.LabelY, Value: "—", Target: "—", Share: "—"})
		}
	}
	return v, nil
}
