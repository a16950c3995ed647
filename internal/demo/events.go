package demo

import (
	"context"
	"fmt"
	"time"

	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/units"
)

// loadEvents writes a few launch events held after the province's ceremony (once: nothing is
// added when events exist): Ba Tơ's follow-on launch, its youth union's "ra quân", the Department
// of Information and Communications' launch, and a commune's community day still to come.
func loadEvents(ctx context.Context, s Services) error {
	if s.Events == nil {
		return nil
	}
	existing, err := s.Events.List(ctx, launchevents.Filter{Province: "51", Limit: 1})
	if err != nil || len(existing) > 0 {
		return err
	}
	org := func(name string) int64 {
		list, err := s.Orgs.List(ctx, orgs.Filter{Query: name, Limit: 1})
		if err != nil || len(list) == 0 {
			return 0
		}
		return list[0].ID
	}
	vn := time.FixedZone("ICT", 7*3600)
	at := func(days, hour int) string {
		d := time.Now().In(vn).AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, vn).Format("2006-01-02T15:04")
	}
	events := []launchevents.Input{
		{Title: "Lễ phát động hưởng ứng Phong trào chuyển đổi số huyện Ba Tơ", Kind: launchevents.FollowOn, UnitCode: "535", StartsAt: at(-6, 8),
			Place: "Hội trường UBND huyện Ba Tơ", Host: "Chủ tịch UBND huyện", Outcome: "Ra mắt 22 tổ công nghệ số cộng đồng; các xã đăng ký lịch ngày hội.",
			Participants: launchevents.Participants{Officials: 120, YouthMembers: 60, Citizens: 80}},
		{Title: "Ra quân thanh niên tình nguyện hướng dẫn kỹ năng số", Kind: launchevents.YouthLaunch, OrgID: org("Huyện đoàn Ba Tơ"), StartsAt: at(-4, 7),
			Place: "Quảng trường huyện Ba Tơ", Host: "Bí thư Huyện đoàn", Participants: launchevents.Participants{YouthMembers: 150, Pupils: 90}},
		{Title: "Sở Thông tin và Truyền thông phát động hưởng ứng Phong trào", Kind: launchevents.FollowOn, OrgID: org("Sở Thông tin và Truyền thông"), StartsAt: at(-3, 14),
			Place: "Hội trường Sở TT&TT", Host: "Giám đốc Sở", Participants: launchevents.Participants{Officials: 85}},
	}
	for _, in := range events {
		if in.UnitCode == "" && in.OrgID == 0 {
			continue // the organisation is not in this demo
		}
		if _, err := s.Events.Create(ctx, in); err != nil {
			return fmt.Errorf("%s: %w", in.Title, err)
		}
	}
	// A commune of Ba Tơ holds its community day next week.
	communes, err := s.Units.List(ctx, units.Filter{ParentCode: "535", Limit: 1})
	if err != nil || len(communes) == 0 {
		return err
	}
	_, err = s.Events.Create(ctx, launchevents.Input{Title: "Ngày hội chuyển đổi số " + communes[0].Name, Kind: launchevents.CommunityDay,
		UnitCode: communes[0].Code, StartsAt: at(5, 7), Place: "Nhà văn hóa " + communes[0].Name, Host: "Chủ tịch UBND xã"})
	return err
}
