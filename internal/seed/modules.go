package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/textfold"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// training hands the learners to training's generator: enrolments, attempts and certificates.
func (g *gen) training(ctx context.Context) error {
	ls := make([]training.GenLearner, len(g.learnerIDs))
	for i, id := range g.learnerIDs {
		p := g.plans[i]
		ls[i] = training.GenLearner{UserID: id, UnitCode: p.commune.Code, OrgID: p.org.ID, Audience: p.audience}
	}
	g.bar.start("Khóa học, bài thi / training", int64(len(ls)))
	_, err := training.Generate(ctx, g.s.DB, training.GenSpec{Seed: g.rng.Uint64(), Learners: ls, Now: g.o.Now,
		Progress: func(n int) { g.bar.set(int64(n)) }})
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	g.bar.finish()
	g.plans = nil
	return nil
}

// ceremony has every province hold its launch ceremony: created, its bridge points generated
// from the province's own tree, four in five of them marked ready as on the eve, and — when the
// seed's launch moment is past — its programme run and its button pressed.
func (g *gen) ceremony(ctx context.Context) error {
	if g.s.Ceremony == nil {
		return nil
	}
	// The programme starts half an hour before the button, but on the launch's own day: the
	// button only works until the ceremony day's midnight.
	starts := g.o.Launch.Add(-30 * time.Minute)
	if y, m, d := g.o.Launch.In(ceremony.VietnamTime).Date(); starts.Before(time.Date(y, m, d, 0, 0, 0, 0, ceremony.VietnamTime)) {
		starts = time.Date(y, m, d, 0, 0, 0, 0, ceremony.VietnamTime)
	}
	g.bar.start("Lễ phát động, điểm cầu / ceremonies, bridge points", int64(len(g.provinces)+len(g.districts)+len(g.communes)))
	for _, p := range g.provinces {
		n, at, err := g.provinceCeremony(ctx, p, starts)
		if err != nil {
			return fmt.Errorf("ceremony of %s: %w", p.Code, err)
		}
		g.res.BridgePoints += n
		g.res.Ceremonies++
		if !at.IsZero() {
			g.res.LaunchedAt = at
		}
	}
	g.bar.finish()
	return nil
}

func (g *gen) provinceCeremony(ctx context.Context, p units.Unit, starts time.Time) (points int, launched time.Time, err error) {
	in := units.InSentence(p.Name)
	c, err := g.s.Ceremony.Create(ctx, ceremony.Ceremony{
		Province: p.Code,
		Title:    g.ceremonyTitle + in,
		StartsAt: starts, Venue: "Trung tâm Giám sát, điều hành đô thị thông minh (IOC) " + in,
		VCProvider: "Hệ thống hội nghị truyền hình " + in,
		RoomLink:   "https://hop." + textfold.Slug(units.PlaceName(p.Name)) + ".gov.vn/le-phat-dong",
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	if _, err := g.s.Ceremony.GeneratePoints(ctx, c.ID); err != nil {
		return 0, time.Time{}, fmt.Errorf("bridge points: %w", err)
	}
	list, err := g.s.Ceremony.ListPoints(ctx, c.ID, ceremony.PointFilter{})
	if err != nil {
		return 0, time.Time{}, err
	}
	for _, pt := range list {
		if g.rng.IntN(5) > 0 {
			if _, err := g.s.Ceremony.SetChecklist(ctx, c.ID, pt.ID, ceremony.Checklist{Line: true, Camera: true, Microphone: true,
				Screen: true, Sound: true, Rehearsal: g.rng.IntN(3) > 0}); err != nil {
				return 0, time.Time{}, fmt.Errorf("point %d: %w", pt.ID, err)
			}
		}
		g.bar.add(1)
	}
	if g.o.Launch.After(g.o.Now) {
		return len(list), time.Time{}, nil // the ceremony is still to come: its button waits for the day
	}
	// A launch in the past happened: the programme ran to its last step and the button was
	// pressed at the launch moment, so the data agrees with itself (the campaign's seven days,
	// the portal's countdown, a closed button). The ceremony's clock is set back for the press.
	if c, err = g.s.Ceremony.SetStep(ctx, c.ID, len(c.Steps)); err != nil {
		return 0, time.Time{}, fmt.Errorf("ceremony programme: %w", err)
	}
	clock := g.s.Ceremony.Now
	pressed := g.o.Launch.Add(-ceremony.LaunchDelay - time.Second)
	g.s.Ceremony.Now = func() time.Time { return pressed }
	at, err := g.s.Ceremony.Launch(ctx, c.ID)
	g.s.Ceremony.Now = clock
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("ceremony launch: %w", err)
	}
	return len(list), at, nil
}

// reports opens a reporting period in every province and has some of its reporting units submit
// their report, written by their People's Committee administrator: on the 2023 map the plan's
// period, to which the districts report (half of them submit); on the 2025 map, where no district
// lies between, a period to which the communes report directly (three communes of each province
// submit, so that the status has every state without thousands of snapshots).
func (g *gen) reports(ctx context.Context) error {
	if g.s.Reports == nil {
		return nil
	}
	period := map[string]int64{}
	for _, p := range g.provinces {
		var pp reports.Period
		var err error
		if g.communeReports {
			pp, err = g.s.Reports.CreatePeriod(ctx, g.communePeriod(p.Code))
		} else {
			pp, _, err = g.s.Reports.CreatePlanPeriod(ctx, p.Code)
		}
		if err != nil {
			return fmt.Errorf("report period of %s: %w", p.Code, err)
		}
		period[p.Code] = pp.ID
		g.res.Periods++
	}
	var mine []units.Unit
	step := "Báo cáo / district reports"
	if g.communeReports {
		step = "Báo cáo / commune reports"
		byProvince := map[string][]units.Unit{}
		for _, c := range g.communes {
			p := authz.ProvinceOfPath(c.Path)
			byProvince[p] = append(byProvince[p], c)
		}
		for _, p := range g.provinces {
			cs := byProvince[p.Code]
			for _, i := range g.rng.Perm(len(cs))[:min(3, len(cs))] {
				mine = append(mine, cs[i])
			}
		}
	} else {
		for _, d := range g.districts {
			if g.rng.IntN(2) == 0 {
				mine = append(mine, d)
			}
		}
	}
	g.bar.start(step, int64(len(mine)))
	for _, d := range mine {
		code := d.Code
		u, err := g.s.Accounts.FindByUsername(ctx, g.tagged("ubnd.")+code)
		if err != nil {
			return err
		}
		actx := audit.WithWho(authz.WithActor(ctx, &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants, Via: "cli"}),
			audit.Who{UserID: u.ID, Username: u.Username})
		r, err := g.s.Reports.OpenReport(actx, period[authz.ProvinceOfPath(d.Path)], code)
		if err != nil {
			return fmt.Errorf("report of %s: %w", code, err)
		}
		if _, err := g.s.Reports.Submit(actx, r.ID, reports.DraftInput{Narratives: map[string]string{
			"results":      "Đã thành lập Tổ Công nghệ số cộng đồng ở tất cả các thôn, tổ dân phố; các tổ đi từng ngõ, gõ từng nhà hướng dẫn người dân sử dụng dịch vụ công trực tuyến và thanh toán không dùng tiền mặt.",
			"difficulties": "Một số thôn vùng cao chưa có sóng di động ổn định; thành viên tổ chủ yếu kiêm nhiệm.",
			"proposals":    "Đề nghị tỉnh hỗ trợ phủ sóng vùng lõm và kinh phí cho thành viên Tổ Công nghệ số cộng đồng.",
		}, SignerName: u.DisplayName, SignerPosition: "Chủ tịch"}); err != nil {
			return fmt.Errorf("submit report of %s: %w", code, err)
		}
		g.bar.add(1)
		g.res.ReportsFilled++
	}
	g.bar.finish()
	return nil
}

// CommunePeriodTitle is the title of the national profile's 2025 reporting period.
const CommunePeriodTitle = "Báo cáo kết quả phong trào Bình dân học vụ số"

// communePeriod is a province's 2025 period: every commune-level unit reports to the province,
// over the month from the launch.
func (g *gen) communePeriod(province string) reports.PeriodInput {
	start := g.o.Launch.In(ceremony.VietnamTime)
	end := start.AddDate(0, 1, -1)
	return reports.PeriodInput{ProvinceCode: province, Title: CommunePeriodTitle,
		PeriodStart: start.Format(time.DateOnly), PeriodEnd: end.Format(time.DateOnly), DueDate: end.Format(time.DateOnly),
		ReportingLevel: string(units.Commune), NumberPrefix: "BC-UBND"}
}
