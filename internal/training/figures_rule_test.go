package training

import (
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/apperr/apperrtest"
	"github.com/lantoa/lantoa/internal/platform/authz"
)

func TestFigureFilterNormalize(t *testing.T) {
	for _, tc := range []struct {
		name        string
		f           FigureFilter
		view        string
		field, msg  string
		wantInvalid bool
	}{
		{name: "default view", f: FigureFilter{CourseID: 1}, view: ViewNow},
		{name: "as it is now", f: FigureFilter{CourseID: 1, View: ViewNow}, view: ViewNow},
		{name: "as it was", f: FigureFilter{CourseID: 1, View: ViewWas}, view: ViewWas},
		{name: "no course", f: FigureFilter{View: "bogus"}, wantInvalid: true, field: "course", msg: "Chưa chọn khóa học."},
		{name: "unknown view", f: FigureFilter{CourseID: 1, View: "then"}, wantInvalid: true, field: "view", msg: `Chế độ xem phải là "now" (hiện nay) hoặc "was" (trước đây).`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.normalize()
			if !tc.wantInvalid {
				if err != nil || tc.f.View != tc.view {
					t.Fatalf("view %q, %v; want %q", tc.f.View, err, tc.view)
				}
				return
			}
			apperrtest.WantRefusal(t, err, apperr.Invalid, tc.msg)
			if f := apperr.As(err).Field; f != tc.field {
				t.Errorf("field %q, want %q", f, tc.field)
			}
		})
	}
}

var (
	national      = &authz.Actor{Grants: []authz.Grant{{Role: authz.NationalAdmin, UnitPath: "/"}}}
	quangNgai     = &authz.Actor{Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitCode: "51", UnitPath: "/51/"}}}
	twoProvinces  = &authz.Actor{Grants: []authz.Grant{{Role: authz.ProvinceAdmin, UnitPath: "/51/"}, {Role: authz.ProvinceAdmin, UnitPath: "/01/"}}}
	baTo          = &authz.Actor{Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitCode: "535", UnitPath: "/51/535/"}}}
	twoDistricts  = &authz.Actor{Grants: []authz.Grant{{Role: authz.UnitAdmin, UnitPath: "/51/535/"}, {Role: authz.UnitAdmin, UnitPath: "/51/522/"}}}
	schoolOfBaTo  = &authz.Actor{Grants: []authz.Grant{{Role: authz.OrgAdmin, UnitPath: "/51/535/", OrgID: 9, OrgPath: "/3/9/"}}}
	provinceCours = Course{ID: 7, Province: "51"}
	nationalCours = Course{ID: 8}
)

func TestFigureTopOf(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a        *authz.Actor
		c        Course
		top      figureTop
		province string
	}{
		{"national administrator, province course", national, provinceCours, topProvince, "51"},
		{"national administrator, national course", national, nationalCours, topProvinces, ""},
		{"province administrator, own course", quangNgai, provinceCours, topProvince, "51"},
		{"province administrator, national course: their province's part", quangNgai, nationalCours, topProvince, "51"},
		{"administrator of two provinces, national course", twoProvinces, nationalCours, topProvinces, ""},
		{"district administrator", baTo, provinceCours, topOwnUnits, ""},
		{"district administrator, national course", baTo, nationalCours, topOwnUnits, ""},
		{"administrator of two districts", twoDistricts, provinceCours, topOwnUnits, ""},
		{"organisation administrator, province course", schoolOfBaTo, provinceCours, topProvince, "51"},
		{"organisation administrator, national course: their province's part", schoolOfBaTo, nationalCours, topProvince, "51"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if top, province := figureTopOf(tc.a, tc.c); top != tc.top || province != tc.province {
				t.Errorf("top %d %q, want %d %q", top, province, tc.top, tc.province)
			}
		})
	}
}

func TestFigureParentKey(t *testing.T) {
	for _, tc := range []struct {
		f    FigureFilter
		path string
		want string
	}{
		{FigureFilter{Parent: "535"}, "/51/535/", "535"},
		{FigureFilter{Parent: "/51/522/21037/"}, "/51/522/21037/", "21037"},
		{FigureFilter{}, "/51/", "51"}, // a province's children without a named parent
		{FigureFilter{By: "org", Parent: "9"}, "/3/9/", "9"},
		{FigureFilter{By: "org", Level: "commune", Parent: "535"}, "/51/535/", "535"}, // a leaderboard is of units
	} {
		if got := (figureParent{path: tc.path}).key(tc.f); got != tc.want {
			t.Errorf("%+v at %s: key %q, want %q", tc.f, tc.path, got, tc.want)
		}
	}
}

// planFigures is tested for what it decides; what its SQL selects is tested on both engines by
// the store tests (figures_*_test.go, province_test.go).
func TestPlanFigures(t *testing.T) {
	district := figureParent{path: "/51/535/", name: "Huyện Ba Tơ"}
	for _, tc := range []struct {
		name        string
		a           *authz.Actor
		f           FigureFilter
		parent      figureParent
		col         string
		direct      bool
		leaderboard bool
		limit       int
		rows        string // a part of the rows' SQL that shows which rows they are
		msg         string
	}{
		{name: "a province's children", a: quangNgai, f: FigureFilter{View: ViewNow}, parent: figureParent{path: "/51/"},
			col: "e.unit_path", direct: true, limit: 1000, rows: "x.parent_path = ?"},
		{name: "a district's children as they were", a: quangNgai, f: FigureFilter{Parent: "535", View: ViewWas, Limit: 20}, parent: district,
			col: "e.was_unit_path", direct: true, limit: 20, rows: "x.parent_path = ?"},
		{name: "a district administrator's own units", a: twoDistricts, f: FigureFilter{View: ViewNow},
			col: "e.unit_path", limit: 1000, rows: "x.path IN (?, ?)"},
		{name: "the provinces", a: national, f: FigureFilter{View: ViewNow, Limit: -1},
			col: "e.unit_path", limit: 1000, rows: "x.level = 'province'"},
		{name: "a leaderboard of communes", a: quangNgai, f: FigureFilter{Level: "commune", By: "org", View: ViewNow, Limit: 5000},
			col: "e.unit_path", leaderboard: true, limit: 1000, rows: "x.level = ?"},
		{name: "a leaderboard below a named parent is still of the level", a: quangNgai, f: FigureFilter{Level: "district", Parent: "535", View: ViewNow}, parent: district,
			col: "e.unit_path", leaderboard: true, limit: 1000, rows: "x.level = ?"},
		{name: "an unknown level", a: quangNgai, f: FigureFilter{Level: "hamlet", View: ViewNow}, msg: "Cấp đơn vị phải là province, district, commune hoặc village."},
		{name: "top organisations", a: quangNgai, f: FigureFilter{By: "org", View: ViewNow},
			col: "e.org_path", limit: 1000, rows: "FROM orgs x"},
		{name: "an organisation's children as they were", a: schoolOfBaTo, f: FigureFilter{By: "org", Parent: "9", View: ViewWas},
			parent: figureParent{path: "/3/9/"}, col: "e.was_org_path", direct: true, limit: 1000, rows: "CAST(x.parent_id AS TEXT) = ?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planFigures(tc.a, provinceCours, tc.f, tc.parent)
			if tc.msg != "" {
				apperrtest.WantRefusal(t, err, apperr.Invalid, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.col != tc.col || p.direct != tc.direct || p.leaderboard != tc.leaderboard || p.limit != tc.limit || p.was != (tc.f.View == ViewWas) {
				t.Errorf("plan col %s direct %v leaderboard %v limit %d was %v, want %s %v %v %d %v", p.col, p.direct, p.leaderboard, p.limit, p.was,
					tc.col, tc.direct, tc.leaderboard, tc.limit, tc.f.View == ViewWas)
			}
			if !strings.Contains(p.rowsSQL, tc.rows) || strings.Count(p.rowsSQL, "?") != len(p.rowArgs) {
				t.Errorf("rows %q with %d arguments, want %q", p.rowsSQL, len(p.rowArgs), tc.rows)
			}
			enrol := figureScope(tc.a)
			q, args := p.query(7, enrol)
			if strings.Count(q, "?") != len(args) || args[len(args)-1] != p.limit || args[len(p.rowArgs)] != int64(7) {
				t.Errorf("query with %d placeholders has %d arguments %v", strings.Count(q, "?"), len(args), args)
			}
			if order := "ORDER BY r.name"; p.leaderboard == strings.Contains(q, order) {
				t.Errorf("leaderboard %v, query %q", p.leaderboard, q)
			}
		})
	}
}

func TestParentRows(t *testing.T) {
	parent := figureParent{path: "/51/535/", name: "Huyện Ba Tơ"}
	row := func(key string, enrolled, started, passed int) FigureRow {
		return FigureRow{Key: key, Path: "/51/535/" + key + "/", Enrolled: enrolled, Started: started, Passed: passed, PassRate: passRate(passed, enrolled)}
	}
	children := []FigureRow{row("21001", 10, 8, 4), row("21002", 20, 10, 5)}
	direct := FigureRow{Key: "535", Path: "/51/535/", Name: "Huyện Ba Tơ", Direct: true, Enrolled: 6, Started: 3, Passed: 3, PassRate: 50}
	earlier := func(enrolled, started, passed int) FigureRow {
		return FigureRow{Key: "535", Path: "/51/535/", Name: "Huyện Ba Tơ", Earlier: true, Enrolled: enrolled, Started: started, Passed: passed, PassRate: passRate(passed, enrolled)}
	}
	own := Totals{Enrolled: 6, Started: 3, Passed: 3, PassRate: 50}
	for _, tc := range []struct {
		name     string
		children []FigureRow
		own, all Totals
		was      bool
		limit    int
		want     []FigureRow
	}{
		{name: "children add up", children: children, all: Totals{Enrolled: 30, Started: 18, Passed: 9}, limit: 1000, want: children},
		{name: "the parent's own people", children: children, own: own, all: Totals{Enrolled: 36, Started: 21, Passed: 12}, limit: 1000,
			want: append(children[:2:2], direct)},
		{name: "people of an earlier unit in no child", children: children, all: Totals{Enrolled: 33, Started: 19, Passed: 10}, limit: 1000,
			want: append(children[:2:2], earlier(3, 1, 1))},
		{name: "both", children: children, own: own, all: Totals{Enrolled: 43, Started: 22, Passed: 13}, limit: 1000,
			want: append(children[:2:2], direct, earlier(7, 1, 1))},
		{name: "no children", own: own, all: Totals{Enrolled: 10, Started: 5, Passed: 4}, limit: 1000,
			want: []FigureRow{direct, earlier(4, 2, 1)}},
		{name: "earlier people who started nothing", children: children, all: Totals{Enrolled: 31, Started: 18, Passed: 9}, limit: 1000,
			want: append(children[:2:2], earlier(1, 0, 0))},
		{name: "as it was every row is a unit of its own", children: children, own: own, all: Totals{Enrolled: 99}, was: true, limit: 1000,
			want: append(children[:2:2], direct)},
		{name: "the limit reached leaves the earlier row out", children: children, own: own, all: Totals{Enrolled: 43, Started: 22, Passed: 13}, limit: 3,
			want: append(children[:2:2], direct)},
		{name: "the limit reached by the children still shows the parent's own", children: children, own: own, all: Totals{Enrolled: 43}, limit: 2,
			want: append(children[:2:2], direct)},
		{name: "the limit leaves room", children: children, all: Totals{Enrolled: 33, Started: 19, Passed: 10}, limit: 3,
			want: append(children[:2:2], earlier(3, 1, 1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]FigureRow(nil), tc.children...)
			got := parentRows(in, "535", parent, tc.own, tc.all, tc.was, tc.limit)
			if len(got) != len(tc.want) {
				t.Fatalf("rows %+v,\nwant %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("row %d %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
