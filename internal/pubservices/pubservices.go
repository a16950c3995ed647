// Package pubservices measures the purpose of the movement (plan I.1): more real use of online
// public services. A province imports the monthly statistics it already exports from its
// administrative-procedures information system (Hệ thống thông tin giải quyết TTHC) and the
// National Public Service Portal (Cổng Dịch vụ công quốc gia) — dossiers received, online
// dossiers, fully online dossiers, online payments, by unit and month — and the package compares
// the shares of the months before the province's launch ceremony with the months after.
//
// Scope is the unit tree, as in the other modules: a province administrator imports and reads the
// province's units, a unit administrator the unit's subtree, a national administrator reads every
// province and changes none. A unit outside the actor's scope reads as unknown.
package pubservices

import (
	"context"
	"embed"
	"time"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/units"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the public services module's schema.
var Migrations = db.MigrationSet{Module: "pubservices", FS: migrations}

// Figures are one month's statistics of a unit.
type Figures struct {
	// Received is every dossier received (hồ sơ tiếp nhận), at the counter and online.
	Received int64 `json:"received"`
	// Online is the dossiers received online (hồ sơ trực tuyến), partly or fully.
	Online int64 `json:"online"`
	// FullyOnline is the dossiers handled online from submission to result (trực tuyến toàn trình).
	FullyOnline int64 `json:"fully_online"`
	// PaidOnline is the dossiers whose fees were paid online (thanh toán trực tuyến).
	PaidOnline int64 `json:"paid_online"`
}

func (f *Figures) add(o Figures) {
	f.Received += o.Received
	f.Online += o.Online
	f.FullyOnline += o.FullyOnline
	f.PaidOnline += o.PaidOnline
}

// Shares are the figures as shares of the dossiers received, in percent; nil when none was received.
type Shares struct {
	OnlineShare      *float64 `json:"online_share"`
	FullyOnlineShare *float64 `json:"fully_online_share"`
	PaidOnlineShare  *float64 `json:"paid_online_share"`
}

func share(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	v := float64(part) * 100 / float64(whole)
	return &v
}

// Shares computes the shares of f.
func (f Figures) Shares() Shares {
	return Shares{OnlineShare: share(f.Online, f.Received), FullyOnlineShare: share(f.FullyOnline, f.Received), PaidOnlineShare: share(f.PaidOnline, f.Received)}
}

// Month is one month of a unit's statistics.
type Month struct {
	Month string `json:"month"` // YYYY-MM
	Figures
	Shares
	// Phase is "before", "launch" (the month of the launch, counted in neither) or "after"; empty
	// when the province has not launched.
	Phase string `json:"phase,omitempty"`
}

// Period is the months of one side of the launch added up.
type Period struct {
	Months int `json:"months"`
	Figures
	Shares
}

// Summary compares the months before the launch with the months after. The launch month itself
// counts in neither: a ceremony on the 28th would otherwise credit the movement with a month it
// had two days of.
type Summary struct {
	LaunchAt *time.Time `json:"launch_at"`
	Before   Period     `json:"before"`
	After    Period     `json:"after"`
	// Change is After's share less Before's, in percentage points; nil when a side has no dossiers.
	Change Shares `json:"change"`
}

// UnitStats is a unit's months and summary.
type UnitStats struct {
	Unit    units.Unit `json:"unit"`
	Months  []Month    `json:"months"`
	Summary Summary    `json:"summary"`
}

// Report is a unit's statistics with those of each of its children in force.
type Report struct {
	UnitStats
	Children []UnitStats `json:"children"`
}

// LaunchSource answers the moment the province's movement was launched (its launched ceremony),
// or the zero time when it has not been.
type LaunchSource func(ctx context.Context, province string) (time.Time, error)

// Service reads and writes the statistics.
type Service struct {
	DB     *db.DB
	Units  *units.Service
	Launch LaunchSource
	Now    func() time.Time
}

// NewService returns the service; launch may be nil (no province has launched).
func NewService(d *db.DB, u *units.Service, launch LaunchSource) *Service {
	return &Service{DB: d, Units: u, Launch: launch, Now: time.Now}
}

var vietnam = time.FixedZone("ICT", 7*3600)
