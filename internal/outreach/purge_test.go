package outreach_test

import (
	"context"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// TestPurgeBeforeDate checks the retention purge: personal data of records and visits before the
// date is removed, later ones are kept, every count stays, citizen keys go only with their last
// record, a dry run changes nothing, and each purge is audited.
func TestPurgeBeforeDate(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, _ := f.member(f.commune)
		b, _ := f.member(f.commune)
		at := func(n int, name, phone string, when time.Time) outreach.RecordInput {
			in := f.input(n, name, phone)
			in.GuidedAt = when
			return in
		}
		early, late := time.Date(2023, 7, 6, 2, 0, 0, 0, time.UTC), time.Date(2023, 7, 9, 2, 0, 0, 0, time.UTC)
		for _, x := range []struct {
			ctx context.Context
			in  outreach.RecordInput
		}{
			{a, at(1, "Lê Thị Một", "0905111111", early)}, // only early: key goes
			{a, at(2, "Võ Văn Hai", "0905222222", early)}, // early, and again later by b: key stays
			{b, at(3, "Võ Văn Hai", "0905222222", late)},  // late: kept
			{b, at(4, "Đỗ Thị Bốn", "0905444444", late)},  // late: kept
		} {
			if _, err := f.svc.SaveRecord(x.ctx, x.in); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := f.svc.SaveVisit(a, outreach.VisitInput{ClientID: uuid(50), Household: "Nhà ông Ba, xóm 2", Outcome: outreach.Helped, Note: "Đã cài VNeID", VisitedAt: early}); err != nil {
			t.Fatal(err)
		}
		before := f.svc.Progress
		p0, err := before(f.sys, "51", f.campaign.ID)
		if err != nil {
			t.Fatal(err)
		}
		cut := time.Date(2023, 7, 8, 0, 0, 0, 0, time.UTC)
		dry, err := f.svc.Purge(f.sys, cut, true)
		if err != nil || dry.Records != 2 || dry.Visits != 1 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		var named int
		_ = d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM outreach_records WHERE citizen_name <> ''").Scan(&named)
		if named != 4 {
			t.Fatalf("the dry run changed %d records", 4-named)
		}
		bato, _ := f.acc.CreateUser(f.sys, accounts.NewUser{Username: "ubnd.bt", Password: "mật khẩu đủ dài 2023", Role: authz.UnitAdmin, UnitCode: "535"})
		if _, err := f.svc.Purge(f.as(bato), cut, false); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("unit admin purge: %v", err)
		}
		if _, err := f.svc.Purge(f.sys, f.now.Add(time.Hour), false); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("purge of the future: %v", err)
		}
		res, err := f.svc.Purge(f.sys, cut, false)
		if err != nil || res.Records != 2 || res.Visits != 1 || res.Keys != 1 {
			t.Fatalf("purge: %+v %v", res, err)
		}
		rows := queryMap(t, d, "SELECT client_id, citizen_name || '|' || phone || '|' || birth_year || '|' || CASE WHEN erased_at > 0 THEN 'erased' ELSE '' END FROM outreach_records")
		want := map[string]string{uuid(1): "||0|erased", uuid(2): "||0|erased", uuid(3): "Võ Văn Hai|0905222222|1960|", uuid(4): "Đỗ Thị Bốn|0905444444|1960|"}
		sameMaps(t, "records", rows, want)
		if v := queryMap(t, d, "SELECT client_id, household || note FROM outreach_visits"); v[uuid(50)] != "" {
			t.Errorf("visit kept %q", v[uuid(50)])
		}
		keys := queryMap(t, d, "SELECT citizen_key, shared FROM outreach_citizens")
		if len(keys) != 2 || keys[outreach.CitizenKey("", 0, "0905111111", "")] != "" || keys[outreach.CitizenKey("", 0, "0905222222", "")] == "" {
			t.Errorf("citizen keys after purge: %v", keys)
		}
		p1, err := f.svc.Progress(f.sys, "51", f.campaign.ID)
		if err != nil {
			t.Fatal(err)
		}
		p0.ComputedMs, p1.ComputedMs = 0, 0
		if p1.Tally != p0.Tally || len(p1.BySkill) != len(p0.BySkill) || len(p1.Visits) != 1 {
			t.Errorf("counts changed: %+v → %+v", p0.Tally, p1.Tally)
		}
		entries, _ := audit.List(context.Background(), d.Reader(), audit.Filter{Action: "outreach.purge"})
		if len(entries) != 2 {
			t.Errorf("purge audit: %+v", entries)
		}
		again, err := f.svc.Purge(f.sys, cut, false)
		if err != nil || again.Records != 0 || again.Visits != 0 {
			t.Errorf("second purge: %+v %v", again, err)
		}
	})
}

// TestListMyVisits checks a member's own visit list: only their visits, newest first, paged, with
// counts for every outcome.
func TestListMyVisits(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a, _ := f.member(f.commune)
		b, _ := f.member(f.commune)
		outcomes := []outreach.Outcome{outreach.Helped, outreach.NobodyHome, outreach.Helped, outreach.Declined}
		for i, o := range outcomes {
			if _, _, err := f.svc.SaveVisit(a, outreach.VisitInput{ClientID: uuid(60 + i), Household: "Hộ số " + string(rune('A'+i)), Outcome: o, VisitedAt: f.now.Add(-time.Duration(i+1) * time.Hour), VillageCode: f.village}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := f.svc.SaveVisit(b, outreach.VisitInput{ClientID: uuid(70), Household: "Hộ của người khác", Outcome: outreach.Visited, VisitedAt: f.now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		mine, err := f.svc.ListMyVisits(a, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		if mine.Total != 4 || len(mine.Visits) != 3 || mine.Visits[0].ClientID != uuid(63) || mine.Visits[0].UnitCode != f.village {
			t.Fatalf("my visits: %+v", mine)
		}
		want := map[string]int64{"visited": 0, "nobody_home": 1, "declined": 1, "helped": 2}
		if len(mine.Counts) != 4 {
			t.Fatalf("counts: %+v", mine.Counts)
		}
		for _, c := range mine.Counts {
			if want[c.Code] != c.N {
				t.Errorf("count %s = %d, want %d", c.Code, c.N, want[c.Code])
			}
		}
		next, err := f.svc.ListMyVisits(a, 3, mine.Visits[2].ID)
		if err != nil || len(next.Visits) != 1 || next.Visits[0].ClientID != uuid(60) {
			t.Fatalf("next page: %+v %v", next, err)
		}
		if _, err := f.svc.ListMyVisits(f.sys, 10, 0); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("non-member: %v", err)
		}
	})
}
