package training

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// A course belongs to a province (Course.Province, the GSO code) or is national (""). The
// province is the tenant boundary, decided here for every method of the module:
//
//   - Seeing a course: anyone sees a published national course; a signed-in actor sees a province's
//     courses when it takes part in that province (holds a grant there) or is a national
//     administrator; an anonymous visitor sees every published course (the catalogue is public, as
//     the unit tree is). A course outside the actor's provinces answers "not found"
//     (apperr.Hidden, audited by the web layer); a draft is seen only by those who may change it
//     and by national administrators, who read everything.
//   - Changing a course (settings, modules, lessons, question bank and its export, publication,
//     revocation of its certificates): authz.MayChange of the course's province object — the
//     province's administrator for a province course, a national administrator for a national
//     one. A national administrator changes no province's course (403).
//   - Taking part in a course (enrolling, starting the exam, marking lessons, and for
//     administrators enrolling their people and giving extra time): a national course is open to
//     everyone; a province course to the people of that province.

// coursePath is the unit path a course hangs on: its province, or "/" for a national course. Audit
// entries about the course carry it, so that each province reads its own.
func coursePath(c Course) string { return authz.ProvincePath(c.Province) }

// MayCreate tells whether the actor may create courses at all: a province administrator (for its
// province) or a national administrator (national courses).
func MayCreate(a *authz.Actor) bool {
	return a != nil && (len(a.AdminProvinces()) > 0 || a.IsNational())
}

// DefaultProvince is the province a course created by the actor belongs to when the request names
// none: the one province it administers, else "" (national: for a national administrator; anyone
// else is then refused by CreateCourse).
func DefaultProvince(a *authz.Actor) string {
	if a == nil {
		return ""
	}
	if p := a.AdminProvinces(); len(p) == 1 {
		return p[0]
	}
	return ""
}

// MayManage tells whether the actor may change c (pages show the course's controls by it).
func MayManage(a *authz.Actor, c Course) bool {
	return a != nil && a.MayChange(authz.ProvinceObject(c.Province))
}

// sees tells whether the actor may read c, drafts aside (an anonymous visitor reads the public
// catalogue).
func sees(a *authz.Actor, c Course) bool {
	return a == nil || a.SeesProvince(c.Province, true)
}

// takesPart tells whether the actor belongs to the people c is for: everyone for a national
// course, the people of its province for a province course (and whoever may change the course).
func takesPart(a *authz.Actor, c Course) bool {
	return c.Province == "" || slices.Contains(a.Provinces(), c.Province) || MayManage(a, c)
}

// checkVisible refuses a course the actor may not read: another province's course is hidden
// (404, audited), a draft is not found for those who may not see drafts.
func checkVisible(a *authz.Actor, c Course) error {
	if !sees(a, c) {
		return apperr.Hidden("training.error.course_not_found")
	}
	if c.Status == Draft && !MayManage(a, c) && !a.IsNational() {
		return apperr.New(apperr.NotFound, "training.error.course_not_found")
	}
	return nil
}

// visibleCourse loads a course the actor may read.
func (s *Service) visibleCourse(ctx context.Context, q db.Querier, id int64) (Course, error) {
	c, err := s.findCourse(ctx, q, id)
	if err != nil {
		return Course{}, err
	}
	return c, checkVisible(authz.ActorFrom(ctx), c)
}

// manageableCourse loads a course for a change: not found (hidden) for whoever does not see it,
// forbidden for whoever sees it but may not change it.
func (s *Service) manageableCourse(ctx context.Context, q db.Querier, id int64) (Course, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return Course{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	c, err := s.findCourse(ctx, q, id)
	if err != nil {
		return Course{}, err
	}
	if !sees(a, c) {
		return Course{}, apperr.Hidden("training.error.course_not_found")
	}
	if !MayManage(a, c) {
		return Course{}, apperr.New(apperr.Forbidden, "training.error.manage_forbidden")
	}
	return c, nil
}

// participableCourse loads a course the actor takes part in (enrolment, an attempt, a lesson, an
// administrator's enrolment of their people): a province course of another province is hidden;
// one the actor sees without belonging to its province (a national administrator) is forbidden.
func (s *Service) participableCourse(ctx context.Context, q db.Querier, id int64) (Course, error) {
	a := authz.ActorFrom(ctx)
	if a == nil {
		return Course{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	c, err := s.visibleCourse(ctx, q, id)
	if err != nil {
		return Course{}, err
	}
	if !takesPart(a, c) {
		return Course{}, apperr.New(apperr.Forbidden, "training.error.other_province")
	}
	return c, nil
}

// provinceName is the official name of the province with code ("Tỉnh Quảng Ngãi"), "" when the
// unit tree does not have it: the province in force, else its latest version (a province merged
// away by the reform of 2025 still names its own courses).
func (s *Service) provinceName(ctx context.Context, q db.Querier, code string) (string, error) {
	if code == "" {
		return "", nil
	}
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM units WHERE code = ? AND level = 'province'
		ORDER BY CASE WHEN valid_to = '' THEN 0 ELSE 1 END, valid_from DESC LIMIT 1`, code).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, apperr.Wrap(err, "province name")
}

// ManagedCourse returns a course the actor may change, for a page or an upload that must know
// before it reads the request's body: another province's course is not found, one the actor sees
// but may not change is forbidden.
func (s *Service) ManagedCourse(ctx context.Context, id int64) (Course, error) {
	return s.manageableCourse(ctx, s.DB.Reader(), id)
}

// CourseToTake returns a course the signed-in actor may take (its exam page): another province's
// course is not found; a province's course is forbidden to those outside the province (a national
// administrator reads it, but takes no province's exam).
func (s *Service) CourseToTake(ctx context.Context, id int64) (Course, error) {
	return s.participableCourse(ctx, s.DB.Reader(), id)
}
