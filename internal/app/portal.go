package app

import (
	"github.com/lantoa/lantoa/internal/portal"
)

// portalFigures builds the registry of the portal's live headline figures. The foundation's
// counts come first; a module with public figures (ceremony, training, outreach) registers its
// portal.FigureSource here, so that the portal never imports it.
func portalFigures(svc *Services) *portal.FigureRegistry {
	r := portal.NewFigureRegistry()
	r.Register(portal.FoundationFigures{DB: svc.DB})
	return r
}
