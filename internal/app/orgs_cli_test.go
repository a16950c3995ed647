package app_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// `lantoa org merge` records Sở TT&TT's merger into Sở KH&CN and refuses bad input with a message;
// then `lantoa import units --effective 2025-07-01 --lineage …` moves a school located in a 2023
// commune to the 2025 commune it rolled up into (the hooks registered in app), while a school of a
// retired district (no single successor) stays where it was.
func TestOrgMergeAndSwitchFromTheCommandLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lantoa.db")
	if code, out, errOut := run(t, "", "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	mk := func(o orgs.Org) orgs.Org {
		d, err := db.Open(context.Background(), path, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		o, err = orgs.NewService(d).Create(authz.WithActor(context.Background(), authz.System), o)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	// migrate alone loads no unit tree; a command that opens the services does.
	if code, _, errOut := run(t, "", "user", "list", "--db", path); code != 0 {
		t.Fatalf("user list: %s", errOut)
	}
	tttt := mk(orgs.Org{Name: "Sở Thông tin và Truyền thông", Kind: orgs.Department, UnitCode: "51"})
	khcn := mk(orgs.Org{Name: "Sở Khoa học và Công nghệ", Kind: orgs.Department, UnitCode: "51"})
	school := mk(orgs.Org{Name: "Trường Tiểu học Nghĩa Dõng", Kind: orgs.School, UnitCode: "21037"})
	district := mk(orgs.Org{Name: "Trường THPT Ba Tơ", Kind: orgs.School, UnitCode: "535"})
	id := func(o orgs.Org) string { return strconv.FormatInt(o.ID, 10) }

	if code, _, errOut := run(t, "", "org", "merge", "--db", path, "--org", id(tttt), "--into", id(tttt), "--effective", "2025-03-01"); code == 0 || !strings.Contains(errOut, "chính nó") {
		t.Errorf("merging into itself: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "org", "merge", "--db", path, "--org", id(tttt), "--into", id(khcn), "--effective", "2025-3-1"); code == 0 || !strings.Contains(errOut, "YYYY-MM-DD") {
		t.Errorf("a bad date: exit %d, %q", code, errOut)
	}
	if code, _, _ := run(t, "", "org", "merge", "--db", path); code == 0 {
		t.Error("merge without flags succeeded")
	}
	code, out, errOut := run(t, "", "org", "merge", "--db", path, "--org", id(tttt), "--into", id(khcn), "--effective", "2025-03-01")
	if code != 0 || !strings.Contains(out, "until 2025-02-28") {
		t.Fatalf("merge: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "import", "units", "--db", path, "--effective", "2025-07-01", "--lineage", "embedded:quang-ngai-2025-lineage.csv", "embedded:vietnam-units-2025.csv"); code != 0 {
		t.Fatalf("switch: exit %d %s %s", code, out, errOut)
	}
	d, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := orgs.NewService(d)
	if o, _ := s.Find(context.Background(), school.ID); o.UnitPath != "/51/21034/" || o.UnitCode != "21034" {
		t.Errorf("the school of Nghĩa Dõng after the switch: %+v", o)
	}
	if o, _ := s.Find(context.Background(), district.ID); o.UnitPath != "/51/535/" {
		t.Errorf("the school of a retired district moved: %+v", o)
	}
	if o, _ := s.Find(context.Background(), tttt.ID); !o.Retired() || o.SuccessorID != khcn.ID {
		t.Errorf("Sở TT&TT after the merger: %+v", o)
	}
}
