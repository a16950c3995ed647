package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/units"
)

// The 2025 scenario (`serve --demo 2025`): Quảng Ngãi on the two-tier map in force since
// 1 July 2025, with its 2023 history. The plan's demo is loaded first, on the 2023 map, as it
// happened (its ceremony launched on 28/07/2023, Ba Tơ's district report locked); then the map is
// switched with the shipped files, as `lantoa import units --effective 2025-07-01 --lineage …`
// does; then the 2025 layer: the "Bình dân học vụ số" launch with 97 screens (the provincial hall
// and one per commune-level unit), a commune team in Xã An Phú, and a report period in which the
// communes report directly to the province.

// SwitchDate is the day the two-tier map came into force.
const SwitchDate = "2025-07-01"

// Ceremony2025Title opens the title of the 2025 launch ceremony.
const Ceremony2025Title = "Lễ phát động phong trào “Bình dân học vụ số”"

// Period2025Title is the title of the 2025 report period, to which the communes report.
const Period2025Title = "Báo cáo kết quả phong trào “Bình dân học vụ số” năm 2025"

// The 2025 communes the scenario's people work in: Xã An Phú, formed from five 2023 communes
// (among them Xã Nghĩa Dũng, whose code it reuses, and Xã Nghĩa Dõng), and Xã Ba Tơ.
const (
	anPhu2025 = "21034"
	baTo2025  = "21484"
)

var users2025 = []userSeed{
	{"xa.anphu", "Nguyễn Thị Hồng", authz.UnitAdmin, anPhu2025, ""},
	{"diemcau.anphu", "Trần Văn Phúc", authz.BridgeOperator, anPhu2025, ""},
	{"tocnscd.anphu.1", "Lê Thị Ngọc", authz.TeamMember, anPhu2025, ""},
	{"tocnscd.anphu.2", "Võ Văn Khải", authz.TeamMember, anPhu2025, ""},
	{"xa.bato.2025", "Đinh Văn Thắng", authz.UnitAdmin, baTo2025, ""},
}

// Load2025 loads the 2025 scenario (see above). Like Load it can run again: the switch is made
// once (a province with no district in force is on the 2025 map), and what exists is left alone.
// It returns the usernames it created.
func Load2025(ctx context.Context, s Services) ([]string, error) {
	made, err := load(ctx, s, false)
	if err != nil {
		return nil, err
	}
	ctx = authz.WithActor(ctx, authz.System)
	if err := switchTo2025(ctx, s.Units); err != nil {
		return nil, err
	}
	for _, u := range users2025 {
		if _, err := s.Accounts.FindByUsername(ctx, u.username); err == nil {
			continue
		}
		if _, err := s.Accounts.CreateUser(ctx, accounts.NewUser{Username: u.username, DisplayName: u.name, Password: Password,
			Role: u.role, UnitCode: u.unit}); err != nil {
			return nil, fmt.Errorf("demo 2025 user %s: %w", u.username, err)
		}
		made = append(made, u.username)
	}
	if err := loadOutreach2025(ctx, s); err != nil {
		return nil, fmt.Errorf("demo 2025 outreach: %w", err)
	}
	if err := loadCeremony2025(ctx, s); err != nil {
		return nil, fmt.Errorf("demo 2025 ceremony: %w", err)
	}
	if err := loadReports2025(ctx, s); err != nil {
		return nil, fmt.Errorf("demo 2025 reports: %w", err)
	}
	return made, nil
}

// switchTo2025 moves the demo province to the 2025 map unless it is there already. Old Kon Tum's
// lineage rows are kept as lineage only: the demo database never held Kon Tum.
func switchTo2025(ctx context.Context, us *units.Service) error {
	districts, err := us.Count(ctx, units.Filter{Level: units.District, ParentCode: demoProvince})
	if err != nil || districts == 0 {
		return err
	}
	_, err = us.SwitchMap(ctx, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), SwitchDate)
	if err != nil {
		return fmt.Errorf("switch to the 2025 map: %w", err)
	}
	return nil
}

// as is the context of a demo user acting through the command line.
func as(ctx context.Context, s Services, username string) (context.Context, error) {
	u, err := s.Accounts.FindByUsername(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("demo user %s: %w", username, err)
	}
	a := &authz.Actor{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Grants: u.Grants, Via: "cli"}
	return audit.WithWho(authz.WithActor(ctx, a), audit.Who{UserID: u.ID, Username: u.Username}), nil
}

// loadOutreach2025 forms Xã An Phú's commune team and has its leader guide three citizens in the
// campaign under way, on the 2025 map: An Phú's progress then shows these beside what its five
// predecessors recorded in 2023.
func loadOutreach2025(ctx context.Context, s Services) error {
	if s.Outreach == nil {
		return nil
	}
	o := s.Outreach
	anPhu, err := s.Units.Find(ctx, anPhu2025)
	if err != nil {
		return err
	}
	name := "Tổ Công nghệ số cộng đồng " + anPhu.Name
	teams, err := o.ListTeams(ctx, "")
	if err != nil {
		return err
	}
	var team outreach.Team
	for _, t := range teams {
		if t.Name == name && t.UnitPath == anPhu.Path {
			team = t
		}
	}
	if team.ID == 0 {
		if team, err = o.CreateTeam(ctx, outreach.Team{Name: name, UnitCode: anPhu.Code}); err != nil {
			return fmt.Errorf("team %s: %w", name, err)
		}
	}
	for _, m := range []string{"tocnscd.anphu.1", "tocnscd.anphu.2"} {
		if _, err := o.AddMember(ctx, team.ID, m, m == "tocnscd.anphu.1"); err != nil {
			return fmt.Errorf("team member %s: %w", m, err)
		}
	}
	now := time.Now()
	cs, err := o.Campaigns(ctx)
	if err != nil {
		return err
	}
	var camp outreach.Campaign
	for _, c := range cs {
		if c.Province == demoProvince && c.Contains(now) {
			camp = c
		}
	}
	if camp.ID == 0 {
		return nil // no campaign under way: the team is formed, records wait for one
	}
	mctx, err := as(ctx, s, "tocnscd.anphu.1")
	if err != nil {
		return err
	}
	people := []struct{ name, phone string }{{"Nguyễn Văn Tư", "0905210301"}, {"Trần Thị Mỹ", "0935210302"}, {"Phạm Văn Lộc", ""}}
	for i, p := range people {
		at := now.Add(-time.Duration(3-i) * time.Hour)
		if at.Before(camp.LaunchAt) {
			continue
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "demo-outreach-2025/%d/%d", camp.ID, i))
		h := fmt.Sprintf("%x", sum[:16])
		id := h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
		in := outreach.RecordInput{ClientID: id, Citizen: outreach.Citizen{Name: p.name, BirthYear: 1960 + 7*i, Phone: p.phone},
			Skills: []string{"dvc_quocgia", "dvc_tinh"}, Platforms: []string{"vneid"}, GuidedAt: at,
			Consent: &outreach.Consent{Given: true, Version: camp.ConsentVersion}}
		if _, err := o.SaveRecord(mctx, in); err != nil && !apperr.Is(err, apperr.Conflict) {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
	return nil
}

// loadCeremony2025 writes the "Bình dân học vụ số" launch: in the provincial hall, starting 20
// minutes after loading so that its button can be tried, with the bridge points generated from
// the 2025 tree (1 main + 96 communes), a few of them ready; An Phú's is left for diemcau.anphu.
func loadCeremony2025(ctx context.Context, s Services) error {
	if s.Ceremony == nil {
		return nil
	}
	existing, err := s.Ceremony.List(ctx)
	if err != nil {
		return err
	}
	for _, c := range existing {
		if c.Province == demoProvince && strings.HasPrefix(c.Title, Ceremony2025Title) {
			return nil
		}
	}
	province, err := s.Units.Find(ctx, demoProvince)
	if err != nil {
		return err
	}
	where := units.InSentence(province.Name)
	starts := time.Now().Add(20 * time.Minute).Truncate(time.Minute)
	c, err := s.Ceremony.Create(ctx, ceremony.Ceremony{
		Province:   demoProvince,
		Title:      Ceremony2025Title + " " + where,
		StartsAt:   starts,
		Venue:      "Hội trường Tỉnh ủy " + units.PlaceName(province.Name),
		VCProvider: "Hệ thống hội nghị truyền hình trực tuyến của tỉnh",
		RoomLink:   "https://hop.quangngai.gov.vn/binh-dan-hoc-vu-so",
	})
	if err != nil {
		return err
	}
	if _, err := s.Ceremony.GeneratePoints(ctx, c.ID); err != nil {
		return err
	}
	points, err := s.Ceremony.ListPoints(ctx, c.ID, ceremony.PointFilter{})
	if err != nil {
		return err
	}
	full := ceremony.Checklist{Line: true, Camera: true, Microphone: true, Screen: true, Sound: true, Rehearsal: true}
	ready := 0
	for _, p := range points {
		if p.UnitCode == anPhu2025 || (p.Level != ceremony.Main && ready >= 10) {
			continue
		}
		if p.Level != ceremony.Main {
			ready++
		}
		if _, err := s.Ceremony.SetChecklist(ctx, c.ID, p.ID, full); err != nil {
			return err
		}
	}
	return nil
}

// loadReports2025 opens the 2025 period, to which every commune-level unit of the province
// reports directly, and has Xã Ba Tơ's People's Committee submit its report; Xã An Phú's is left
// for xa.anphu to write and submit.
func loadReports2025(ctx context.Context, s Services) error {
	if s.Reports == nil {
		return nil
	}
	p, err := ensurePeriod(ctx, s, Period2025Input())
	if err != nil {
		return fmt.Errorf("2025 period: %w", err)
	}
	// Xã Ba Tơ reported on 05/01/2026, before the due date (or now, on a clock before that day):
	// judged against the day it happened, it is on time whenever the demo is loaded.
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, ceremony.VietnamTime)
	if now := time.Now(); at.After(now) {
		at = now
	}
	_, err = submitAt(ctx, s, "xa.bato.2025", p.ID, baTo2025, map[string]string{
		"results":      "Xã đã tổ chức điểm cầu trực tuyến Lễ phát động phong trào “Bình dân học vụ số”; Tổ Công nghệ số cộng đồng các thôn hướng dẫn người dân kích hoạt định danh điện tử mức 2 và học kỹ năng số cơ bản trên nền tảng của tỉnh.",
		"difficulties": "Sau sắp xếp, địa bàn xã rộng gấp nhiều lần; một số thôn vùng cao chưa có sóng di động ổn định.",
		"proposals":    "Đề nghị tỉnh hỗ trợ thiết bị cho điểm cầu xã và bồi dưỡng kỹ năng số cho cán bộ xã sau sắp xếp.",
	}, "Đinh Văn Thắng", at)
	return err
}

// Period2025Input is the 2025 period of the demo province: the communes report to the province.
func Period2025Input() reports.PeriodInput {
	return reports.PeriodInput{ProvinceCode: demoProvince, Title: Period2025Title, PeriodStart: "2025-07-28", PeriodEnd: "2025-12-31",
		DueDate: "2026-01-10", ReportingLevel: string(units.Commune), NumberPrefix: "BC-UBND"}
}
