package app

import (
	"context"

	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/portal"
)

// newLaunchEvents builds the launch events service; its photos are stored through the portal's
// image handling (checked, scaled, stripped of metadata, served at /media/{id}).
func newLaunchEvents(s *Services) *launchevents.Service {
	return launchevents.NewService(s.DB, imageStore(s.Portal))
}

func imageStore(p *portal.Service) launchevents.ImageStore {
	return func(ctx context.Context, data []byte, alt, province string) (int64, error) {
		img, err := p.StoreImage(ctx, data, alt, province)
		return img.ID, err
	}
}
