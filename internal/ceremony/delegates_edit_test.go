package ceremony_test

import (
	"testing"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

func TestDelegateEditDelete(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.svc.GeneratePoints(f.sys, f.ceremID); err != nil {
			t.Fatal(err)
		}
		pts, _ := f.svc.ListPoints(f.sys, f.ceremID, ceremony.PointFilter{Level: ceremony.District, DistrictCode: "535"})
		baToPoint := pts[0]
		baTo := as(unitActor(authz.UnitAdmin, f.unit("535")))
		sonTay := as(unitActor(authz.UnitAdmin, f.unit("534")))
		operator := as(unitActor(authz.BridgeOperator, f.unit("535")))
		dl, err := f.svc.AddDelegate(baTo, f.ceremID, baToPoint.ID, ceremony.Delegate{FullName: "Trần Văn Hai", Group: "district_leaders"})
		if err != nil {
			t.Fatal(err)
		}
		// Another district's administrator neither edits nor deletes: "not found".
		if _, err := f.svc.UpdateDelegate(sonTay, f.ceremID, dl.ID, ceremony.Delegate{FullName: "X", Group: "district_leaders"}); kindOf(err) != apperr.NotFound {
			t.Fatalf("out-of-scope edit: %v", err)
		}
		if err := f.svc.DeleteDelegate(sonTay, f.ceremID, dl.ID); kindOf(err) != apperr.NotFound {
			t.Fatalf("out-of-scope delete: %v", err)
		}
		// Bad input is refused; a good edit keeps the invitation's token.
		if _, err := f.svc.UpdateDelegate(operator, f.ceremID, dl.ID, ceremony.Delegate{FullName: "X", Group: "commune_team"}); kindOf(err) != apperr.Invalid {
			t.Fatalf("group of another level: %v", err)
		}
		got, err := f.svc.UpdateDelegate(operator, f.ceremID, dl.ID, ceremony.Delegate{FullName: " Trần  Văn Hải ", Position: "Chủ tịch UBND huyện", Group: "district_leaders", Phone: "0905 111 222"})
		if err != nil || got.FullName != "Trần Văn Hải" || got.Position != "Chủ tịch UBND huyện" || got.Token != dl.Token {
			t.Fatalf("edit: %v %+v", err, got)
		}
		list, _ := f.svc.Delegates(baTo, f.ceremID, baToPoint.ID)
		if len(list) != 1 || list[0].FullName != "Trần Văn Hải" || list[0].Phone != "0905111222" {
			t.Fatalf("after edit: %+v", list)
		}
		// A checked-in delegate stays on the record.
		if _, _, err := f.svc.CheckIn(f.sys, f.ceremID, dl.Token); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteDelegate(baTo, f.ceremID, dl.ID); kindOf(err) != apperr.Conflict {
			t.Fatalf("checked-in delegate deleted: %v", err)
		}
		other, _ := f.svc.AddDelegate(baTo, f.ceremID, baToPoint.ID, ceremony.Delegate{FullName: "Lê Thị Ba", Group: "youth_union"})
		if err := f.svc.DeleteDelegate(baTo, f.ceremID, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.FindDelegate(f.sys, f.ceremID, other.ID); kindOf(err) != apperr.NotFound {
			t.Fatalf("deleted delegate still found: %v", err)
		}
		if auditCount(t, d, "ceremony.delegate_update") != 1 || auditCount(t, d, "ceremony.delegate_delete") != 1 {
			t.Fatal("edits not audited")
		}
	})
}
