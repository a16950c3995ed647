package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
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

// ceremony creates the plan's launch ceremony for the deployment's province, generates its bridge
// points and marks four in five of them ready, as on the eve of the ceremony.
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
	c, err := g.s.Ceremony.Create(ctx, ceremony.Ceremony{
		Province: g.o.ProvinceCode,
		Title:    "Lễ phát động Phong trào chuyển đổi số tỉnh Quảng Ngãi",
		StartsAt: starts, Venue: "Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh",
		VCProvider: "Hệ thống hội nghị truyền hình tỉnh", RoomLink: "https://hop.quangngai.gov.vn/le-phat-dong",
	})
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if _, err := g.s.Ceremony.GeneratePoints(ctx, c.ID); err != nil {
		return fmt.Errorf("bridge points: %w", err)
	}
	points, err := g.s.Ceremony.ListPoints(ctx, c.ID, ceremony.PointFilter{})
	if err != nil {
		return err
	}
	g.bar.start("Điểm cầu / bridge points", int64(len(points)))
	for _, p := range points {
		if g.rng.IntN(5) > 0 {
			if _, err := g.s.Ceremony.SetChecklist(ctx, c.ID, p.ID, ceremony.Checklist{Line: true, Camera: true, Microphone: true,
				Screen: true, Sound: true, Rehearsal: g.rng.IntN(3) > 0}); err != nil {
				return fmt.Errorf("point %d: %w", p.ID, err)
			}
		}
		g.bar.add(1)
	}
	g.bar.finish()
	g.res.BridgePoints = len(points)
	if g.o.Launch.After(g.o.Now) {
		return nil // the ceremony is still to come: its button waits for the day
	}
	// A launch in the past happened: the programme ran to its last step and the button was
	// pressed at the launch moment, so the data agrees with itself (the campaign's seven days,
	// the portal's countdown, a closed button). The ceremony's clock is set back for the press.
	if c, err = g.s.Ceremony.SetStep(ctx, c.ID, len(c.Steps)); err != nil {
		return fmt.Errorf("ceremony programme: %w", err)
	}
	clock := g.s.Ceremony.Now
	pressed := g.o.Launch.Add(-ceremony.LaunchDelay - time.Second)
	g.s.Ceremony.Now = func() time.Time { return pressed }
	at, err := g.s.Ceremony.Launch(ctx, c.ID)
	g.s.Ceremony.Now = clock
	if err != nil {
		return fmt.Errorf("ceremony launch: %w", err)
	}
	g.res.LaunchedAt = at
	return nil
}

// reports opens the plan's reporting period and has half the province's districts submit their
// report, written by their People's Committee administrator.
func (g *gen) reports(ctx context.Context) error {
	if g.s.Reports == nil {
		return nil
	}
	p, _, err := g.s.Reports.CreatePlanPeriod(ctx, g.o.ProvinceCode)
	if err != nil {
		return fmt.Errorf("plan period: %w", err)
	}
	var mine []string
	for _, d := range g.districts {
		if d.ParentCode == g.o.ProvinceCode && g.rng.IntN(2) == 0 {
			mine = append(mine, d.Code)
		}
	}
	g.bar.start("Báo cáo / district reports", int64(len(mine)))
	for _, code := range mine {
		u, err := g.s.Accounts.FindByUsername(ctx, "ubnd."+code)
		if err != nil {
			return err
		}
		actx := audit.WithWho(authz.WithActor(ctx, &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants, Via: "cli"}),
			audit.Who{UserID: u.ID, Username: u.Username})
		r, err := g.s.Reports.OpenReport(actx, p.ID, code)
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

// nationalProvinces are the 34 provinces and centrally run cities since 1 July 2025 (Resolution
// 202/2025/QH15), with their GSO codes.
var nationalProvinces = []struct{ code, name string }{
	{"01", "Thành phố Hà Nội"}, {"04", "Tỉnh Cao Bằng"}, {"08", "Tỉnh Tuyên Quang"}, {"11", "Tỉnh Điện Biên"},
	{"12", "Tỉnh Lai Châu"}, {"14", "Tỉnh Sơn La"}, {"15", "Tỉnh Lào Cai"}, {"19", "Tỉnh Thái Nguyên"},
	{"20", "Tỉnh Lạng Sơn"}, {"22", "Tỉnh Quảng Ninh"}, {"24", "Tỉnh Bắc Ninh"}, {"25", "Tỉnh Phú Thọ"},
	{"31", "Thành phố Hải Phòng"}, {"33", "Tỉnh Hưng Yên"}, {"37", "Tỉnh Ninh Bình"}, {"38", "Tỉnh Thanh Hóa"},
	{"40", "Tỉnh Nghệ An"}, {"42", "Tỉnh Hà Tĩnh"}, {"44", "Tỉnh Quảng Trị"}, {"46", "Thành phố Huế"},
	{"48", "Thành phố Đà Nẵng"}, {"51", "Tỉnh Quảng Ngãi"}, {"52", "Tỉnh Gia Lai"}, {"56", "Tỉnh Khánh Hòa"},
	{"66", "Tỉnh Đắk Lắk"}, {"68", "Tỉnh Lâm Đồng"}, {"75", "Tỉnh Đồng Nai"}, {"79", "Thành phố Hồ Chí Minh"},
	{"80", "Tỉnh Tây Ninh"}, {"82", "Tỉnh Đồng Tháp"}, {"86", "Tỉnh Vĩnh Long"}, {"91", "Tỉnh An Giang"},
	{"92", "Thành phố Cần Thơ"}, {"96", "Tỉnh Cà Mau"},
}
