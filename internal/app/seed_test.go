package app_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The contract: a generated province still has its 173 communes behind the API.
func TestSeedProfileProvince(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gen.db")
	code, out, errOut := run(t, "", "seed", "--db", dbPath, "--profile", "province", "--scale", "0.0002", "--seed", "5")
	if code != 0 {
		t.Fatalf("seed --profile: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"173 communes", "guidance records: 2000", "learners: 200", "ceremonies: 1 with 187 bridge points", "campaigns: 1", "report periods: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "100%") {
		t.Errorf("no progress bar on stderr:\n%s", errOut)
	}
	// A second run into the same database is refused instead of doubling the data.
	if code, _, errOut := run(t, "", "seed", "--db", dbPath, "--profile", "province", "--scale", "0.0002"); code != 1 || !strings.Contains(errOut, "already holds accounts or organisations") {
		t.Errorf("second run: exit %d, %s", code, errOut)
	}
	code, out, errOut = run(t, "", "token", "create", "--db", dbPath, "--username", "seed.admin")
	token := regexp.MustCompile(`lt_\S+`).FindString(out)
	if code != 0 || token == "" {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	base, _ := serve(t, "--db", dbPath)
	var units itemsResp
	if status := getJSON(t, base+"/api/v1/units?level=commune&limit=1000", token, &units); status != 200 || len(units.Items) != 173 {
		t.Errorf("GET /api/v1/units?level=commune: %d, %d items, want 173", status, len(units.Items))
	}
}

func TestSeedProfileBadFlags(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "gen.db")
	for _, args := range [][]string{
		{"--profile", "country"},
		{"--profile", "province", "--scale", "0"},
		{"--profile", "province", "--scale", "2"},
		{"--profile", "province", "--launch", "yesterday"},
	} {
		if code, _, errOut := run(t, "", append([]string{"seed", "--db", dbPath}, args...)...); code != 2 || errOut == "" {
			t.Errorf("seed %v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// The national profile on the 2025 map: the CLI says what the history, the switch and the 2025
// data made.
func TestSeedProfileNational(t *testing.T) {
	if testing.Short() {
		t.Skip("national tree takes a few seconds")
	}
	dbPath := filepath.Join(t.TempDir(), "national.db")
	code, out, errOut := run(t, "", "seed", "--db", dbPath, "--profile", "national", "--scale", "0.0001", "--seed", "5")
	if code != 0 {
		t.Fatalf("seed --profile national: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"2023 history: 13 districts, 173 communes", "map switch 2025-07-01", "units: 34 provinces, 0 districts, 3321 communes",
		"ceremonies: 34 with 3355 bridge points", "report periods: 34, commune reports submitted: 102"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
