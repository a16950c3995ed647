// Package demo loads realistic demonstration data on top of the unit tree: the organisations the
// plan names and one or more users of every role, so that every page has something to show.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// Password is the password of every demo user. Demo data is for trying Lan Tỏa out, never for a
// real deployment, where every account is created by an administrator.
const Password = "lantoa-demo-2023"

// TOTPSecret is the second factor of every demo administrator when the deployment requires one
// (serve --demo with --require-staff-2fa, the default): type it into an authenticator app
// (time-based, six digits, 30 s) to sign in as so.tttt, ubnd.bato, tinhdoan… Like Password it is
// published, so a demo is never a real deployment.
const TOTPSecret = "LANTOADEMOQUANGNGAIPHONGTRAOCDSO" // #nosec G101 -- published on purpose, see above

// Services are what the loader writes through, so the demo data obeys every rule real data does.
type Services struct {
	Units    *units.Service
	Orgs     *orgs.Service
	Accounts *accounts.Service
	// Training, when set, gets the demo course (see training.go).
	Training *training.Service
	// Outreach, when set, gets the demo teams, campaign and records (see outreach.go).
	Outreach *outreach.Service
	// Reports, when set, gets the plan's report of 2023 and the campaign's report period with
	// the districts' reports (see reports.go).
	Reports *reports.Service
	// Portal, when set, gets demonstration news and communication items (see portal.go).
	Portal *portal.Service
	// Ceremony, when set, gets the plan's launch ceremony of 2023 and the coming one, with their
	// bridge points (see ceremony.go).
	Ceremony *ceremony.Service
	// Events, when set, gets a few launch events of Ba Tơ and the province's bodies (see events.go).
	Events *launchevents.Service
}

type orgSeed struct {
	key, name, short string
	kind             orgs.Kind
	unit, parent     string
}

// The organisations section IV of the plan names, plus schools and enterprises that mobilise
// learners.
var orgSeeds = []orgSeed{
	{"stttt", "Sở Thông tin và Truyền thông", "Sở TT&TT", orgs.Department, "51", ""},
	{"vpubnd", "Văn phòng UBND tỉnh", "VP UBND", orgs.Department, "51", ""},
	{"sogddt", "Sở Giáo dục và Đào tạo", "Sở GD&ĐT", orgs.Department, "51", ""},
	{"sonv", "Sở Nội vụ", "", orgs.Department, "51", ""},
	{"soyt", "Sở Y tế", "", orgs.Department, "51", ""},
	{"tinhdoan", "Tỉnh đoàn Quảng Ngãi", "Tỉnh đoàn", orgs.Union, "51", ""},
	{"hlhpn", "Hội Liên hiệp Phụ nữ tỉnh", "Hội LHPN", orgs.Union, "51", ""},
	{"hnd", "Hội Nông dân tỉnh", "", orgs.Union, "51", ""},
	{"lhhkhkt", "Liên hiệp các Hội Khoa học - Kỹ thuật tỉnh", "Liên hiệp Hội KH-KT", orgs.Union, "51", ""},
	{"baoqn", "Báo Quảng Ngãi", "", orgs.Media, "51", ""},
	{"daiptth", "Đài Phát thanh và Truyền hình Quảng Ngãi", "Đài PT&TH", orgs.Media, "51", ""},
	{"dhpvd", "Trường Đại học Phạm Văn Đồng", "ĐH Phạm Văn Đồng", orgs.University, "522", ""},
	{"dhtckt", "Trường Đại học Tài chính - Kế toán", "", orgs.University, "533", ""},
	{"cdktcn", "Trường Cao đẳng Kỹ thuật Công nghiệp Quảng Ngãi", "", orgs.College, "522", ""},
	{"thpt-tqt", "Trường THPT chuyên Lê Khiết", "", orgs.School, "522", "sogddt"},
	{"thpt-bato", "Trường THPT Ba Tơ", "", orgs.School, "535", "sogddt"},
	{"thcs-bato", "Trường THCS thị trấn Ba Tơ", "", orgs.School, "535", ""},
	{"hd-bato", "Huyện đoàn Ba Tơ", "", orgs.Union, "535", "tinhdoan"},
	{"hd-sontay", "Huyện đoàn Sơn Tây", "", orgs.Union, "530", "tinhdoan"},
	{"vnpt", "VNPT Quảng Ngãi", "", orgs.Enterprise, "522", ""},
	{"viettel", "Viettel Quảng Ngãi", "", orgs.Enterprise, "522", ""},
}

type userSeed struct {
	username, name string
	role           authz.Role
	unit, org      string // unit code, or "first commune of" + district code as "c:535"
}

var userSeeds = []userSeed{
	{"so.tttt", "Nguyễn Văn Hùng", authz.ProvinceAdmin, "51", ""},
	{"ubnd.bato", "Phạm Thị Lan", authz.UnitAdmin, "535", ""},
	{"ubnd.sontay", "Đinh Văn Tâm", authz.UnitAdmin, "530", ""},
	{"ubnd.ducpho", "Lê Minh Đức", authz.UnitAdmin, "534", ""},
	{"xa.bato", "Phạm Văn Sơn", authz.UnitAdmin, "c:535", ""},
	{"tinhdoan", "Trần Thị Thu Hà", authz.OrgAdmin, "", "tinhdoan"},
	{"sogddt", "Võ Văn Nam", authz.OrgAdmin, "", "sogddt"},
	{"thpt.bato", "Đinh Thị Mai", authz.OrgAdmin, "", "thpt-bato"},
	{"tocnscd.bato.1", "Phạm Văn Tới", authz.TeamMember, "c:535", ""},
	{"tocnscd.bato.2", "Đinh Thị Hoa", authz.TeamMember, "c:535", ""},
	{"tocnscd.sontay.1", "Đinh Văn Lực", authz.TeamMember, "c:530", ""},
	{"diemcau.bato", "Nguyễn Thành Công", authz.BridgeOperator, "535", ""},
	{"diemcau.xa.bato", "Phạm Quốc Việt", authz.BridgeOperator, "c:535", ""},
	{"hocvien.bato", "Đinh Văn Bình", authz.Learner, "", "thpt-bato"},
	{"hocvien.dan", "Trương Thị Thảo", authz.Learner, "c:522", ""},
}

// enrolStaff gives a demo administrator the published second factor (TOTPSecret) when the
// deployment requires one of administrators, so that the demo can be tried with an authenticator
// app instead of turning the rule off.
func enrolStaff(ctx context.Context, s Services, u userSeed, id int64) error {
	if !s.Accounts.RequireStaffSecondFactor || !accounts.StaffRole(u.role) {
		return nil
	}
	if err := s.Accounts.EnrolWithSecret(ctx, id, TOTPSecret); err != nil {
		return fmt.Errorf("demo user %s: second factor: %w", u.username, err)
	}
	return nil
}

// Load adds the demo organisations and users that are not there yet, so it can run again after
// an interruption, with the plan's 2023 ceremony and report as history and a movement under way
// around today (timeline.go). It returns the usernames it created.
func Load(ctx context.Context, s Services) ([]string, error) {
	return load(ctx, s, true)
}

// load is the plan's demo: its organisations, people, course, teams and news, the plan's ceremony
// and report period of 2023 as they happened, and, with present, the coming ceremony and the report
// period of the campaign under way. The 2025 scenario builds its own present on the 2025 map.
func load(ctx context.Context, s Services, present bool) ([]string, error) {
	tl := newTimeline(time.Now())
	ctx = authz.WithActor(ctx, authz.System)
	ids := map[string]int64{}
	for _, o := range orgSeeds {
		created, err := s.Orgs.Create(ctx, orgs.Org{Name: o.name, ShortName: o.short, Kind: o.kind, UnitCode: o.unit, ParentID: ids[o.parent]})
		if apperr.Is(err, apperr.Conflict) {
			existing, lerr := s.Orgs.List(ctx, orgs.Filter{Query: o.name, ParentID: ids[o.parent], Roots: ids[o.parent] == 0})
			if lerr != nil {
				return nil, lerr
			}
			for _, e := range existing {
				if e.Name == o.name {
					created, err = e, nil
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo org %s: %w", o.key, err)
		}
		ids[o.key] = created.ID
	}
	var made []string
	for _, u := range userSeeds {
		if existing, err := s.Accounts.FindByUsername(ctx, u.username); err == nil {
			// A demo started before with the requirement off gets its administrators' factor now.
			if err := enrolStaff(ctx, s, u, existing.ID); err != nil {
				return nil, err
			}
			continue
		}
		unit := u.unit
		if len(unit) > 2 && unit[:2] == "c:" {
			communes, err := s.Units.List(ctx, units.Filter{ParentCode: unit[2:], Limit: 1})
			if err != nil || len(communes) == 0 {
				return nil, fmt.Errorf("demo user %s: no commune under %s", u.username, unit[2:])
			}
			unit = communes[0].Code
		}
		created, err := s.Accounts.CreateUser(ctx, accounts.NewUser{Username: u.username, DisplayName: u.name, Password: Password,
			Role: u.role, UnitCode: unit, OrgID: ids[u.org]})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.username, err)
		}
		if err := enrolStaff(ctx, s, u, created.ID); err != nil {
			return nil, err
		}
		made = append(made, u.username)
	}
	if err := loadTraining(ctx, s); err != nil {
		return nil, fmt.Errorf("demo training: %w", err)
	}
	if err := loadOutreach(ctx, s, tl); err != nil {
		return nil, fmt.Errorf("demo outreach: %w", err)
	}
	if err := loadPortal(ctx, s); err != nil {
		return nil, fmt.Errorf("demo portal: %w", err)
	}
	if err := loadEvents(ctx, s); err != nil {
		return nil, fmt.Errorf("demo launch events: %w", err)
	}
	if err := loadPlanCeremony(ctx, s); err != nil {
		return nil, fmt.Errorf("demo ceremony: %w", err)
	}
	// After the ceremony: a report snapshots every section's figures when it is submitted, the
	// ceremony's (the province's latest) included, so the 2023 reports go before the coming
	// ceremony exists.
	if err := loadPlanReports(ctx, s); err != nil {
		return nil, fmt.Errorf("demo reports: %w", err)
	}
	if !present {
		return made, nil
	}
	if err := loadHeadcounts(ctx, s); err != nil {
		return nil, fmt.Errorf("demo headcounts: %w", err)
	}
	if err := loadComingCeremony(ctx, s, tl); err != nil {
		return nil, fmt.Errorf("demo coming ceremony: %w", err)
	}
	if err := loadCampaignReports(ctx, s, tl); err != nil {
		return nil, fmt.Errorf("demo campaign reports: %w", err)
	}
	return made, nil
}
