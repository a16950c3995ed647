// Package schema lists every module's migrations in the order they apply. A new domain package
// adds its MigrationSet here, after the modules its tables reference.
package schema

import (
	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	launchevents "github.com/lantoa/lantoa/internal/events"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/events"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/pubservices"
	"github.com/lantoa/lantoa/internal/reports"
	"github.com/lantoa/lantoa/internal/training"
	"github.com/lantoa/lantoa/internal/units"
)

// All returns the migration sets of every module, dependencies first.
func All() []db.MigrationSet {
	return []db.MigrationSet{
		audit.Migrations,
		units.Migrations,
		orgs.Migrations,
		accounts.Migrations,
		training.Migrations,
		outreach.Migrations,
		events.Migrations,
		ceremony.Migrations,
		notify.Migrations,
		portal.Migrations,
		reports.Migrations,
		pubservices.Migrations,
		launchevents.Migrations,
		// Last: they drop the foreign keys the modules above declared on units.code.
		units.VersionMigrations,
	}
}
