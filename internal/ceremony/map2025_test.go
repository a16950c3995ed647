package ceremony_test

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// switchTo2025 moves the fixture's 2023 Quảng Ngãi to the map of 1 July 2025 with the shipped files.
func (f *fixture) switchTo2025() {
	f.t.Helper()
	if _, err := f.units.SwitchMap(f.sys, bytes.NewReader(units.Vietnam2025CSV()), bytes.NewReader(units.QuangNgaiLineage2025CSV()), "2025-07-01"); err != nil {
		f.t.Fatalf("switch: %v", err)
	}
}

func pointAt(points []ceremony.Point, path string) (ceremony.Point, bool) {
	for _, p := range points {
		if p.UnitPath == path {
			return p, true
		}
	}
	return ceremony.Point{}, false
}

// The 2023 ceremony's 187 points, then the switch to the 2025 map: regeneration retires the 186
// points of the retired districts and communes (keeping what was entered on them) and adds one
// per 2025 commune, directly under the province; a code reused by the reform (21034, Xã Nghĩa
// Dũng in 2023, Xã An Phú in 2025) holds both points, each its own unit version's.
func TestPointsAcrossTheMapSwitch(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if res, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil || res.Total != 187 {
			t.Fatalf("generate 2023: %+v %v", res, err)
		}
		all2023, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{})
		nghiaDung, ok := pointAt(all2023, "/51/522/21034/")
		if !ok || nghiaDung.DistrictCode != "522" {
			t.Fatalf("2023 point of Nghĩa Dũng: %+v", nghiaDung)
		}
		oldOp := as(unitActor(authz.BridgeOperator, f.unit("21034")))
		if _, err := f.svc.UpdatePoint(oldOp, f.ceremID, nghiaDung.ID, ceremony.PointDetails{Address: "Hội trường UBND xã Nghĩa Dũng"}); err != nil {
			t.Fatal(err)
		}

		f.switchTo2025()
		res, err := f.svc.GeneratePoints(f.sys, f.ceremID)
		if err != nil || res.Added != 96 || res.Retired != 13+173 || res.Revived != 0 || res.Total != 97 {
			t.Fatalf("regenerate after the switch: %+v %v", res, err)
		}
		points, err := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{})
		if err != nil || len(points) != 97 {
			t.Fatalf("points in force = %d, %v; want 97", len(points), err)
		}
		byLevel := map[ceremony.Level]int{}
		for _, p := range points {
			byLevel[p.Level]++
			if p.DistrictCode != "" {
				t.Errorf("2025 point %s names district %q", p.Name, p.DistrictCode)
			}
		}
		if byLevel[ceremony.Main] != 1 || byLevel[ceremony.Commune] != 96 || byLevel[ceremony.District] != 0 {
			t.Errorf("levels = %v", byLevel)
		}
		anPhu, ok := pointAt(points, "/51/21034/")
		if !ok || anPhu.Name != "Xã An Phú" || anPhu.UnitCode != "21034" || anPhu.ID == nghiaDung.ID {
			t.Fatalf("2025 point of An Phú: %+v", anPhu)
		}
		// The retired points are kept with what was entered on them, never deleted.
		withRetired, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{IncludeRetired: true})
		if len(withRetired) != 187+96 {
			t.Errorf("points with the retired = %d, want 283", len(withRetired))
		}
		old, ok := pointAt(withRetired, "/51/522/21034/")
		if !ok || !old.Retired || old.Address != "Hội trường UBND xã Nghĩa Dũng" || old.DistrictCode != "522" {
			t.Errorf("retired 2023 point: %+v", old)
		}
		// Filters: the communes; the points directly under the province (its code as the "district");
		// a 2023 district has no point in force any more.
		if cs, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Commune}); len(cs) != 96 {
			t.Errorf("commune points = %d", len(cs))
		}
		if direct, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "51"}); len(direct) != 97 {
			t.Errorf("points directly under the province = %d, want 97", len(direct))
		}
		if tuNghia, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{DistrictCode: "522"}); len(tuNghia) != 0 {
			t.Errorf("Tư Nghĩa still has %d points in force", len(tuNghia))
		}
		// "As it is now": the points that count under An Phú today, the 2023 points of the communes
		// it was formed from among them once the retired ones are included.
		if now, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{UnderNow: "/51/21034/", IncludeRetired: true}); len(now) < 2 {
			t.Errorf("points counting under An Phú today = %d, want its own and its predecessors'", len(now))
		} else if _, ok := pointAt(now, "/51/522/21034/"); !ok {
			t.Errorf("Nghĩa Dũng's 2023 point does not roll up into An Phú: %+v", now)
		}

		// Scope by unit version: An Phú's administrator and operator reach An Phú's point only; the
		// operator of the 2023 Nghĩa Dũng, which had the same code, reaches neither.
		anPhuUnit := f.unit("21034")
		admin := as(unitActor(authz.UnitAdmin, anPhuUnit))
		if mine, _ := f.svc.ListPoints(admin, f.ceremID, ceremony.PointFilter{}); len(mine) != 1 || mine[0].ID != anPhu.ID {
			t.Errorf("An Phú's administrator sees %+v", mine)
		}
		newOp := as(unitActor(authz.BridgeOperator, anPhuUnit))
		if _, err := f.svc.SetChecklist(newOp, f.ceremID, anPhu.ID, ceremony.Checklist{Line: true}); err != nil {
			t.Errorf("An Phú's operator: %v", err)
		}
		if _, err := f.svc.SetChecklist(oldOp, f.ceremID, anPhu.ID, ceremony.Checklist{Line: true}); kindOf(err) != apperr.NotFound {
			t.Errorf("the 2023 operator of code 21034 touched An Phú's point: %v", err)
		}
		if _, err := f.svc.UpdatePoint(oldOp, f.ceremID, nghiaDung.ID, ceremony.PointDetails{Address: "x"}); kindOf(err) != apperr.Conflict {
			t.Errorf("a retired point changed: %v", err)
		}
		// The public count is the points in force.
		pub, found, err := f.svc.PublicSummary(context.Background(), "51")
		if err != nil || !found || pub.Points != 97 {
			t.Errorf("public summary: %+v %v %v", pub, found, err)
		}
		// Generating again changes nothing.
		if res, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil || res.Added != 0 || res.Retired != 0 || res.Total != 97 {
			t.Errorf("third generation: %+v %v", res, err)
		}
	})
}

// A ceremony created on the 2025 map: 1 main + 96 communes, none with a district; the province's
// readiness group chases the communes directly.
func TestPointsOnThe2025Map(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.switchTo2025()
		c, err := f.svc.Create(f.sys, ceremony.Ceremony{Title: "Lễ phát động phong trào Bình dân học vụ số", StartsAt: f.starts, Venue: "Hội trường tỉnh", Province: "51"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.GeneratePoints(f.sys, c.ID)
		if err != nil || res.Added != 97 || res.Total != 97 || res.Retired != 0 {
			t.Fatalf("generate on the 2025 map: %+v %v", res, err)
		}
		points, _ := f.svc.ListPoints(f.sys, c.ID, ceremony.PointFilter{})
		var main ceremony.Point
		for _, p := range points {
			if p.Level == ceremony.Main {
				main = p
			}
		}
		if main.UnitCode != "51" || main.DistrictCode != "" {
			t.Errorf("main point: %+v", main)
		}
		// Ly Sơn is a đặc khu, commune-level, directly under the province.
		var lySon ceremony.Point
		for _, p := range points {
			if p.Name == "Đặc khu Lý Sơn" {
				lySon = p
			}
		}
		if lySon.ID == 0 || lySon.Level != ceremony.Commune || lySon.DistrictCode != "" {
			t.Errorf("Lý Sơn: %+v", lySon)
		}
		// Bad filter input: a district code the province never had selects nothing.
		if none, err := f.svc.ListPoints(f.sys, c.ID, ceremony.PointFilter{DistrictCode: "999"}); err != nil || len(none) != 0 {
			t.Errorf("unknown district: %d %v", len(none), err)
		}
	})
}

// withoutMigration is a migration set without the named file and those after it (both engines'
// twins), to build a database as it stood before that migration: a later migration applied before
// it would meet tables it does not know yet. The migrations named in keep stay, for the code of
// today that the test runs before migrating.
func withoutMigration(t *testing.T, set db.MigrationSet, name string, keep ...string) db.MigrationSet {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(set.FS, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || (path.Base(p) >= name && !slices.Contains(keep, path.Base(p))) {
			return err
		}
		b, err := fs.ReadFile(set.FS, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db.MigrationSet{Module: set.Module, FS: out}
}

// The migration that keys points by unit version keeps every point, attendance row and delegate
// of a database made before it (on SQLite it rebuilds the three tables, and a careless rebuild
// would drop the children by cascade).
func TestPointVersionMigrationKeepsData(t *testing.T) {
	var before []db.MigrationSet
	for _, s := range schema.All() {
		if s.Module == "ceremony" {
			// 0007 and 0009 only add to steps and ceremonies, which 0006 does not rebuild, and
			// today's Create writes them.
			s = withoutMigration(t, s, "0006_point_version.sql", "0007_script.sql", "0009_hosted.sql")
		}
		before = append(before, s)
	}
	dbtest.Each(t, before, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		points, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.Main})
		main := points[0]
		if _, err := f.svc.UpdatePoint(f.sys, f.ceremID, main.ID, ceremony.PointDetails{Address: "Trung tâm IOC", Expected: map[string]int{"province_leaders": 5}}); err != nil {
			t.Fatal(err)
		}
		// Written as the code of the time wrote it: today's AddDelegate writes columns of later
		// migrations.
		dl := ceremony.Delegate{Token: "0123456789abcdef0123456789abcdef"}
		err := d.WriteTx(context.Background(), func(tx *db.Tx) error {
			var err error
			dl.ID, err = tx.InsertID(context.Background(), `INSERT INTO ceremony_delegates (ceremony_id, point_id, full_name, position, organisation, group_key, phone, token, created_at)
				VALUES (?, ?, 'Nguyễn Văn Bình', 'Phó Chủ tịch', 'UBND tỉnh', 'province_leaders', '', ?, 1) RETURNING id`, f.ceremID, main.ID, dl.Token)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := d.Migrate(context.Background(), schema.All()); err != nil || n < 1 {
			t.Fatalf("migrate: %d %v", n, err)
		}
		after, err := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{})
		if err != nil || len(after) != 187 {
			t.Fatalf("points after the migration: %d %v", len(after), err)
		}
		m, _ := pointAt(after, "/51/")
		if m.ID != main.ID || m.Address != "Trung tâm IOC" || m.ExpectedTotal() != 5 {
			t.Errorf("main point after the migration: %+v", m)
		}
		if got, _, err := f.svc.FindDelegate(f.sys, f.ceremID, dl.ID); err != nil || got.Token != dl.Token {
			t.Errorf("delegate after the migration: %+v %v", got, err)
		}
		// The children still cascade from the rebuilt table, and new points get fresh ids.
		f.switchTo2025()
		if res, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil || res.Added != 96 {
			t.Errorf("regenerate after the migration: %+v %v", res, err)
		}
		var fk int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM bridge_point_groups g LEFT JOIN bridge_points p ON p.id = g.point_id WHERE p.id IS NULL").Scan(&fk); err != nil || fk != 0 {
			t.Errorf("orphan attendance rows: %d %v", fk, err)
		}
	})
}

// Chasing on the 2025 map: the province chases the points hanging directly under it (its code as
// the group), and a reminder reaches the operator of the 2025 unit version, not the operator of
// the retired 2023 unit that had the same code.
func TestChaseOn2025Map(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.rebuild(ceremony.WithNotify(f.outbox(), ""))
		acc := accounts.NewService(d)
		newOperator := func(name, email string) {
			if _, err := acc.CreateUser(f.sys, accounts.NewUser{Username: name, Email: email, Password: "mật khẩu vận hành 2025", Role: authz.BridgeOperator, UnitCode: "21034"}); err != nil {
				t.Fatal(err)
			}
		}
		newOperator("vanhanh.nghiadung", "nghiadung@example.vn") // 2023: Xã Nghĩa Dũng
		f.switchTo2025()
		newOperator("vanhanh.anphu", "anphu@example.vn") // 2025: Xã An Phú
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ChaseDistrict(f.sys, f.ceremID, ""); kindOf(err) != apperr.Invalid {
			t.Errorf("chasing no group: %v", err)
		}
		res, err := f.svc.ChaseDistrict(f.sys, f.ceremID, "51")
		if err != nil || res.Chased != 1 || res.NoRecipient != 96 {
			t.Fatalf("the province chasing its points: %+v %v", res, err)
		}
		msgs := queued(t, d, notify.ReadinessChaser)
		if len(msgs) != 1 || msgs[0].Recipient != "anphu@example.vn" {
			t.Errorf("chasers went to %+v", msgs)
		}
		// A commune's administrator chases its own point only, through the same group.
		anPhu := as(unitActor(authz.UnitAdmin, f.unit("21034")))
		f.now = f.now.Add(ceremony.ChaseEvery + time.Minute)
		if res, err := f.svc.ChaseDistrict(anPhu, f.ceremID, "51"); err != nil || res.Chased != 1 {
			t.Errorf("An Phú chasing: %+v %v", res, err)
		}
	})
}
