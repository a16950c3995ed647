// Package orgs is the second tree beside the units: departments (sở, ban, ngành), unions, schools,
// universities and colleges, media and enterprises. Organisations mobilise their people for the
// training courses and report their own figures; each may be located in a unit.
package orgs

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the organisation tree's schema; it follows the units' schema.
var Migrations = db.MigrationSet{Module: "orgs", FS: migrations}

// Kind is what sort of organisation it is.
type Kind string

// The kinds of organisation the plan names.
const (
	Department Kind = "department" // sở, ban, ngành
	Union      Kind = "union"      // Tỉnh đoàn, Hội LHPN, Hội Nông dân, Liên hiệp các Hội KH-KT…
	School     Kind = "school"
	University Kind = "university"
	College    Kind = "college"
	Media      Kind = "media"
	Enterprise Kind = "enterprise"
	Other      Kind = "other"
)

// Kinds lists every kind.
var Kinds = []Kind{Department, Union, School, University, College, Media, Enterprise, Other}

// Valid tells whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Org is one organisation.
type Org struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ShortName string `json:"short_name,omitempty"`
	Kind      Kind   `json:"kind"`
	ParentID  int64  `json:"parent_id,omitempty"`
	UnitCode  string `json:"unit_code,omitempty"`
	UnitPath  string `json:"-"`
	Path      string `json:"-"`
	Children  int    `json:"child_count"`
	// ValidTo is the last day of a merged organisation (YYYY-MM-DD); '' while it is in force.
	ValidTo string `json:"valid_to,omitempty"`
	// SuccessorID is the organisation it merged into.
	SuccessorID int64 `json:"successor_id,omitempty"`
}

// Retired tells whether the organisation has merged into another.
func (o Org) Retired() bool { return o.ValidTo != "" }

// MaxNameLen bounds an organisation's name, in characters.
const MaxNameLen = 200

// Validate checks the fields that need no database.
func (o Org) Validate() error {
	if strings.TrimSpace(o.Name) == "" {
		return apperr.InvalidField("name", "orgs.error.name_required")
	}
	if utf8.RuneCountInString(o.Name) > MaxNameLen || utf8.RuneCountInString(o.ShortName) > 50 {
		return apperr.InvalidField("name", "orgs.error.name_long")
	}
	if !o.Kind.Valid() {
		return apperr.InvalidField("kind", "orgs.error.kind")
	}
	return nil
}

// Service reads and changes organisations.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

// NewService returns a Service on d.
func NewService(d *db.DB) *Service { return &Service{DB: d, Now: time.Now} }

const orgColumns = `o.id, o.name, o.short_name, o.kind, COALESCE(o.parent_id, 0), COALESCE(o.unit_code, ''), o.unit_path, o.path,
	(SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id AND c.valid_to = ''), o.valid_to, COALESCE(o.successor_id, 0)`

func scanOrg(row interface{ Scan(...any) error }) (Org, error) {
	var o Org
	err := row.Scan(&o.ID, &o.Name, &o.ShortName, &o.Kind, &o.ParentID, &o.UnitCode, &o.UnitPath, &o.Path, &o.Children, &o.ValidTo, &o.SuccessorID)
	return o, err
}

// Find returns the organisation with id. Organisations are public information (learners pick
// theirs when they register), so no scope applies to reading one.
func (s *Service) Find(ctx context.Context, id int64) (Org, error) {
	return findOrg(ctx, s.DB.Reader(), id)
}

func findOrg(ctx context.Context, q db.Querier, id int64) (Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, "SELECT "+orgColumns+" FROM orgs o WHERE o.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, apperr.New(apperr.NotFound, "orgs.error.not_found", id)
	}
	return o, apperr.Wrap(err, "find org")
}

// Filter narrows a listing.
type Filter struct {
	Kind     Kind
	ParentID int64
	// Roots lists only top-level organisations.
	Roots    bool
	UnitPath string
	Query    string
	// Managed limits the listing to organisations the actor in the context administers.
	Managed bool
	// IncludeRetired lists merged organisations too; pickers and listings show those in force.
	IncludeRetired bool
	Limit          int
}

// List returns organisations matching f, by path.
func (s *Service) List(ctx context.Context, f Filter) ([]Org, error) {
	var conds []string
	var args []any
	if f.Kind != "" {
		conds = append(conds, "o.kind = ?")
		args = append(args, string(f.Kind))
	}
	if f.ParentID != 0 {
		conds = append(conds, "o.parent_id = ?")
		args = append(args, f.ParentID)
	}
	if f.Roots {
		conds = append(conds, "o.parent_id IS NULL")
	}
	if f.UnitPath != "" {
		conds = append(conds, "o.unit_path LIKE ?")
		args = append(args, f.UnitPath+"%")
	}
	if strings.TrimSpace(f.Query) != "" {
		conds = append(conds, `o.search_key LIKE ? ESCAPE '\'`)
		args = append(args, textfold.LikePattern(f.Query))
	}
	if !f.IncludeRetired {
		conds = append(conds, "o.valid_to = ''")
	}
	if f.Managed {
		managed := authz.ActorFrom(ctx).AdminScope().Orgs("o.path", "o.unit_path")
		if managed.Empty() {
			return nil, nil
		}
		conds, args = managed.And(conds, args)
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	q := "SELECT " + orgColumns + " FROM orgs o"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY o.path LIMIT ?"
	args = append(args, limit)
	rows, err := s.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list orgs")
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan org")
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Create adds an organisation. Every organisation is located in a unit (a provincial one in its
// province's unit), so it belongs to one province. A province administrator adds any in their
// province; a unit administrator adds organisations located in their units; an organisation
// administrator adds sub-organisations, which stay in the parent's province.
func (s *Service) Create(ctx context.Context, o Org) (Org, error) {
	actor := authz.ActorFrom(ctx)
	o.Name = strings.Join(strings.Fields(o.Name), " ")
	o.ShortName = strings.TrimSpace(o.ShortName)
	if err := o.Validate(); err != nil {
		return Org{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var parent Org
		if o.ParentID != 0 {
			p, err := findOrg(ctx, tx, o.ParentID)
			if err != nil {
				return apperr.InvalidField("parent_id", "orgs.error.parent_missing")
			}
			parent = p
			if parent.Retired() {
				return apperr.InvalidField("parent_id", "orgs.error.retired", parent.Name)
			}
		}
		if o.UnitCode == "" && parent.ID != 0 {
			o.UnitCode, o.UnitPath = parent.UnitCode, parent.UnitPath
		} else if o.UnitCode != "" {
			if err := tx.QueryRowContext(ctx, "SELECT path FROM units WHERE code = ? AND valid_to = ''", o.UnitCode).Scan(&o.UnitPath); err != nil {
				return apperr.InvalidField("unit_code", "units.error.not_found", o.UnitCode)
			}
		}
		if o.UnitPath == "" {
			// Every organisation lies in a province, the tenant that owns it.
			return apperr.InvalidField("unit_code", "orgs.error.unit_required")
		}
		if o.ParentID != 0 && authz.ProvinceOfPath(o.UnitPath) != authz.ProvinceOfPath(parent.UnitPath) {
			return apperr.InvalidField("unit_code", "orgs.error.other_province")
		}
		allowed := (parent.ID != 0 && actor.MayChange(authz.Object{OrgPath: parent.Path, OrgUnitPath: parent.UnitPath})) ||
			actor.MayChange(authz.Object{UnitPath: o.UnitPath})
		if !allowed {
			return apperr.New(apperr.Forbidden, "error.forbidden")
		}
		now := db.Millis(s.Now())
		id, err := tx.InsertID(ctx, `INSERT INTO orgs (name, short_name, kind, parent_id, unit_code, unit_path, path, search_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?) RETURNING id`,
			o.Name, o.ShortName, string(o.Kind), db.NullInt(o.ParentID), db.NullString(o.UnitCode), o.UnitPath, textfold.Fold(o.Name), now, now)
		if err != nil {
			if db.IsUniqueViolation(err) {
				e := apperr.New(apperr.Conflict, "orgs.error.duplicate")
				e.Field = "name"
				return e
			}
			return apperr.Wrap(err, "insert org")
		}
		o.ID = id
		o.Path = parent.Path + strconv.FormatInt(id, 10) + "/"
		if parent.ID == 0 {
			o.Path = "/" + strconv.FormatInt(id, 10) + "/"
		}
		if _, err := tx.ExecContext(ctx, "UPDATE orgs SET path = ? WHERE id = ?", o.Path, id); err != nil {
			return apperr.Wrap(err, "set org path")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "org.create", ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), UnitPath: o.UnitPath, Detail: o.Name})
	})
	if err != nil {
		return Org{}, err
	}
	return s.Find(ctx, o.ID)
}
