package units

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/textfold"
)

// Service reads and changes the unit tree.
type Service struct {
	DB          *db.DB
	Now         func() time.Time
	switchHooks []SwitchHook
}

// NewService returns a Service on d.
func NewService(d *db.DB) *Service { return &Service{DB: d, Now: time.Now} }

const unitColumns = `u.code, u.name, u.level, u.type, COALESCE(u.parent_code, ''), u.path, u.valid_from, u.valid_to,
	COALESCE(u.successor_code, ''), u.updated_at, (SELECT COUNT(*) FROM units c WHERE c.parent_path = u.path AND c.valid_to = '')`

// currentFirst orders the versions of one code: the one in force, else the latest retired.
const currentFirst = ` ORDER BY CASE WHEN u.valid_to = '' THEN 0 ELSE 1 END, u.valid_from DESC LIMIT 1`

func scanUnit(row interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var updated int64
	err := row.Scan(&u.Code, &u.Name, &u.Level, &u.Type, &u.ParentCode, &u.Path, &u.ValidFrom, &u.ValidTo, &u.SuccessorCode, &updated, &u.ChildCount)
	u.UpdatedAt = db.FromMillis(updated)
	return u, err
}

// Find returns the unit with code: the version in force, or, for a code no unit in force holds,
// the latest retired version. A code can name several versions (codes are reused by
// reorganisations); FindPath names one exactly.
func (s *Service) Find(ctx context.Context, code string) (Unit, error) {
	return findUnit(ctx, s.DB.Reader(), code)
}

func findUnit(ctx context.Context, q db.Querier, code string) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx, "SELECT "+unitColumns+" FROM units u WHERE u.code = ?"+currentFirst, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, apperr.New(apperr.NotFound, "units.error.not_found", code)
	}
	if err != nil {
		return Unit{}, apperr.Wrap(err, "find unit")
	}
	return u, nil
}

// FindPath returns the unit version at path, in force or retired.
func (s *Service) FindPath(ctx context.Context, path string) (Unit, error) {
	return findPath(ctx, s.DB.Reader(), path)
}

func findPath(ctx context.Context, q db.Querier, path string) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx, "SELECT "+unitColumns+" FROM units u WHERE u.path = ?", path))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, apperr.New(apperr.NotFound, "units.error.not_found", path)
	}
	if err != nil {
		return Unit{}, apperr.Wrap(err, "find unit")
	}
	return u, nil
}

// FindMany returns the units with the given codes, keyed by code; unknown codes are left out.
// For a code several versions hold, the version in force, else the latest.
func (s *Service) FindMany(ctx context.Context, codes []string) (map[string]Unit, error) {
	out := map[string]Unit{}
	err := s.findIn(ctx, "u.code", codes, func(u Unit) {
		if prev, ok := out[u.Code]; ok && (prev.ValidTo == "" || (u.ValidTo != "" && u.ValidFrom < prev.ValidFrom)) {
			return
		}
		out[u.Code] = u
	})
	return out, err
}

// findIn reads the units whose column col holds one of keys.
func (s *Service) findIn(ctx context.Context, col string, keys []string, each func(Unit)) error {
	if len(keys) == 0 {
		return nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.DB.Reader().QueryContext(ctx, "SELECT "+unitColumns+" FROM units u WHERE "+col+" IN ("+ph+")", args...)
	if err != nil {
		return apperr.Wrap(err, "find units")
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return apperr.Wrap(err, "scan unit")
		}
		each(u)
	}
	return rows.Err()
}

// FindAt returns the version of code in force on date (YYYY-MM-DD): the unit a 2023 document
// meant by that code.
func (s *Service) FindAt(ctx context.Context, code, date string) (Unit, error) {
	if !isDate(date) {
		return Unit{}, apperr.InvalidField("at", "units.error.date")
	}
	u, err := scanUnit(s.DB.Reader().QueryRowContext(ctx, "SELECT "+unitColumns+` FROM units u WHERE u.code = ?
		AND (u.valid_from = '' OR u.valid_from <= ?) AND (u.valid_to = '' OR u.valid_to >= ?)`+currentFirst, code, date, date))
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, apperr.New(apperr.NotFound, "units.error.not_found", code)
	}
	if err != nil {
		return Unit{}, apperr.Wrap(err, "find unit")
	}
	return u, nil
}

// FindPaths returns the unit versions at the given paths, keyed by path; unknown paths are left out.
func (s *Service) FindPaths(ctx context.Context, paths []string) (map[string]Unit, error) {
	out := map[string]Unit{}
	err := s.findIn(ctx, "u.path", paths, func(u Unit) { out[u.Path] = u })
	return out, err
}

// Filter narrows a listing of units.
type Filter struct {
	Level Level
	// ParentCode lists the children of the unit in force with this code; with Level, every unit of
	// that level below it ("the communes of province 51", whether a district lies between or not).
	ParentCode string
	// ParentPath lists the children of that unit version (in force or retired).
	ParentPath string
	// Query matches the name without regard to case, diacritics or tone-mark style.
	Query string
	// Under limits the listing to the subtree at this path (the root included).
	Under string
	// IncludeRetired lists units that have left the catalogue too.
	IncludeRetired bool
	Limit          int
	Offset         int
}

// MaxList bounds one page of units; the whole country has about 11,400 units above village level.
const MaxList = 20000

// List returns units matching f, ordered by path so that a subtree reads top down.
func (s *Service) List(ctx context.Context, f Filter) ([]Unit, error) {
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	q := "SELECT " + unitColumns + " FROM units u" + where + " ORDER BY u.path LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.DB.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list units")
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan unit")
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Count counts units matching f.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	where, args := f.where()
	var n int
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units u"+where, args...).Scan(&n)
	return n, apperr.Wrap(err, "count units")
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Level != "" {
		conds = append(conds, "u.level = ?")
		args = append(args, string(f.Level))
	}
	if f.ParentCode != "" {
		parent := "(SELECT p.path FROM units p WHERE p.code = ? ORDER BY CASE WHEN p.valid_to = '' THEN 0 ELSE 1 END, p.valid_from DESC LIMIT 1)"
		if f.Level != "" {
			conds = append(conds, "u.path LIKE "+parent+" || '%'", "u.path <> "+parent)
			args = append(args, f.ParentCode, f.ParentCode)
		} else {
			conds = append(conds, "u.parent_path = "+parent)
			args = append(args, f.ParentCode)
		}
	}
	if f.ParentPath != "" {
		conds = append(conds, "u.parent_path = ?")
		args = append(args, f.ParentPath)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, `u.search_key LIKE ? ESCAPE '\'`)
		args = append(args, textfold.LikePattern(q))
	}
	if f.Under != "" {
		conds = append(conds, "u.path LIKE ?")
		args = append(args, f.Under+"%")
	}
	if !f.IncludeRetired {
		conds = append(conds, "u.valid_to = ''")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Current returns the unit in force that data recorded against code counts in today: the unit
// itself while it is in force, else the unit its roll-up names (a merger's successor, a
// reorganisation's new unit). A split unit not yet assigned is its own answer.
func (s *Service) Current(ctx context.Context, code string) (Unit, error) {
	u, err := s.Find(ctx, code)
	if err != nil || u.InForce() {
		return u, err
	}
	to, err := s.RollsUpTo(ctx, u.Path)
	if err != nil || to == "" {
		return u, err
	}
	return s.FindPath(ctx, to)
}

// CreateVillage adds a village or residential group under a commune. Only administrators of the
// commune (or a unit above it) may.
func (s *Service) CreateVillage(ctx context.Context, u Unit) (Unit, error) {
	actor := authz.ActorFrom(ctx)
	u.Name = strings.Join(strings.Fields(u.Name), " ")
	u.Level = Village
	if u.Type == "" {
		u.Type = TypeFromName(u.Name)
	}
	if u.Code == "" && u.ParentCode != "" {
		u.Code = u.ParentCode + "-" + textfold.Slug(strings.TrimPrefix(strings.TrimPrefix(u.Name, "Thôn "), "Tổ dân phố "))
		if len(u.Code) > 32 {
			u.Code = u.Code[:32]
		}
	}
	if err := validationError(u); err != nil {
		return Unit{}, err
	}
	err := s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		parent, err := findUnit(ctx, tx, u.ParentCode)
		if err != nil {
			return apperr.InvalidField("parent_code", "units.error.parent_missing", u.ParentCode)
		}
		if parent.Level != Commune {
			return apperr.InvalidField("parent_code", "units.error.parent_level")
		}
		if !actor.AdministersUnit(parent.Path) {
			return apperr.New(apperr.Forbidden, "error.forbidden")
		}
		u.Path = parent.Path + u.Code + "/"
		now := db.Millis(s.Now())
		if parent.ValidTo != "" {
			return apperr.InvalidField("parent_code", "units.error.parent_retired", u.ParentCode)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, level, type, parent_code, parent_path, path, search_key, valid_from, valid_to, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
			u.Code, u.Name, string(u.Level), u.Type, u.ParentCode, parent.Path, u.Path, textfold.Fold(u.Name), u.ValidFrom, now, now); err != nil {
			if db.IsUniqueViolation(err) {
				e := apperr.New(apperr.Conflict, "units.error.code_taken", u.Code)
				e.Field = "code"
				return e
			}
			return apperr.Wrap(err, "insert village")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "unit.create", ObjectType: "unit", ObjectID: u.Code, UnitPath: u.Path, Detail: u.Name})
	})
	if err != nil {
		return Unit{}, err
	}
	return s.Find(ctx, u.Code)
}

// Retire records that a unit left the catalogue on validTo and, when it was merged, which unit
// succeeded it. Only the administrator of the unit's province may change the official tree, and
// only the command line retires a province itself.
func (s *Service) Retire(ctx context.Context, code, successorCode, validTo string) error {
	actor := authz.ActorFrom(ctx)
	if len(actor.UnitPaths(authz.ProvinceAdmin)) == 0 {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if !isDate(validTo) {
		return apperr.InvalidField("valid_to", "units.error.date")
	}
	return s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		u, err := findUnit(ctx, tx, code)
		if err != nil {
			return err
		}
		province := authz.ProvincePath(authz.ProvinceOfPath(u.Path))
		if !actor.AdministersUnit(province) || (u.Level == Province && !actor.AdministersUnit("/")) {
			return apperr.New(apperr.Forbidden, "error.forbidden")
		}
		if successorCode != "" {
			succ, err := findUnit(ctx, tx, successorCode)
			if err != nil {
				return apperr.InvalidField("successor_code", "units.error.successor_missing", successorCode)
			}
			if succ.Code == u.Code || strings.HasPrefix(succ.Path, u.Path) {
				return apperr.InvalidField("successor_code", "units.error.successor_cycle", successorCode)
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE units SET valid_to = ?, successor_code = ?, updated_at = ? WHERE path = ?",
			validTo, db.NullString(successorCode), db.Millis(s.Now()), u.Path); err != nil {
			return apperr.Wrap(err, "retire unit")
		}
		if successorCode != "" {
			succ, err := findUnit(ctx, tx, successorCode)
			if err != nil {
				return err
			}
			if err := rollUp(ctx, tx, u.Path, succ.Path); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "unit.retire", ObjectType: "unit", ObjectID: code, UnitPath: u.Path, Detail: "successor=" + successorCode + " valid_to=" + validTo})
	})
}

// rollUp records that the unit version at oldPath, and every unit below it, now counts in the
// unit at newPath; what rolled up into oldPath before rolls on into newPath.
func rollUp(ctx context.Context, tx *db.Tx, oldPath, newPath string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE unit_rollup SET current_path = ? WHERE current_path LIKE ?", newPath, oldPath+"%"); err != nil {
		return apperr.Wrap(err, "roll up earlier units")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO unit_rollup (path, current_path) SELECT u.path, ? FROM units u WHERE u.path LIKE ?
		ON CONFLICT (path) DO UPDATE SET current_path = excluded.current_path`, newPath, oldPath+"%"); err != nil {
		return apperr.Wrap(err, "roll up unit")
	}
	return nil
}

// Seeded tells whether the tree has any unit.
func (s *Service) Seeded(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM units").Scan(&n)
	return n > 0, err
}
