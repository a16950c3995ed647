package reports

import (
	"context"
	"strconv"
	"time"

	launchevents "github.com/lantoa/lantoa/internal/events"
)

// EventsProvider puts the launch events held at every level into the reports and dashboards
// (section "events"): the events held in the subtree by kind and by level (the province, the
// districts, the communes, the organisations), the people who took part by group, and each
// organisation's events with their participants. Like the other adapters it lives here; the events
// module knows nothing of reports.
type EventsProvider struct{ Svc *launchevents.Service }

// Section is "events".
func (EventsProvider) Section() string { return "events" }

// maxOrgLines bounds the organisations a report names one by one, most events first.
const maxOrgLines = 10

// Fields: the events held up to asOf (dashboards: every event so far), then by kind, by level,
// the participants and by group, and the organisations that held most.
func (p EventsProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	sum, err := p.Svc.Summarise(ctx, unitPath, time.Time{}, asOf)
	if err != nil {
		return nil, err
	}
	return eventsFields(sum), nil
}

// PeriodFields are Fields over the events whose start lies within the period's dates (and not
// after asOf, which periodFields keeps within them): an event held before the period began or
// after it ended counts in that other period's report, not this one.
func (p EventsProvider) PeriodFields(ctx context.Context, unitPath string, span Span, asOf time.Time) ([]Field, error) {
	if asOf.After(span.To) {
		asOf = span.To
	}
	sum, err := p.Svc.Summarise(ctx, unitPath, span.From, asOf)
	if err != nil {
		return nil, err
	}
	return eventsFields(sum), nil
}

// eventsFields are the events section's figures of a summary.
func eventsFields(sum launchevents.Summary) []Field {
	const events, people = "events.report.measure", "reports.measure.people"
	out := []Field{{Key: "events_held", LabelKey: "events.report.held", Value: float64(sum.Held), Unit: events}}
	for _, k := range launchevents.Kinds {
		out = append(out, Field{Key: "events_kind_" + string(k), LabelKey: "events.kind." + string(k), Value: float64(sum.ByKind[k]), Unit: events})
	}
	for _, l := range launchevents.Levels {
		out = append(out, Field{Key: "events_level_" + string(l), LabelKey: "events.report.level." + string(l), Value: float64(sum.ByLevel[l]), Unit: events})
	}
	out = append(out, Field{Key: "events_participants", LabelKey: "events.report.participants", Value: float64(sum.Participants.Total()), Unit: people})
	for _, g := range launchevents.Groups {
		out = append(out, Field{Key: "events_participants_" + g, LabelKey: "events.group." + g, Value: float64(sum.Participants.Of(g)), Unit: people})
	}
	for i, o := range sum.ByOrg {
		if i == maxOrgLines {
			break
		}
		id := strconv.FormatInt(o.OrgID, 10)
		out = append(out,
			Field{Key: "events_org_" + id, LabelKey: LiteralLabel + "Sự kiện — " + o.Name, Value: float64(o.Events), Unit: events},
			Field{Key: "events_org_" + id + "_participants", LabelKey: LiteralLabel + "Người tham gia — " + o.Name, Value: float64(o.Participants.Total()), Unit: people})
	}
	return out
}
