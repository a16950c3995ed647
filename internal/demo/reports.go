package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/reports"
)

// CampaignPeriodTitle is the title of the demo's report period of the campaign under way.
const CampaignPeriodTitle = "Báo cáo kết quả chiến dịch “7 người dân trong 7 ngày”"

// The districts' accounts of the demo's reports: Ba Tơ reports on time, Đức Phổ's report is
// returned for correction, Sơn Tây writes late in 2023 and has a draft now.
var (
	baToNarratives = map[string]string{
		"results":      "Huyện đã tổ chức Lễ phát động tại điểm cầu huyện và 19 điểm cầu xã, thị trấn; thành lập Tổ Công nghệ số cộng đồng ở tất cả các thôn, tổ dân phố. Các tổ đã đi từng ngõ, gõ từng nhà hướng dẫn người dân cài đặt VNeID, sử dụng dịch vụ công trực tuyến và thanh toán không dùng tiền mặt.",
		"difficulties": "Nhiều thôn vùng cao chưa có sóng di động ổn định; một bộ phận người dân chưa có điện thoại thông minh; thành viên tổ chủ yếu kiêm nhiệm.",
		"proposals":    "Đề nghị tỉnh hỗ trợ phủ sóng các thôn vùng lõm, bố trí kinh phí hỗ trợ thành viên Tổ Công nghệ số cộng đồng và tổ chức thêm các lớp bồi dưỡng kỹ năng số.",
	}
	sonTayNarratives = map[string]string{
		"results":      "Huyện đã kết nối điểm cầu huyện và các xã với Lễ phát động; các Tổ Công nghệ số cộng đồng hướng dẫn người dân đồng bào Ca Dong cài đặt VNeID và nộp hồ sơ trực tuyến.",
		"difficulties": "Địa bàn rộng, giao thông đi lại khó khăn trong mùa mưa; nhiều người dân chưa thạo tiếng phổ thông.",
		"proposals":    "Đề nghị tỉnh hỗ trợ tài liệu hướng dẫn bằng tiếng Ca Dong và thiết bị cho Tổ Công nghệ số cộng đồng.",
	}
	ducPhoNarratives = map[string]string{
		"results":      "Thị xã đã ra quân các Tổ Công nghệ số cộng đồng ở 15 xã, phường; người dân được hướng dẫn thanh toán tiền điện, nước qua ứng dụng ngân hàng.",
		"difficulties": "Một số tổ chưa nhập kịp hồ sơ hướng dẫn lên hệ thống.",
		"proposals":    "Đề nghị tỉnh tập huấn lại cách ghi nhận hồ sơ khi không có mạng.",
	}
)

// ReturnComment is the province's comment on the report it returns in the demo.
const ReturnComment = "Số người dân được hướng dẫn trong phần kết quả chưa khớp với số liệu của hệ thống; đề nghị thị xã rà soát, bổ sung và gửi lại."

// loadPlanReports adds the plan's report (every district, due 15/8/2023) as it went in 2023 when
// Ba Tơ has not reported yet: Ba Tơ's People's Committee (ubnd.bato) submitted on 10/08/2023, on
// time; Sơn Tây's on 17/08/2023, late; the province accepted both (the period is closed); the
// other districts never reported. The reports service's clock is set back for each of those steps, as for a
// ceremony of the past, so that timeliness is judged against the days they happened, not today.
func loadPlanReports(ctx context.Context, s Services) error {
	if s.Reports == nil {
		return nil
	}
	province, err := as(ctx, s, "so.tttt")
	if err != nil {
		return err
	}
	p, _, err := s.Reports.CreatePlanPeriod(province, demoProvince)
	if err != nil {
		return fmt.Errorf("plan period: %w", err)
	}
	on := func(day, hour int) time.Time { return time.Date(2023, 8, day, hour, 0, 0, 0, ceremony.VietnamTime) }
	for _, r := range []struct {
		username, unit, signer string
		narratives             map[string]string
		submitted, accepted    time.Time
	}{
		{"ubnd.bato", "535", "Phạm Thị Lan", baToNarratives, on(10, 9), on(12, 15)},
		{"ubnd.sontay", "530", "Đinh Văn Tâm", sonTayNarratives, on(17, 16), on(18, 10)},
	} {
		rep, err := submitAt(ctx, s, r.username, p.ID, r.unit, r.narratives, r.signer, r.submitted)
		if err != nil {
			return err
		}
		if rep.State != reports.Submitted {
			continue
		}
		if err := reportsAt(s.Reports, r.accepted, func() error {
			_, err := s.Reports.Accept(province, rep.ID)
			return err
		}); err != nil {
			return fmt.Errorf("accept %s report: %w", r.unit, err)
		}
	}
	return nil
}

// loadCampaignReports opens the report period of the campaign under way (timeline.go): from the
// campaign's first day to its last, due ReportDueAfterCampaign days later, in the future. Ba Tơ
// has submitted; Đức Phổ's report was submitted and returned by the province with a comment, for
// ubnd.ducpho to correct; Sơn Tây (ubnd.sontay) has started a draft; the other districts have not.
func loadCampaignReports(ctx context.Context, s Services, tl timeline) error {
	if s.Reports == nil {
		return nil
	}
	province, err := as(ctx, s, "so.tttt")
	if err != nil {
		return err
	}
	p, err := ensurePeriod(province, s, reports.PeriodInput{ProvinceCode: demoProvince, Title: CampaignPeriodTitle,
		PeriodStart: tl.date(-CampaignDaysAgo), PeriodEnd: tl.date(campaignCloseDay), DueDate: tl.date(campaignCloseDay + ReportDueAfterCampaign),
		ReportingLevel: "district", Narratives: reports.Narratives, NumberPrefix: "BC-UBND"})
	if err != nil {
		return fmt.Errorf("campaign period: %w", err)
	}
	if _, err := submitAt(ctx, s, "ubnd.bato", p.ID, "535", baToNarratives, "Phạm Thị Lan", tl.now); err != nil {
		return err
	}
	ducPho, err := submitAt(ctx, s, "ubnd.ducpho", p.ID, "534", ducPhoNarratives, "Lê Minh Đức", tl.now)
	if err != nil {
		return err
	}
	if ducPho.State == reports.Submitted {
		if _, err := s.Reports.Return(province, ducPho.ID, ReturnComment); err != nil {
			return fmt.Errorf("return Đức Phổ report: %w", err)
		}
	}
	sonTay, err := as(ctx, s, "ubnd.sontay")
	if err != nil {
		return err
	}
	if _, err := s.Reports.OpenReport(sonTay, p.ID, "530"); err != nil {
		return fmt.Errorf("Sơn Tây report: %w", err)
	}
	return nil
}

// ensurePeriod returns the demo province's period titled in.Title, created from in when there is
// none, so that loading again adds no second one.
func ensurePeriod(ctx context.Context, s Services, in reports.PeriodInput) (reports.Period, error) {
	ps, err := s.Reports.ListPeriods(ctx)
	if err != nil {
		return reports.Period{}, err
	}
	for _, p := range ps {
		if p.Province == demoProvince && p.Title == in.Title {
			return p, nil
		}
	}
	return s.Reports.CreatePeriod(ctx, in)
}

// submitAt has a district's People's Committee (username) open its report of the period and,
// while it is a draft, submit it as of at. It returns the report as it stands.
func submitAt(ctx context.Context, s Services, username string, periodID int64, unit string, narratives map[string]string, signer string, at time.Time) (reports.Report, error) {
	uctx, err := as(ctx, s, username)
	if err != nil {
		return reports.Report{}, err
	}
	r, err := s.Reports.OpenReport(uctx, periodID, unit)
	if err != nil {
		return r, fmt.Errorf("%s report: %w", unit, err)
	}
	if r.State != reports.Draft {
		return r, nil
	}
	err = reportsAt(s.Reports, at, func() error {
		r, err = s.Reports.Submit(uctx, r.ID, reports.DraftInput{Narratives: narratives, SignerName: signer, SignerPosition: "Chủ tịch"})
		return err
	})
	if err != nil {
		return r, fmt.Errorf("submit %s report: %w", unit, err)
	}
	return r, nil
}

// reportsAt runs f with the reports service's clock at `at`. The loader runs before the server
// starts (see app.Serve), so nothing else reads that clock meanwhile.
func reportsAt(rs *reports.Service, at time.Time, f func() error) error {
	clock := rs.Now
	rs.Now = func() time.Time { return at }
	defer func() { rs.Now = clock }()
	return f()
}
