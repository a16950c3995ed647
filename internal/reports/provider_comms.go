package reports

import (
	"context"
	"time"

	"github.com/lantoa/lantoa/internal/portal"
)

// CommsProvider puts the communication tracking into the reports and dashboards through the
// portal's exported ChannelCounts: the items the units and the organisations based in them
// recorded, by channel (section "communication"). Like the other modules' adapters it lives here,
// not in the portal, which imports no other module (docs/architecture.md).
type CommsProvider struct{ Portal *portal.Service }

// Section is "communication".
func (CommsProvider) Section() string { return "communication" }

// Fields: every item, then the items of each channel.
func (p CommsProvider) Fields(ctx context.Context, unitPath string, asOf time.Time) ([]Field, error) {
	counts, err := p.Portal.ChannelCounts(ctx, unitPath, asOf)
	if err != nil {
		return nil, err
	}
	var total int64
	out := []Field{{Key: "media_items", LabelKey: "portal.report.media_items"}}
	for _, c := range portal.MediaChannels {
		total += counts[c]
		out = append(out, Field{Key: "media_" + string(c), LabelKey: "portal.channel." + string(c), Value: float64(counts[c])})
	}
	out[0].Value = float64(total)
	return out, nil
}
