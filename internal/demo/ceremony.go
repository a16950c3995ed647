package demo

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/units"
)

// demoProvince is the province the demo's data lies in: its districts (Ba Tơ, Sơn Tây), people and
// organisations are Quảng Ngãi's, so its ceremony and campaign are Quảng Ngãi's too, also on a
// deployment that holds other provinces.
const demoProvince = "51"

// PlanCeremonyTitle is the title of the plan's ceremony, held on 28/07/2023.
const PlanCeremonyTitle = "Lễ phát động Phong trào chuyển đổi số tỉnh Quảng Ngãi"

// ComingCeremonyTitle is the title of the demo's ceremony a few days ahead (see timeline.go).
const ComingCeremonyTitle = "Lễ phát động đợt cao điểm Phong trào chuyển đổi số tỉnh Quảng Ngãi"

// loadPlanCeremony writes the plan's launch ceremony as it happened (once: nothing is added when
// the province holds a ceremony with its title): held on 28/07/2023 at the provincial IOC, its
// bridge points generated from the unit tree, a few of them ready, a technical rehearsal the day
// before, delegates at the main site, its programme run and its button pressed at PlanLaunch.
func loadPlanCeremony(ctx context.Context, s Services) error {
	if s.Ceremony == nil {
		return nil
	}
	if found, err := hasCeremony(ctx, s, PlanCeremonyTitle); err != nil || found {
		return err
	}
	starts := PlanLaunch.Add(-30 * time.Minute)
	c, points, err := newCeremony(ctx, s, PlanCeremonyTitle, starts, starts.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if _, err := readyPoints(ctx, s, c, points); err != nil {
		return err
	}
	if err := mainSite(ctx, s, c, points[0]); err != nil {
		return err
	}
	return launchAt(ctx, s.Ceremony, c, PlanLaunch)
}

// loadComingCeremony writes the province's next ceremony, CeremonyInDays days ahead (once, by
// title): its programme still open to edits, its technical rehearsal held yesterday, the main
// site, three district points and Ba Tơ's first commune ready. The demo operators (diemcau.bato for
// Ba Tơ's district point, diemcau.xa.bato for its first commune's) operate their points through
// their bridge_operator grants; Ba Tơ's district point is left half checked for diemcau.bato to
// finish. To try the launch button (open from 30 minutes before the start), so.tttt moves the
// start to within half an hour at /ceremonies/{id}/edit.
func loadComingCeremony(ctx context.Context, s Services, tl timeline) error {
	if s.Ceremony == nil {
		return nil
	}
	if found, err := hasCeremony(ctx, s, ComingCeremonyTitle); err != nil || found {
		return err
	}
	c, points, err := newCeremony(ctx, s, ComingCeremonyTitle, tl.ceremonyStart(), tl.rehearsal())
	if err != nil {
		return err
	}
	baTo, err := readyPoints(ctx, s, c, points)
	if err != nil {
		return err
	}
	if err := mainSite(ctx, s, c, points[0]); err != nil {
		return err
	}
	if baTo == nil {
		return nil
	}
	if _, err := s.Ceremony.UpdatePoint(ctx, c.ID, baTo.ID, ceremony.PointDetails{Address: "Hội trường UBND huyện Ba Tơ", ContactName: "Nguyễn Thành Công",
		ContactPhone: "0905 000 535", Expected: map[string]int{"district_leaders": 3, "district_departments": 12, "youth_union": 2, "district_team": 15}}); err != nil {
		return err
	}
	// Half the checklist: the demo operator finishes it.
	if _, err := s.Ceremony.SetChecklist(ctx, c.ID, baTo.ID, ceremony.Checklist{Line: true, Camera: true, Microphone: true}); err != nil {
		return err
	}
	for _, d := range []ceremony.Delegate{
		{FullName: "Đinh Văn Hùng", Position: "Chủ tịch UBND huyện", Organisation: "UBND huyện Ba Tơ", Group: "district_leaders"},
		{FullName: "Phạm Thị Lan", Position: "Trưởng phòng Văn hóa và Thông tin", Organisation: "UBND huyện Ba Tơ", Group: "district_departments"},
	} {
		if _, err := s.Ceremony.AddDelegate(ctx, c.ID, baTo.ID, d); err != nil {
			return err
		}
	}
	return nil
}

// hasCeremony tells whether the demo province holds a ceremony with this title.
func hasCeremony(ctx context.Context, s Services, title string) (bool, error) {
	existing, err := s.Ceremony.List(ctx)
	if err != nil {
		return false, err
	}
	for _, c := range existing {
		if c.Province == demoProvince && c.Title == title {
			return true, nil
		}
	}
	return false, nil
}

// newCeremony creates one of the demo province's ceremonies at the provincial IOC with the
// default programme, its bridge points and a technical rehearsal.
func newCeremony(ctx context.Context, s Services, title string, starts, rehearsal time.Time) (ceremony.Ceremony, []ceremony.Point, error) {
	province, err := s.Units.Find(ctx, demoProvince)
	if err != nil {
		return ceremony.Ceremony{}, nil, err
	}
	where := units.InSentence(province.Name)
	c, err := s.Ceremony.Create(ctx, ceremony.Ceremony{
		Province:      demoProvince,
		Title:         title,
		StartsAt:      starts,
		Venue:         "Trung tâm Giám sát, điều hành đô thị thông minh (IOC) " + where,
		VCProvider:    "Hệ thống hội nghị truyền hình trực tuyến của tỉnh",
		RoomLink:      "https://hop.quangngai.gov.vn/le-phat-dong",
		LivestreamURL: "https://www.youtube.com/live/lantoa-demo",
	})
	if err != nil {
		return c, nil, err
	}
	if _, err := s.Ceremony.GeneratePoints(ctx, c.ID); err != nil {
		return c, nil, err
	}
	if _, err := s.Ceremony.ScheduleRehearsal(ctx, c.ID, ceremony.Rehearsal{StartsAt: rehearsal, Note: "Tổng duyệt kỹ thuật với các điểm cầu cấp huyện"}); err != nil {
		return c, nil, err
	}
	points, err := s.Ceremony.ListPoints(ctx, c.ID, ceremony.PointFilter{})
	return c, points, err
}

// readyPoints completes the checklist of the main site, of three district points other than Ba
// Tơ's and of Ba Tơ's first commune (diemcau.xa.bato's); it returns Ba Tơ's district point.
func readyPoints(ctx context.Context, s Services, c ceremony.Ceremony, points []ceremony.Point) (*ceremony.Point, error) {
	var baTo, baToCommune *ceremony.Point
	full := ceremony.Checklist{Line: true, Camera: true, Microphone: true, Screen: true, Sound: true, Rehearsal: true}
	districts := 0
	for i := range points {
		p := &points[i]
		switch {
		case p.Level == ceremony.Main:
		case p.Level == ceremony.District && p.UnitCode == "535":
			baTo = p
			continue
		case p.Level == ceremony.District && districts < 3:
			districts++
		case p.Level == ceremony.Commune && p.DistrictCode == "535" && baToCommune == nil:
			baToCommune = p
		default:
			continue
		}
		if _, err := s.Ceremony.SetChecklist(ctx, c.ID, p.ID, full); err != nil {
			return nil, err
		}
	}
	return baTo, nil
}

// mainSite fills the main site's details and its delegates.
func mainSite(ctx context.Context, s Services, c ceremony.Ceremony, main ceremony.Point) error {
	if _, err := s.Ceremony.UpdatePoint(ctx, c.ID, main.ID, ceremony.PointDetails{Address: "Trung tâm IOC, số 52 Hùng Vương, TP. Quảng Ngãi",
		ContactName: "Võ Minh Kỹ", ContactPhone: "0255 3822 000", Expected: map[string]int{"province_leaders": 4, "steering_committee": 20, "department_heads": 30, "union_leaders": 10}}); err != nil {
		return err
	}
	for _, d := range []ceremony.Delegate{
		{FullName: "Trần Phước Hiền", Position: "Phó Chủ tịch UBND tỉnh", Organisation: "UBND tỉnh Quảng Ngãi", Group: "province_leaders"},
		{FullName: "Nguyễn Thị Thanh Hà", Position: "Giám đốc", Organisation: "Sở Thông tin và Truyền thông", Group: "department_heads"},
		{FullName: "Lê Văn Tuấn", Position: "Bí thư Tỉnh đoàn", Organisation: "Tỉnh đoàn Quảng Ngãi", Group: "union_leaders"},
	} {
		if _, err := s.Ceremony.AddDelegate(ctx, c.ID, main.ID, d); err != nil {
			return err
		}
	}
	return nil
}

// PlanLaunch is the moment the plan's movement was launched in Quảng Ngãi: 28/07/2023, 8:30.
var PlanLaunch = time.Date(2023, 7, 28, 8, 30, 0, 0, ceremony.VietnamTime)

// launchAt runs a ceremony's programme to its last step and presses its button so that the launch
// falls at `at`: the service's clock is set back for the press, as a ceremony of the past was.
func launchAt(ctx context.Context, cs *ceremony.Service, c ceremony.Ceremony, at time.Time) error {
	c, err := cs.SetStep(ctx, c.ID, len(c.Steps))
	if err != nil {
		return err
	}
	clock := cs.Now
	pressed := at.Add(-ceremony.LaunchDelay - time.Second)
	cs.Now = func() time.Time { return pressed }
	defer func() { cs.Now = clock }()
	_, err = cs.Launch(ctx, c.ID)
	return err
}
