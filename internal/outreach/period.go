package outreach

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// ProgressBetween is the progress of the unit as it is now in a campaign, counting only the
// campaign's records dated from from to to (inclusive): a report's period that ends or begins
// inside the campaign's window counts the records of its own days (docs/architecture.md,
// "Reports bound to their period"). The counters count a whole window, so this reads the
// campaign's records under the unit (one read by campaign and path, for a report's figures, not a
// page). Members are those under the unit now; a member meets the target with as many distinct
// citizens among their records of those days. Children and the members' standing are left out.
func (s *Service) ProgressBetween(ctx context.Context, unitCode string, campaignID int64, from, to time.Time) (Progress, error) {
	p, err := s.progress(ctx, unitCode, campaignID, ViewNow, false)
	if err != nil {
		return p, err
	}
	p.Children, p.Leaders, p.Behind, p.BehindCount, p.FromSplit, p.Visits = nil, nil, nil, 0, nil, nil
	splits, err := s.splitUnits(ctx)
	if err != nil {
		return p, err
	}
	members, err := s.membersUnder(ctx, p.Unit.Path, ViewNow, splits, p.Campaign.ID)
	if err != nil {
		return p, err
	}
	cond, args, _ := countsIn(ViewNow, p.Unit.Path, splits)
	rows, err := s.DB.Reader().QueryContext(ctx, `SELECT c.member_id, c.subject, c.citizen_key, c.tax_code, c.skills, c.platforms FROM outreach_records c
		WHERE c.campaign_id = ? AND c.guided_at >= ? AND c.guided_at <= ? AND `+cond,
		append([]any{p.Campaign.ID, db.Millis(from), db.Millis(to)}, args...)...)
	if err != nil {
		return p, apperr.Wrap(err, "records of the period")
	}
	defer rows.Close()
	citizens, enterprises := map[string]bool{}, map[string]bool{}
	byMember := map[int64]map[string]bool{}
	dims := map[string]int64{}
	p.Records, p.EnterpriseRecords = 0, 0
	for rows.Next() {
		var member int64
		var subject, key, tax, skills, platforms string
		if err := rows.Scan(&member, &subject, &key, &tax, &skills, &platforms); err != nil {
			return p, apperr.Wrap(err, "scan record")
		}
		if Audience(subject) == AudienceEnterprise {
			p.EnterpriseRecords++
			enterprises[tax] = true
		} else {
			p.Records++
			citizens[key] = true
			if byMember[member] == nil {
				byMember[member] = map[string]bool{}
			}
			byMember[member][key] = true
		}
		for _, code := range splitCodes(skills) {
			dims["skill:"+code]++
		}
		for _, code := range splitCodes(platforms) {
			dims["platform:"+code]++
		}
	}
	if err := rows.Err(); err != nil {
		return p, apperr.Wrap(err, "records of the period")
	}
	p.Citizens, p.Enterprises = int64(len(citizens)), int64(len(enterprises))
	p.Members, p.MembersMet = len(members), 0
	for _, m := range members {
		if meetsTarget(int64(len(byMember[m.id])), p.Campaign.Target) {
			p.MembersMet++
		}
	}
	skills, _, err := s.catalog(ctx)
	if err != nil {
		return p, err
	}
	p.BySkill, p.ByPlatform = nil, nil
	for dim, n := range dims {
		p.addDim(dim, n, skills)
	}
	sortCounts(p.BySkill, p.ByPlatform)
	return p, nil
}
