package demo

import (
	"context"
	"fmt"

	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
)

// loadReports adds the plan's report (every district, due 15/8/2023) and, when Ba Tơ has not
// reported yet, Ba Tơ's report written and submitted by its People's Committee (ubnd.bato), so
// that the status, the summary and the exports have something to show. Sơn Tây's report is left
// as a draft and the other districts are missing.
func loadReports(ctx context.Context, s Services) error {
	if s.Reports == nil {
		return nil
	}
	as := func(username string) (context.Context, *authz.Actor, error) {
		u, err := s.Accounts.FindByUsername(ctx, username)
		if err != nil {
			return nil, nil, err
		}
		a := &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants, Via: "cli"}
		return audit.WithWho(authz.WithActor(ctx, a), audit.Who{UserID: u.ID, Username: u.Username}), a, nil
	}
	baTo, baToActor, err := as("ubnd.bato")
	if err != nil {
		return err
	}
	// The plan's period of Ba Tơ's province, named from its People's Committee's grant.
	p, _, err := s.Reports.CreatePlanPeriod(ctx, baToActor.HomeProvince())
	if err != nil {
		return fmt.Errorf("plan period: %w", err)
	}
	r, err := s.Reports.OpenReport(baTo, p.ID, "535")
	if err != nil {
		return fmt.Errorf("Ba Tơ report: %w", err)
	}
	if r.State == reports.Draft {
		_, err = s.Reports.Submit(baTo, r.ID, reports.DraftInput{Narratives: map[string]string{
			"results":      "Huyện đã tổ chức Lễ phát động tại điểm cầu huyện và 19 điểm cầu xã, thị trấn; thành lập Tổ Công nghệ số cộng đồng ở tất cả các thôn, tổ dân phố. Các tổ đã đi từng ngõ, gõ từng nhà hướng dẫn người dân cài đặt VNeID, sử dụng dịch vụ công trực tuyến và thanh toán không dùng tiền mặt.",
			"difficulties": "Nhiều thôn vùng cao chưa có sóng di động ổn định; một bộ phận người dân chưa có điện thoại thông minh; thành viên tổ chủ yếu kiêm nhiệm.",
			"proposals":    "Đề nghị tỉnh hỗ trợ phủ sóng các thôn vùng lõm, bố trí kinh phí hỗ trợ thành viên Tổ Công nghệ số cộng đồng và tổ chức thêm các lớp bồi dưỡng kỹ năng số.",
		}, SignerName: "Phạm Thị Lan", SignerPosition: "Chủ tịch"})
		if err != nil {
			return fmt.Errorf("submit Ba Tơ report: %w", err)
		}
	}
	sonTay, _, err := as("ubnd.sontay")
	if err != nil {
		return err
	}
	if _, err := s.Reports.OpenReport(sonTay, p.ID, "530"); err != nil {
		return fmt.Errorf("Sơn Tây report: %w", err)
	}
	return nil
}
