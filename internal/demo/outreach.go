package demo

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/units"
)

// DemoCampaignName names the demo "7 citizens in 7 days" campaign.
const DemoCampaignName = "Ra quân “7 người dân trong 7 ngày” (dữ liệu minh họa)"

// loadOutreach adds the community digital technology teams of the demo: the catalogue, a campaign
// that opened CampaignDaysAgo days ago (timeline.go) unless one is under way, two villages, teams at district, commune and village level with
// the demo members (one of them in two teams), and a few guidance records so that progress pages
// have figures. It can run again: what exists is left alone.
func loadOutreach(ctx context.Context, s Services, tl timeline) error {
	if s.Outreach == nil {
		return nil
	}
	o := s.Outreach
	if err := o.SeedSkills(ctx); err != nil {
		return err
	}
	now := tl.now
	cs, err := o.Campaigns(ctx)
	if err != nil {
		return err
	}
	var camp outreach.Campaign
	for _, c := range cs {
		if c.Province == demoProvince && c.Contains(now) {
			camp = c
			break
		}
	}
	if camp.ID == 0 {
		camp, err = o.CreateCampaign(ctx, outreach.Campaign{Province: demoProvince, Name: DemoCampaignName, LaunchAt: tl.campaignLaunch(), Days: campaignDays, Target: 7})
		if err != nil {
			return fmt.Errorf("demo campaign: %w", err)
		}
	}
	communeOf := func(district string) (units.Unit, error) {
		list, err := s.Units.List(ctx, units.Filter{ParentCode: district, Limit: 1})
		if err != nil || len(list) == 0 {
			return units.Unit{}, fmt.Errorf("demo: no commune under %s: %w", district, err)
		}
		return list[0], nil
	}
	baTo, err := communeOf("535")
	if err != nil {
		return err
	}
	sonTay, err := communeOf("530")
	if err != nil {
		return err
	}
	var villages []string
	for _, name := range []string{"Thôn Làng Mạ", "Thôn Gò Khôn"} {
		v, err := s.Units.CreateVillage(ctx, units.Unit{Name: name, ParentCode: baTo.Code})
		if apperr.Is(err, apperr.Conflict) {
			list, lerr := s.Units.List(ctx, units.Filter{ParentCode: baTo.Code, Level: units.Village, Query: name})
			if lerr != nil || len(list) == 0 {
				return fmt.Errorf("demo village %s: %w", name, err)
			}
			v, err = list[0], nil
		}
		if err != nil {
			return fmt.Errorf("demo village %s: %w", name, err)
		}
		villages = append(villages, v.Code)
	}
	teams := []struct {
		name, unit string
		members    []string
		leader     string
	}{
		{"Tổ Công nghệ số cộng đồng huyện Ba Tơ", "535", nil, ""},
		{"Tổ Công nghệ số cộng đồng " + baTo.Name, baTo.Code, []string{"tocnscd.bato.1", "tocnscd.bato.2"}, "tocnscd.bato.1"},
		{"Tổ Công nghệ số cộng đồng Thôn Làng Mạ", villages[0], []string{"tocnscd.bato.1"}, ""},
		{"Tổ Công nghệ số cộng đồng " + sonTay.Name, sonTay.Code, []string{"tocnscd.sontay.1"}, "tocnscd.sontay.1"},
	}
	existing, err := o.ListTeams(ctx, "")
	if err != nil {
		return err
	}
	for _, t := range teams {
		var team outreach.Team
		for _, e := range existing {
			if e.Name == t.name && e.UnitCode == t.unit {
				team = e
			}
		}
		if team.ID == 0 {
			if team, err = o.CreateTeam(ctx, outreach.Team{Name: t.name, UnitCode: t.unit}); err != nil {
				return fmt.Errorf("demo team %s: %w", t.name, err)
			}
		}
		for _, m := range t.members {
			if _, err := o.AddMember(ctx, team.ID, m, m == t.leader); err != nil {
				return fmt.Errorf("demo team member %s: %w", m, err)
			}
		}
	}
	// Records of the days before: tocnscd.sontay.1 has met the target, tocnscd.bato.1 is on the
	// way; tocnscd.bato.2 has none yet, off track (the browser test records as them).
	people := []struct{ name, phone string }{
		{"Đinh Văn Hiền", "0905110201"}, {"Phạm Thị Nở", "0935110202"}, {"Đinh Thị Lý", ""}, {"Phạm Văn Đông", "0975110204"},
		{"Hồ Thị Kim", "0385110205"}, {"Đinh Văn Mười", "0865110206"}, {"Trương Thị Sáu", "0795110207"}, {"Lê Văn Bảy", "0565110208"},
	}
	plan := []struct {
		member  string
		count   int
		village string
	}{{"tocnscd.bato.1", 4, villages[0]}, {"tocnscd.sontay.1", 7, ""}}
	for _, p := range plan {
		u, err := s.Accounts.FindByUsername(ctx, p.member)
		if err != nil {
			return fmt.Errorf("demo member %s: %w", p.member, err)
		}
		mctx := authz.WithActor(ctx, &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants, Via: "cli"})
		mctx = audit.WithWho(mctx, audit.Who{UserID: u.ID, Username: u.Username})
		for i := range p.count {
			person := people[i%len(people)]
			sum := sha256.Sum256(fmt.Appendf(nil, "demo-outreach/%d/%s/%d", camp.ID, p.member, i))
			h := fmt.Sprintf("%x", sum[:16])
			id := h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
			skills := []string{"dvc_quocgia", "dvc_tinh"}
			if i%2 == 1 {
				skills = []string{"khong_tien_mat", "thanh_toan_truc_tuyen"}
			}
			in := outreach.RecordInput{ClientID: id, Citizen: outreach.Citizen{Name: person.name, BirthYear: 1958 + 4*i, Phone: person.phone},
				Skills: skills, Platforms: []string{"vneid"}, GuidedAt: guidedOn(camp.LaunchAt, i),
				VillageCode: p.village, Consent: &outreach.Consent{Given: true, Version: camp.ConsentVersion}}
			if in.GuidedAt.After(now) {
				continue
			}
			if _, err := o.SaveRecord(mctx, in); err != nil && !apperr.Is(err, apperr.Conflict) {
				return fmt.Errorf("demo record %s/%d: %w", p.member, i, err)
			}
		}
	}
	return nil
}

// guidedOn is when a member's i-th demo citizen was guided: two a day from the campaign's first
// morning (an hour and a half after its opening, then in the afternoon), so that the records fall
// on the days before today, as a member's week of visits does.
func guidedOn(launch time.Time, i int) time.Time {
	return launch.AddDate(0, 0, i/2).Add(90*time.Minute + time.Duration(i%2)*5*time.Hour)
}
