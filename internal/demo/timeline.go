package demo

import (
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
)

// The demo lives in the present: `serve --demo` on any day shows a movement under way, not the
// plan's summer of 2023 seen years later (a locked programme, every report "Trễ hạn"). The plan's
// ceremony and report period are loaded as the history they are (launched on 28/07/2023, reported
// in August 2023, at those dates); what a visitor works on is laid out around the day of loading:
//
//   - the campaign "7 citizens in 7 days" opened CampaignDaysAgo days ago in the morning, so it is on
//     a later day of its seven, with records from the days before;
//   - a second launch ceremony of the province starts CeremonyInDays days ahead: its programme can
//     still be edited, the technical rehearsal was held yesterday, some points are ready;
//   - the campaign's report period closes with the campaign and is due a few days after it, in
//     the future: some districts have reported, one report was returned for correction.
//
// The campaign does not wait for that ceremony: a campaign has its own launch moment (only
// campaigns marked to follow the ceremony start at its press, and the demo's is not), so the
// campaign runs while the next ceremony is prepared, as a province's teams go on between events.
// The public ceremony page counts down the campaign's own window (see app.PortalCeremony), so the
// "7 days" are the same everywhere.

// CampaignDaysAgo is how many days before the day of loading the demo campaign opened (at
// 07:30, Vietnam time): with a 7-day window it is on day 4 or 5 of 7, whatever the hour.
const CampaignDaysAgo = 4

// CeremonyInDays is how many days after the day of loading the demo's coming ceremony starts
// (at 08:00, Vietnam time).
const CeremonyInDays = 3

// ReportDueAfterCampaign is how many days after the campaign's last day its report is due.
const ReportDueAfterCampaign = 3

// timeline is the present scenario's calendar around now, in Vietnam days.
type timeline struct {
	now   time.Time
	today time.Time // 00:00 of now's day, Vietnam time
}

func newTimeline(now time.Time) timeline {
	y, m, d := now.In(ceremony.VietnamTime).Date()
	return timeline{now: now, today: time.Date(y, m, d, 0, 0, 0, 0, ceremony.VietnamTime)}
}

// at is hour:minute of the day offset days from today (negative: before).
func (t timeline) at(offset, hour, minute int) time.Time {
	return t.today.AddDate(0, 0, offset).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// campaignDays is the demo campaign's window, the plan's "7 days".
const campaignDays = 7

// campaignLaunch is when the demo campaign opened.
func (t timeline) campaignLaunch() time.Time { return t.at(-CampaignDaysAgo, 7, 30) }

// campaignCloseDay is the day offset from today on which the campaign's window closes.
const campaignCloseDay = campaignDays - CampaignDaysAgo

// ceremonyStart is when the coming ceremony starts.
func (t timeline) ceremonyStart() time.Time { return t.at(CeremonyInDays, 8, 0) }

// rehearsal is when the coming ceremony's technical rehearsal was held: yesterday afternoon.
func (t timeline) rehearsal() time.Time { return t.at(-1, 14, 0) }

// date is a day offset from today as the report forms write it.
func (t timeline) date(offset int) string { return t.today.AddDate(0, 0, offset).Format("2006-01-02") }
