package demo

import (
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
)

// TestTimelineAtEveryHour: whatever the hour the demo is loaded at (Vietnam time, so also just
// after midnight and late at night), the campaign is on a later day of its 7, the coming
// ceremony is 2–6 days ahead with its rehearsal already held, and the campaign's report is due
// after the campaign's last day, in the future.
func TestTimelineAtEveryHour(t *testing.T) {
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, ceremony.VietnamTime)
	for m := 0; m < 24*60; m += 7 {
		now := day.Add(time.Duration(m) * time.Minute)
		tl := newTimeline(now)
		launch := tl.campaignLaunch()
		if n := int(now.Sub(launch)/(24*time.Hour)) + 1; n < 2 || n > 6 {
			t.Errorf("%v: campaign on day %d", now, n)
		}
		if ahead := tl.ceremonyStart().Sub(now); ahead < 2*24*time.Hour || ahead > 6*24*time.Hour {
			t.Errorf("%v: ceremony in %v", now, ahead)
		}
		if r := tl.rehearsal(); !r.Before(now) || !r.After(launch) {
			t.Errorf("%v: rehearsal at %v", now, r)
		}
		last := campaignCloseDay
		end := launch.Add(7 * 24 * time.Hour).In(ceremony.VietnamTime).Format("2006-01-02")
		if tl.date(last) != end || tl.date(-CampaignDaysAgo) != launch.Format("2006-01-02") {
			t.Errorf("%v: period %s–%s, campaign %v–%s", now, tl.date(-CampaignDaysAgo), tl.date(last), launch, end)
		}
		if due := tl.date(last + ReportDueAfterCampaign); due <= tl.date(0) || due <= end {
			t.Errorf("%v: report due %s", now, due)
		}
	}
}
