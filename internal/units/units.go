// Package units is the administrative unit tree: province → district → commune → village or
// residential group, keyed by GSO code. Every other module hangs its data on this tree, and scope
// checks are prefix matches on a unit's materialised path ("/51/535/21289/").
package units

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/db"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the unit tree's schema.
var Migrations = db.MigrationSet{Module: "units", FS: migrations}

//go:embed versions/migrations
var versionMigrations embed.FS

// VersionMigrations re-key the tree by unit version (path) and add the lineage of reorganisations.
// They apply after every other module's migrations (internal/schema lists them last), because they
// remove the foreign keys that other modules' tables declared on units.code.
var VersionMigrations = db.MigrationSet{Module: "unit_versions", FS: mustSub(versionMigrations, "versions")}

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

//go:embed data/quang-ngai-2023-units.csv
var quangNgai2023 []byte

// QuangNgai2023CSV is Quảng Ngãi's unit tree as of July 2023 (1 province, 13 district-level and 173
// commune-level units), from the GSO catalogue; see docs/data.md for source and licence.
func QuangNgai2023CSV() []byte { return quangNgai2023 }

//go:embed data/vietnam-units-2023.csv
var vietnam2023 []byte

// Vietnam2023CSV is every administrative unit of Vietnam as of July 2023 (63 provinces, 705
// district-level and 10,598 commune-level units) in the same format, for a national deployment;
// see docs/data.md for source and licence.
func Vietnam2023CSV() []byte { return vietnam2023 }

// ProvinceCSV returns the header and the rows of one province (the province, its districts and
// their communes, in the file's order) from a reference CSV such as Vietnam2023CSV; with districts,
// only those districts and their communes. The reference files quote nothing, so lines are split
// on commas.
func ProvinceCSV(all []byte, code string, districts ...string) []byte {
	lines := strings.Split(string(all), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	in := map[string]bool{code: true}
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if len(f) < 4 {
			continue
		}
		if Level(f[2]) == District && len(districts) > 0 && !slices.Contains(districts, f[0]) {
			continue
		}
		if f[0] == code || in[f[3]] {
			in[f[0]] = true
			b.WriteString(line + "\n")
		}
	}
	return []byte(b.String())
}

//go:embed data/vietnam-units-2025.csv
var vietnam2025 []byte

// Vietnam2025CSV is every administrative unit of Vietnam from 1 July 2025: 34 provinces and 3,321
// commune-level units directly under them (no district level); see docs/data.md.
func Vietnam2025CSV() []byte { return vietnam2025 }

//go:embed data/quang-ngai-2025-lineage.csv
var quangNgaiLineage2025 []byte

// QuangNgaiLineage2025CSV says, for each of the 96 commune-level units of Quảng Ngãi from 1 July
// 2025, which units of old Quảng Ngãi (51) and old Kon Tum (62) of 2023 it was formed from (NQ
// 1677/NQ-UBTVQH15); see docs/data.md.
func QuangNgaiLineage2025CSV() []byte { return quangNgaiLineage2025 }

// ReferenceFile returns one of the shipped reference files by name, for the command line's
// "embedded:NAME".
func ReferenceFile(name string) ([]byte, error) {
	switch name {
	case "vietnam-units-2023.csv":
		return vietnam2023, nil
	case "quang-ngai-2023-units.csv":
		return quangNgai2023, nil
	case "vietnam-units-2025.csv":
		return vietnam2025, nil
	case "quang-ngai-2025-lineage.csv":
		return quangNgaiLineage2025, nil
	}
	return nil, fmt.Errorf("no shipped reference file %q (vietnam-units-2023.csv, quang-ngai-2023-units.csv, vietnam-units-2025.csv, quang-ngai-2025-lineage.csv)", name)
}

//go:embed data/quang-ngai-districts.geojson
var districtsGeoJSON []byte

// DistrictsGeoJSON is the boundaries of Quảng Ngãi's 13 district-level units, for display only.
func DistrictsGeoJSON() []byte { return districtsGeoJSON }

// Level is a rung of the tree.
type Level string

// The levels, top down.
const (
	Province Level = "province"
	District Level = "district"
	Commune  Level = "commune"
	Village  Level = "village"
)

// Levels lists the levels top down.
var Levels = []Level{Province, District, Commune, Village}

// Valid tells whether l is a known level.
func (l Level) Valid() bool { return l.rank() >= 0 }

func (l Level) rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// HangsUnder tells whether a unit of level l may have a parent of level p. A commune hangs under a
// district on the three-tier map (until 30/06/2025) and directly under its province on the
// two-tier map (from 01/07/2025); villages and residential groups hang under communes on both.
func (l Level) HangsUnder(p Level) bool {
	switch l {
	case District:
		return p == Province
	case Commune:
		return p == District || p == Province
	case Village:
		return p == Commune
	}
	return false
}

// Unit is one administrative unit.
type Unit struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      Level  `json:"level"`
	Type       string `json:"type"`
	ParentCode string `json:"parent_code"`
	// Path names the version: a code reused by a reorganisation is another unit at another path.
	Path string `json:"path"`
	// ValidFrom and ValidTo are dates (YYYY-MM-DD); an empty ValidTo means still in force.
	ValidFrom string `json:"valid_from,omitempty"`
	ValidTo   string `json:"valid_to,omitempty"`
	// SuccessorCode names the unit this one was merged into, when it was.
	SuccessorCode string    `json:"successor_code,omitempty"`
	ChildCount    int       `json:"child_count"`
	UpdatedAt     time.Time `json:"-"`
}

// Ancestors returns the codes from the province down to this unit's parent.
func (u Unit) Ancestors() []string {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) <= 1 {
		return nil
	}
	return parts[:len(parts)-1]
}

// InForce tells whether the unit is in the catalogue today.
func (u Unit) InForce() bool { return u.ValidTo == "" }

// Href is the unit's page: the version in force by its code, a retired version by its code and the
// last day it was in force.
func (u Unit) Href() string {
	if u.ValidTo != "" {
		return "/units/" + u.Code + "?at=" + u.ValidTo
	}
	return "/units/" + u.Code
}

// AncestorPaths returns the paths from the province down to this unit's parent: the versions the
// unit hung under, which for a retired unit may be retired too.
func (u Unit) AncestorPaths() []string {
	var out []string
	for i := 1; i < len(u.Path)-1; i++ {
		if u.Path[i] == '/' {
			out = append(out, u.Path[:i+1])
		}
	}
	return out
}

// Retired tells whether the unit has left the catalogue as of date (YYYY-MM-DD).
func (u Unit) Retired(date string) bool { return u.ValidTo != "" && u.ValidTo <= date }

// typePrefixes map the official name prefix to a unit type; longer prefixes first.
var typePrefixes = []struct{ prefix, typ string }{
	{"Thành phố ", "thanh_pho"},
	{"Tổ dân phố ", "to_dan_pho"},
	{"Thị trấn ", "thi_tran"},
	{"Thị xã ", "thi_xa"},
	{"Khu phố ", "khu_pho"},
	{"Đặc khu ", "dac_khu"},
	{"Phường ", "phuong"},
	{"Huyện ", "huyen"},
	{"Quận ", "quan"},
	{"Tỉnh ", "tinh"},
	{"Thôn ", "thon"},
	{"Làng ", "lang"},
	{"Buôn ", "buon"},
	{"Bản ", "ban"},
	{"Xã ", "xa"},
	{"Ấp ", "ap"},
	{"Tổ ", "to_dan_pho"},
}

// InSentence writes a unit's official name as it reads inside a Vietnamese sentence: "Tỉnh Quảng
// Ngãi" → "tỉnh Quảng Ngãi", "Thành phố Hà Nội" → "thành phố Hà Nội", "Huyện Ba Tơ" → "huyện Ba Tơ".
func InSentence(name string) string {
	for _, p := range typePrefixes {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok {
			return strings.ToLower(p.prefix) + rest
		}
	}
	return name
}

// PlaceName is a unit's name without its type, as the place line of a Vietnamese document reads
// ("Quảng Ngãi, ngày 15 tháng 8 năm 2023"): "Tỉnh Quảng Ngãi" → "Quảng Ngãi", "Thành phố Hà Nội"
// → "Hà Nội".
func PlaceName(name string) string {
	for _, p := range typePrefixes {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok {
			return rest
		}
	}
	return name
}

// TypeFromName reads the unit type from the official name's prefix ("Thị xã Đức Phổ" → thi_xa).
func TypeFromName(name string) string {
	for _, p := range typePrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.typ
		}
	}
	return ""
}

var (
	gsoCode     = map[Level]*regexp.Regexp{Province: regexp.MustCompile(`^[0-9]{2}$`), District: regexp.MustCompile(`^[0-9]{3}$`), Commune: regexp.MustCompile(`^[0-9]{5}$`)}
	villageCode = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$`)
	isoDate     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// isDate tells whether s is a day of the calendar written YYYY-MM-DD: "2023-02-30" has the shape
// and is refused, as a string comparison with it would find a unit version on no real day.
func isDate(s string) bool {
	if !isoDate.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// MaxNameLen bounds a unit name, in characters.
const MaxNameLen = 150

// Validate checks the fields of a unit that do not depend on other rows. It returns the field at
// fault and a message key.
func (u Unit) Validate() (field, key string) {
	if !u.Level.Valid() {
		return "level", "units.error.level"
	}
	if re, ok := gsoCode[u.Level]; ok {
		if !re.MatchString(u.Code) {
			return "code", "units.error.code_gso"
		}
	} else if !villageCode.MatchString(u.Code) {
		return "code", "units.error.code_village"
	}
	name := strings.TrimSpace(u.Name)
	if name == "" {
		return "name", "units.error.name_required"
	}
	if !utf8.ValidString(u.Name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "name", "units.error.name_long"
	}
	if (u.Level == Province) != (u.ParentCode == "") {
		if u.Level == Province {
			return "parent_code", "units.error.province_parent"
		}
		return "parent_code", "units.error.parent_required"
	}
	for _, d := range []string{u.ValidFrom, u.ValidTo} {
		if d != "" && !isDate(d) {
			return "valid_to", "units.error.date"
		}
	}
	if u.ValidFrom != "" && u.ValidTo != "" && u.ValidTo < u.ValidFrom {
		return "valid_to", "units.error.date_order"
	}
	return "", ""
}

// validationError turns Validate's answer into an apperr.
func validationError(u Unit) error {
	if field, key := u.Validate(); key != "" {
		return apperr.InvalidField(field, key)
	}
	return nil
}
