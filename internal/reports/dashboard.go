package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// Dashboard is what a unit's dashboard shows, or the national one (every province compared).
// Every figure comes from the providers (through the cache), never from a scan of raw rows per
// request.
type Dashboard struct {
	// Unit is the unit of the dashboard; the zero Unit for the national dashboard.
	Unit units.Unit
	// National tells the national dashboard: its children are the provinces and its headline
	// their sums.
	National bool
	// Trail is the way from the province down to Unit, for the drill-down breadcrumbs.
	Trail []units.Unit
	// Headline is every section's figures for the unit's subtree.
	Headline []Field
	// Measure is the figure the share of target is computed from (its key and label key).
	Measure Field
	// Children compares the units (or, below a commune, the teams) one level down.
	Children []Child
	// ChildKind is "province", "district", "commune" or "team".
	ChildKind string
	// Series is progress over the campaign's days.
	Series []Series
	// Map is the choropleth of districts, on a province's dashboard when the province has
	// districts and their shapes are known (units.DistrictsGeoJSON holds Quảng Ngãi's of 2023
	// only).
	Map []MapShape
	// Grid is what stands in for the map where no shapes are known (another province's districts,
	// a province's communes on the two-tier map, the provinces on the national dashboard): every
	// child as a tile coloured by its share.
	// Nothing is drawn that is not known.
	Grid []Tile
	// ComputedAt is when the figures were computed (at most CacheTTL ago).
	ComputedAt time.Time
}

// Child is one unit or team of a comparison.
type Child struct {
	Code   string // unit code, or team id
	Name   string
	Fields []Field
	// Share is the share of target met for the dashboard's measure, -1 when unknown.
	Share float64
	// Open tells whether the viewer may open the child's own dashboard (a unit in their scope).
	Open bool `json:"open"`
}

// Value returns the child's value for a field key (0 when absent).
func (c Child) Value(section, key string) float64 {
	for _, f := range c.Fields {
		if f.Section == section && f.Key == key {
			return f.Value
		}
	}
	return 0
}

// Tile is one unit of the grid drawn where no map shapes are known.
type Tile struct {
	Code, Name string
	Share      float64 // -1 when unknown
	Bucket     int     // as MapShape's
}

// PublicDashboard is what anonymous visitors may see: a province's dashboard, or with province
// "" the national one comparing the provinces. Both hold aggregates and no personal data.
func (s *Service) PublicDashboard(ctx context.Context, province string, days int) (Dashboard, error) {
	if province == "" {
		return s.nationalDashboard(ctx, days)
	}
	if _, err := s.findProvince(ctx, province); err != nil {
		return Dashboard{}, apperr.InvalidField("province", "reports.error.province_unknown", province)
	}
	return s.dashboard(ctx, province, days)
}

// NationalDashboard is the national dashboard as a signed-in viewer sees it: each province a
// link down to its own dashboard when the viewer may open it (every one for a national
// administrator).
func (s *Service) NationalDashboard(ctx context.Context, days int) (Dashboard, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return Dashboard{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	d, err := s.nationalDashboard(ctx, days)
	if err != nil {
		return d, err
	}
	for i, c := range d.Children {
		d.Children[i].Open = maySeeUnit(actor, authz.ProvincePath(c.Code))
	}
	return d, nil
}

// UnitDashboard returns the dashboard of a unit the actor may see (see maySeeUnit); any other
// unit's dashboard is not found.
func (s *Service) UnitDashboard(ctx context.Context, code string, days int) (Dashboard, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return Dashboard{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	u, err := s.Units.Find(ctx, code)
	if err != nil {
		return Dashboard{}, err
	}
	if !maySeeUnit(actor, u.Path) {
		return Dashboard{}, apperr.Hidden("units.error.not_found", code)
	}
	d, err := s.dashboard(ctx, code, days)
	if err != nil {
		return d, err
	}
	// A district official sees the province's comparison of all districts, but may open only
	// their own: the others are not links (they would answer 404).
	for i, c := range d.Children {
		d.Children[i].Open = d.ChildKind != "team" && maySeeUnit(actor, u.Path+c.Code+"/")
	}
	return d, nil
}

// maySeeUnit: a national administrator sees every dashboard and a province administrator every
// one of its province; the province's own dashboard, an aggregate, is open to everyone who works
// in the province; anybody else sees the dashboards of the subtrees in which they hold a unit
// role, and those of the units above theirs (aggregates of which theirs is a part). Nobody of
// another province sees a province's dashboards here (its public dashboard is the portal's).
func maySeeUnit(actor *authz.Actor, path string) bool {
	province := authz.ProvinceOfPath(path)
	if actor.IsNational() || actor.AdministersProvince(province) || (path == authz.ProvincePath(province) && actor.InProvince(province)) {
		return true
	}
	for _, root := range actor.UnitPaths(authz.UnitAdmin, authz.TeamMember, authz.BridgeOperator) {
		if strings.HasPrefix(path, root) || strings.HasPrefix(root, path) {
			return true
		}
	}
	return false
}

// DefaultDays is the span of the progress chart when none is asked for.
const DefaultDays = 30

func (s *Service) dashboard(ctx context.Context, code string, days int) (Dashboard, error) {
	if days <= 0 {
		days = DefaultDays
	}
	days = min(days, 366)
	u, err := s.Units.Find(ctx, code)
	if err != nil {
		return Dashboard{}, err
	}
	now := s.Now()
	d := Dashboard{Unit: u, ComputedAt: now}
	for _, anc := range u.Ancestors() {
		a, err := s.Units.Find(ctx, anc)
		if err != nil {
			return Dashboard{}, err
		}
		d.Trail = append(d.Trail, a)
	}
	if d.Headline, err = s.fieldsOf(ctx, u.Path); err != nil {
		return Dashboard{}, err
	}
	d.Measure = measureOf(d.Headline)
	switch u.Level {
	case units.Province, units.District:
		// The level below is whichever the tree has: a province's districts (until 30/06/2025)
		// or its communes directly (the two-tier map from 01/07/2025), a district's communes.
		d.ChildKind = string(units.Commune)
		children, err := s.Units.List(ctx, units.Filter{ParentCode: u.Code})
		if err != nil {
			return Dashboard{}, err
		}
		if len(children) > 0 && children[0].Level == units.District {
			d.ChildKind = string(units.District)
		}
		for _, c := range children {
			fields, err := s.childFieldsOf(ctx, u.Path, c.Path)
			if err != nil {
				return Dashboard{}, err
			}
			d.Children = append(d.Children, Child{Code: c.Code, Name: c.Name, Fields: fields, Share: shareOf(fields, d.Measure)})
		}
	case units.Commune:
		d.ChildKind = "team"
		for _, p := range s.Providers() {
			tp, ok := p.(TeamProvider)
			if !ok {
				continue
			}
			teams, err := cached(ctx, s, "t|"+p.Section()+"|"+u.Path, func(ctx context.Context, now time.Time) ([]Team, error) { return tp.Teams(ctx, u.Path, now) })
			if err != nil {
				return Dashboard{}, apperr.Wrap(err, "teams")
			}
			for _, t := range teams {
				for i := range t.Fields {
					t.Fields[i].Section = p.Section()
				}
				d.Children = append(d.Children, Child{Code: fmt.Sprint(t.ID), Name: t.Name, Fields: t.Fields, Share: shareOf(t.Fields, d.Measure)})
			}
		}
	}
	if d.Series, err = s.seriesOf(ctx, u.Path, days, now); err != nil {
		return Dashboard{}, err
	}
	if u.Level == units.Province {
		// District shapes are known (Quảng Ngãi's of 2023); no licensed commune shapes are at
		// hand, so a province whose communes hang directly under it gets the tiles of its
		// communes, and nothing is drawn that is not known.
		if d.ChildKind == string(units.District) {
			if d.Map, err = provinceMap(d.Children); err != nil {
				return Dashboard{}, err
			}
		}
		if len(d.Map) == 0 {
			d.Grid = gridOf(d.Children)
		}
	}
	return d, nil
}

// seriesOf is every SeriesProvider's progress under path over the last days days.
func (s *Service) seriesOf(ctx context.Context, path string, days int, now time.Time) ([]Series, error) {
	from := time.Date(now.In(VietnamTime).Year(), now.In(VietnamTime).Month(), now.In(VietnamTime).Day()-days+1, 0, 0, 0, 0, VietnamTime)
	var out []Series
	for _, p := range s.Providers() {
		sp, ok := p.(SeriesProvider)
		if !ok {
			continue
		}
		series, err := cached(ctx, s, fmt.Sprintf("s|%s|%s|%d", p.Section(), path, days), func(ctx context.Context, now time.Time) ([]Series, error) {
			return sp.Series(ctx, path, from, now)
		})
		if err != nil {
			return nil, apperr.Wrap(err, "series")
		}
		for _, x := range series {
			x.Section = p.Section()
			out = append(out, x)
		}
	}
	return out, nil
}

// nationalDashboard compares the provinces: each province's figures as its own dashboard has
// them (the same cache), the headline and the progress their sums.
func (s *Service) nationalDashboard(ctx context.Context, days int) (Dashboard, error) {
	if days <= 0 {
		days = DefaultDays
	}
	days = min(days, 366)
	provinces, err := s.Units.List(ctx, units.Filter{Level: units.Province})
	if err != nil {
		return Dashboard{}, err
	}
	now := s.Now()
	d := Dashboard{National: true, ChildKind: string(units.Province), ComputedAt: now}
	var series [][]Series
	for _, p := range provinces {
		fields, err := s.fieldsOf(ctx, p.Path)
		if err != nil {
			return Dashboard{}, err
		}
		d.Children = append(d.Children, Child{Code: p.Code, Name: p.Name, Fields: fields})
		ps, err := s.seriesOf(ctx, p.Path, days, now)
		if err != nil {
			return Dashboard{}, err
		}
		series = append(series, ps)
	}
	var all [][]Field
	for _, c := range d.Children {
		all = append(all, c.Fields)
	}
	d.Headline = SumFields(all)
	d.Measure = measureOf(d.Headline)
	for i, c := range d.Children {
		d.Children[i].Share = shareOf(c.Fields, d.Measure)
	}
	d.Series = SumSeries(series)
	d.Grid = gridOf(d.Children)
	return d, nil
}

// SumFields adds up the figures (and targets) of several units by section and key, in the order
// they first appear: every figure a provider gives is a count, so the sum is the count of the
// whole. A figure some units lack (a course of one province) counts 0 for them.
func SumFields(lists [][]Field) []Field {
	var out []Field
	at := map[string]int{}
	for _, fields := range lists {
		for _, f := range fields {
			if f.Unit == PercentUnit {
				continue // a share is not a count: the sum of several units' shares means nothing
			}
			k := f.Section + "|" + f.Key
			i, ok := at[k]
			if !ok {
				at[k] = len(out)
				out = append(out, f)
				continue
			}
			out[i].Value += f.Value
			out[i].Target += f.Target
		}
	}
	return out
}

// SumSeries adds up running totals of several units, day by day: on a day a unit's series has no
// point, its last value before counts (its total so far), and 0 before its first point.
func SumSeries(lists [][]Series) []Series {
	type key struct{ section, key string }
	var order []key
	first := map[key]Series{}
	byKey := map[key][][]Point{}
	for _, list := range lists {
		for _, x := range list {
			k := key{x.Section, x.Key}
			if _, ok := first[k]; !ok {
				order = append(order, k)
				first[k] = x
			}
			byKey[k] = append(byKey[k], x.Points)
		}
	}
	var out []Series
	for _, k := range order {
		var days []string
		seen := map[string]bool{}
		for _, pts := range byKey[k] {
			for _, p := range pts {
				if !seen[p.Day] {
					seen[p.Day] = true
					days = append(days, p.Day)
				}
			}
		}
		sort.Strings(days)
		x := first[k]
		x.Points = make([]Point, len(days))
		for i, day := range days {
			x.Points[i].Day = day
		}
		for _, pts := range byKey[k] {
			j, last := 0, 0.0
			for i, day := range days {
				for j < len(pts) && pts[j].Day <= day {
					last = pts[j].Value
					j++
				}
				if j > 0 {
					x.Points[i].Value += last
				}
			}
		}
		out = append(out, x)
	}
	return out
}

func (s *Service) fieldsOf(ctx context.Context, path string) ([]Field, error) {
	var out []Field
	for _, p := range s.Providers() {
		f, err := s.cachedFields(ctx, p.Section(), path)
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	return out, nil
}

// childFieldsOf is fieldsOf for a child of the unit at parentPath: providers that compute every
// child's figures in one pass are asked once for all of them.
func (s *Service) childFieldsOf(ctx context.Context, parentPath, path string) ([]Field, error) {
	var out []Field
	for _, p := range s.Providers() {
		f, err := s.cachedChildFields(ctx, p.Section(), parentPath, path)
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	return out, nil
}

// measurePreference orders the sections whose target best says how far the campaign has come:
// outreach first, then training, the ceremony and the foundation.
var measurePreference = []string{"outreach", "training", "ceremony", "foundation"}

// MeasureKey is the outreach figure the dashboards compare units on: members who met the
// campaign's target against all members (outreach.Tally.Measure), the public portal map's
// measure too (docs/architecture.md, "One measure for the map and the dashboards").
const MeasureKey = "members_7in7"

// measureOf picks the figure the dashboard compares its children on: outreach's MeasureKey when
// the unit has members, else the figure with a target from the most telling section.
func measureOf(fields []Field) Field {
	for _, f := range fields {
		if f.Section == "outreach" && f.Key == MeasureKey && f.Target > 0 {
			return f
		}
	}
	for _, sec := range measurePreference {
		for _, f := range fields {
			if f.Section == sec && f.Target > 0 {
				return f
			}
		}
	}
	for _, f := range fields {
		if f.Target > 0 {
			return f
		}
	}
	return Field{}
}

func shareOf(fields []Field, m Field) float64 {
	for _, f := range fields {
		if f.Section == m.Section && f.Key == m.Key {
			if f.Target <= 0 {
				return -1
			}
			return f.Value / f.Target
		}
	}
	return -1
}

// OrgDashboard is the dashboard of an organisation subtree.
type OrgDashboard struct {
	OrgID    int64
	OrgPath  string
	Headline []Field
	// Measure is the headline figure with a target the children are compared on (zero when none).
	Measure Field
	// Children are the organisation's own member organisations (schools under a department,
	// branches under a union), each with its figures, for the comparison and the drill-down.
	Children []Child
}

// OrgDashboard computes the figures of an organisation subtree from the providers that can.
// The actor must administer the organisation (an organisation administrator of it or above, an
// administrator of the unit it is located in) or be a national administrator; for anyone else
// it does not exist.
func (s *Service) OrgDashboard(ctx context.Context, orgID int64, orgPath, orgUnitPath string) (OrgDashboard, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return OrgDashboard{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if !actor.IsNational() && !actor.AdministersOrg(orgPath, orgUnitPath) {
		return OrgDashboard{}, apperr.Hidden("orgs.error.not_found")
	}
	d := OrgDashboard{OrgID: orgID, OrgPath: orgPath}
	var err error
	if d.Headline, err = s.orgFields(ctx, orgPath); err != nil {
		return OrgDashboard{}, err
	}
	d.Measure = measureOf(d.Headline)
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT id, name, path FROM orgs WHERE parent_id = ? ORDER BY name", orgID)
	if err != nil {
		return OrgDashboard{}, apperr.Wrap(err, "member organisations")
	}
	type kid struct {
		id         int64
		name, path string
	}
	var kids []kid
	for rows.Next() {
		var k kid
		if err := rows.Scan(&k.id, &k.name, &k.path); err != nil {
			rows.Close()
			return OrgDashboard{}, apperr.Wrap(err, "member organisations")
		}
		kids = append(kids, k)
	}
	rows.Close()
	for _, k := range kids {
		fields, err := s.orgFields(ctx, k.path)
		if err != nil {
			return OrgDashboard{}, err
		}
		d.Children = append(d.Children, Child{Code: strconv.FormatInt(k.id, 10), Name: k.name, Fields: fields, Share: shareOf(fields, d.Measure)})
	}
	return d, nil
}

// orgFields are every OrgProvider's figures for an organisation subtree, at most CacheTTL old.
func (s *Service) orgFields(ctx context.Context, orgPath string) ([]Field, error) {
	var out []Field
	for _, p := range s.Providers() {
		op, ok := p.(OrgProvider)
		if !ok {
			continue
		}
		fields, err := cached(ctx, s, "o|"+p.Section()+"|"+orgPath, func(ctx context.Context, now time.Time) ([]Field, error) {
			return op.OrgFields(ctx, orgPath, now)
		})
		if err != nil {
			return nil, apperr.Wrap(err, "org figures")
		}
		for _, f := range fields {
			f.Section = p.Section()
			out = append(out, f)
		}
	}
	return out, nil
}

// ---- Choropleth ----

// MapShape is one district drawn as an SVG path in a 1000-unit-wide view box.
type MapShape struct {
	Code, Name string
	D          string  // SVG path data
	Share      float64 // -1 when unknown
	// Bucket is 0–4 (share of target met in fifths), -1 when unknown; the page colours by it.
	Bucket int
	// LabelX, LabelY place the district's label at its bounding box centre.
	LabelX, LabelY float64
}

// MapWidth and MapHeight are the SVG view box of the district map, set by the first projection.
var MapWidth, MapHeight float64

// MapSize returns the view box of the district map.
func MapSize() (w, h float64) {
	if _, err := projectDistricts(); err != nil {
		return 1000, 1000
	}
	return MapWidth, MapHeight
}

type geoFeature struct {
	Properties struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"properties"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type projected struct {
	code, name, d  string
	labelX, labelY float64
}

var (
	mapOnce   sync.Once
	mapShapes []projected
	mapErr    error
)

// projectDistricts turns the embedded GeoJSON into SVG paths once: an equirectangular projection
// (longitudes scaled by the cosine of the mid latitude) fitted to the province's bounding box,
// with points closer than half a view-box unit to the previous one dropped.
func projectDistricts() ([]projected, error) {
	mapOnce.Do(func() {
		var fc struct {
			Features []geoFeature `json:"features"`
		}
		if mapErr = json.Unmarshal(units.DistrictsGeoJSON(), &fc); mapErr != nil {
			return
		}
		type poly = [][][2]float64
		all := make([][]poly, len(fc.Features))
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for i, f := range fc.Features {
			var polys []poly
			switch f.Geometry.Type {
			case "MultiPolygon":
				mapErr = json.Unmarshal(f.Geometry.Coordinates, &polys)
			case "Polygon":
				var p poly
				mapErr = json.Unmarshal(f.Geometry.Coordinates, &p)
				polys = []poly{p}
			default:
				mapErr = fmt.Errorf("reports: unexpected geometry %s", f.Geometry.Type)
			}
			if mapErr != nil {
				return
			}
			all[i] = polys
			for _, p := range polys {
				for _, ring := range p {
					for _, pt := range ring {
						minX, maxX = math.Min(minX, pt[0]), math.Max(maxX, pt[0])
						minY, maxY = math.Min(minY, pt[1]), math.Max(maxY, pt[1])
					}
				}
			}
		}
		kx := math.Cos((minY + maxY) / 2 * math.Pi / 180)
		scale := 1000 / ((maxX - minX) * kx)
		MapWidth, MapHeight = 1000, math.Ceil((maxY-minY)*scale)
		for i, f := range fc.Features {
			var b strings.Builder
			bx0, by0, bx1, by1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
			for _, p := range all[i] {
				for _, ring := range p {
					lastX, lastY := math.Inf(1), math.Inf(1)
					for j, pt := range ring {
						x := (pt[0] - minX) * kx * scale
						y := (maxY - pt[1]) * scale
						if j > 0 && j < len(ring)-1 && math.Abs(x-lastX) < 0.5 && math.Abs(y-lastY) < 0.5 {
							continue
						}
						cmd := "L"
						if j == 0 {
							cmd = "M"
						}
						fmt.Fprintf(&b, "%s%.1f %.1f", cmd, x, y)
						lastX, lastY = x, y
						bx0, bx1 = math.Min(bx0, x), math.Max(bx1, x)
						by0, by1 = math.Min(by0, y), math.Max(by1, y)
					}
					b.WriteString("Z")
				}
			}
			mapShapes = append(mapShapes, projected{code: f.Properties.Code, name: f.Properties.Name, d: b.String(), labelX: (bx0 + bx1) / 2, labelY: (by0 + by1) / 2})
		}
	})
	return mapShapes, mapErr
}

// DistrictMap returns the districts' shapes with their share of target met.
func DistrictMap(shares map[string]float64) ([]MapShape, error) {
	shapes, err := projectDistricts()
	if err != nil {
		return nil, apperr.Wrap(err, "district map")
	}
	out := make([]MapShape, 0, len(shapes))
	for _, p := range shapes {
		share, ok := shares[p.code]
		if !ok {
			share = -1
		}
		out = append(out, MapShape{Code: p.code, Name: p.name, D: p.d, Share: share, Bucket: bucket(share), LabelX: p.labelX, LabelY: p.labelY})
	}
	return out, nil
}

// provinceMap is the choropleth of a province's districts: the known shapes of the children, or
// none when the province's shapes are not known.
func provinceMap(children []Child) ([]MapShape, error) {
	shares := map[string]float64{}
	for _, c := range children {
		shares[c.Code] = c.Share
	}
	all, err := DistrictMap(shares)
	if err != nil {
		return nil, err
	}
	var out []MapShape
	for _, m := range all {
		if _, ok := shares[m.Code]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// gridOf is the tiles of the children, for a dashboard without a map.
func gridOf(children []Child) []Tile {
	out := make([]Tile, 0, len(children))
	for _, c := range children {
		out = append(out, Tile{Code: c.Code, Name: c.Name, Share: c.Share, Bucket: bucket(c.Share)})
	}
	return out
}

func bucket(share float64) int {
	if share < 0 {
		return -1
	}
	return min(int(share*5), 4)
}
