package demo

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/portal"
)

// loadPortal writes the portal's demonstration news (once: nothing is added when posts exist) and
// a few communication items of Huyện Ba Tơ.
func loadPortal(ctx context.Context, s Services) error {
	if s.Portal == nil {
		return nil
	}
	existing, err := s.Portal.ListPosts(ctx, portal.Filter{Limit: 1})
	if err != nil || len(existing) > 0 {
		return err
	}
	now := time.Now()
	posts := []portal.PostInput{
		{Title: "Kế hoạch triển khai Phong trào chuyển đổi số tỉnh Quảng Ngãi", Category: portal.Document,
			BodyHTML:  "<p>Kế hoạch đề ra các nhiệm vụ: tổ chức lễ phát động, bồi dưỡng kỹ năng số, phát huy vai trò Tổ công nghệ số cộng đồng và tuyên truyền rộng rãi về Phong trào.</p><h2>Mục tiêu</h2><ul><li>Mỗi thôn, tổ dân phố có Tổ công nghệ số cộng đồng.</li><li>Người dân được hướng dẫn cài đặt, sử dụng VNeID và thanh toán không dùng tiền mặt.</li></ul>",
			PublishAt: now.Add(-72 * time.Hour)},
		{Title: "Thông báo lịch lễ phát động Phong trào", Category: portal.Announcement,
			BodyHTML:  "<p>Lễ phát động được tổ chức trực tuyến, kết nối điểm cầu tỉnh với các huyện, thị xã, thành phố và xã, phường, thị trấn.</p>",
			PublishAt: now.Add(-48 * time.Hour)},
		{Title: "Tổ công nghệ số cộng đồng huyện Ba Tơ ra quân", Category: portal.News,
			BodyHTML:  "<p>Các tổ công nghệ số cộng đồng của huyện Ba Tơ đã về từng thôn hướng dẫn người dân <strong>cài đặt VNeID</strong> và sử dụng dịch vụ công trực tuyến.</p>",
			PublishAt: now.Add(-2 * time.Hour)},
	}
	for _, p := range posts {
		p.Province = "51" // the demonstration is Quảng Ngãi's, as its organisations and users are
		if _, err := s.Portal.CreatePost(ctx, p); err != nil {
			return err
		}
	}
	day := func(d int) string {
		return now.AddDate(0, 0, -d).In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	}
	for _, m := range []portal.MediaItem{
		{UnitCode: "535", Channel: portal.Broadcast, Title: "Đài truyền thanh huyện phát tin về Phong trào chuyển đổi số", PublishedOn: day(3)},
		{UnitCode: "535", Channel: portal.Banner, Title: "Băng rôn hưởng ứng Phong trào tại trung tâm huyện", PublishedOn: day(2)},
		{UnitCode: "535", Channel: portal.Social, Title: "Bài đăng trên trang Zalo OA của huyện", Link: "https://zalo.me/", PublishedOn: day(1)},
	} {
		if _, err := s.Portal.RecordMedia(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
