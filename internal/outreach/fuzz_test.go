package outreach_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/outreach"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

func fuzzCount(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lastLine is the last line number of the file as a person sees it (1 is the header).
func lastLine(data []byte) int {
	_, rows, err := sheet.ReadTable(bytes.NewReader(data), sheet.DefaultLimits)
	if err != nil || len(rows) == 0 {
		return 1
	}
	return rows[len(rows)-1].Line
}

func rosterXLSX(header []string, rows ...[]any) []byte {
	var b bytes.Buffer
	if err := sheet.WriteXLSX(&b, sheet.Table{Name: "Tổ", Header: header, Rows: rows}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// FuzzImportRoster feeds arbitrary rosters (xlsx, CSV, neither) to a team's roster import: no
// panic; a refusal is a user-facing apperr whose line numbers exist in the file, and creates no
// account and links no member; an import that works creates and links exactly what it reports.
func FuzzImportRoster(f *testing.F) {
	f.Add(rosterXLSX([]string{"Tài khoản", "Họ tên", "Email", "Tổ trưởng"},
		[]any{"to.mot", "Phạm Văn Một", "mot@example.vn", "x"}, []any{"to.hai", "Đinh Thị Hai", "", ""}))
	f.Add([]byte("username,name,leader\nto.ba,Ba Ba,có\nTO.BA,Lặp Lại,\n"))
	f.Add([]byte("ho ten,tai khoan\n,a\nNguyễn Văn Bốn,to.bon\nx,\n"))
	f.Add([]byte("username,name,leader\nco.san,Có Sẵn,0\nto.nam,,\nto.sau,Sáu,maybe\n"))
	f.Add([]byte("email\nx@y.z\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	d := dbtest.SQLite(f, schema.All())
	sys := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "fuzz"})
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	acc := accounts.NewService(d)
	svc := outreach.NewService(d, acc)
	f.Cleanup(svc.Close)
	bt, _ := us.List(sys, units.Filter{ParentCode: "535", Limit: 1})
	team, err := svc.CreateTeam(sys, outreach.Team{Name: "Tổ công nghệ số thử", UnitCode: bt[0].Code})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := acc.CreateUser(sys, accounts.NewUser{Username: "co.san", Password: "mật khẩu thử nghiệm 2023", Role: authz.TeamMember, UnitCode: bt[0].Code}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		users := fuzzCount(t, d, "SELECT COUNT(*) FROM users")
		members := fuzzCount(t, d, "SELECT COUNT(*) FROM outreach_team_members WHERE team_id = ?", team.ID)
		res, err := svc.ImportRoster(sys, team.ID, bytes.NewReader(data))
		usersAfter := fuzzCount(t, d, "SELECT COUNT(*) FROM users")
		membersAfter := fuzzCount(t, d, "SELECT COUNT(*) FROM outreach_team_members WHERE team_id = ?", team.ID)
		if err != nil {
			ae := apperr.As(err)
			if ae == nil || ae.Kind == apperr.Internal || ae.Key == "" {
				t.Fatalf("refusal is not a user-facing apperr: %v", err)
			}
			last := lastLine(data)
			for _, dt := range ae.Details {
				if dt.Line < 2 || dt.Line > last || dt.Key == "" {
					t.Fatalf("error detail %+v outside lines 2..%d", dt, last)
				}
			}
			if usersAfter != users || membersAfter != members {
				t.Fatalf("a refused roster wrote: users %d → %d, members %d → %d", users, usersAfter, members, membersAfter)
			}
			return
		}
		if res.Created+res.Linked != len(res.Rows) || len(res.Rows) == 0 {
			t.Fatalf("result %d created + %d linked for %d rows", res.Created, res.Linked, len(res.Rows))
		}
		if usersAfter-users != res.Created {
			t.Fatalf("reported %d accounts created, %d were", res.Created, usersAfter-users)
		}
		if membersAfter < members || membersAfter-members > len(res.Rows) {
			t.Fatalf("members %d → %d for %d rows", members, membersAfter, len(res.Rows))
		}
		for _, r := range res.Rows {
			if r.Created && r.Password == "" {
				t.Fatalf("line %d created %s without a one-time password", r.Line, r.Username)
			}
		}
	})
}

// FuzzRecordJSON decodes arbitrary bodies of POST /api/v1/outreach/records (strictly, as the web
// layer does) and saves them as a team member: no panic; a refusal is a user-facing apperr and
// stores nothing; a saved record is stored once, and a replay of the same body answers the same id.
func FuzzRecordJSON(f *testing.F) {
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c01","citizen":{"name":"Đinh Văn Thử","birth_year":1970,"phone":"0905123123"},"skills":["dvc_quocgia"],"guided_at":"2023-07-09T02:00:00Z"}`)
	f.Add(`{"client_id":"not-a-uuid","citizen":{"name":"","birth_year":3000,"phone":"12"},"skills":[],"guided_at":"2999-01-01T00:00:00Z"}`)
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c02","citizen":{"name":"A","birth_year":1960,"phone":"0905123124"},"skills":["khong_co"],"guided_at":"2023-07-09T02:00:00Z","village_code":"999"}`)
	f.Add(`{"client_id":"0B7D3C1E-6A52-4F0E-9D1C-2F4B8A6E1C03","citizen":{"name":"B","birth_year":1980,"phone":"+84905123125"},"skills":["dvc_quocgia","dvc_quocgia"],"guided_at":"2023-07-09T02:00:00Z","location":{"lat":91,"lng":0}}`)
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c04","citizen":{"name":"C","birth_year":1990,"phone":"0905123126"},"skills":["dvc_quocgia"],"guided_at":"2023-07-09T02:00:00Z","evidence":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}`)
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c05","enterprise":{"name":"Công ty TNHH Thử","tax_code":"4300123456-001","contact_name":"Lê Văn Kế","contact_phone":"0935111222"},"skills":["hoa_don_dien_tu"],"platforms":["chu_ky_so"],"guided_at":"2023-07-09T02:00:00Z","consent":{"given":true,"version":"v1"}}`)
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c06","enterprise":{"name":"HKD","tax_code":"4300.123.457"},"citizen":{"name":"X"},"skills":["dvc_tinh"],"guided_at":"2023-07-09T02:00:00Z"}`)
	f.Add(`{"client_id":"0b7d3c1e-6a52-4f0e-9d1c-2f4b8a6e1c07","enterprise":{"name":"HKD","tax_code":"43001234"},"skills":["thue_dien_tu"],"guided_at":"2023-07-09T02:00:00Z"}`)
	d := dbtest.SQLite(f, schema.All())
	sys := audit.WithWho(authz.WithActor(context.Background(), authz.System), audit.Who{Username: "fuzz"})
	us := units.NewService(d)
	if _, err := us.SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	acc := accounts.NewService(d)
	svc := outreach.NewService(d, acc)
	f.Cleanup(svc.Close)
	now := time.Date(2023, 7, 10, 3, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	if err := svc.SeedSkills(sys); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.CreateCampaign(sys, outreach.Campaign{Name: "Ra quân", LaunchAt: time.Date(2023, 7, 5, 1, 0, 0, 0, time.UTC)}); err != nil {
		f.Fatal(err)
	}
	bt, _ := us.List(sys, units.Filter{ParentCode: "535", Limit: 1})
	team, err := svc.CreateTeam(sys, outreach.Team{Name: "Tổ thử", UnitCode: bt[0].Code})
	if err != nil {
		f.Fatal(err)
	}
	u, err := acc.CreateUser(sys, accounts.NewUser{Username: "to.vien", Password: "mật khẩu thử nghiệm 2023", Role: authz.TeamMember, UnitCode: bt[0].Code})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AddMember(sys, team.ID, u.Username, false); err != nil {
		f.Fatal(err)
	}
	if u, err = acc.FindUser(sys, u.ID); err != nil {
		f.Fatal(err)
	}
	member := audit.WithWho(authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants}), audit.Who{UserID: u.ID, Username: u.Username})
	f.Fuzz(func(t *testing.T, body string) {
		var in outreach.RecordInput
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		dec.DisallowUnknownFields()
		if dec.Decode(&in) != nil {
			return // refused by the web layer's decoder
		}
		again := in
		before := fuzzCount(t, d, "SELECT COUNT(*) FROM outreach_records")
		res, err := svc.SaveRecord(member, in)
		after := fuzzCount(t, d, "SELECT COUNT(*) FROM outreach_records")
		if err != nil {
			ae := apperr.As(err)
			if ae == nil || ae.Kind == apperr.Internal || ae.Key == "" {
				t.Fatalf("refusal is not a user-facing apperr: %v", err)
			}
			if after != before {
				t.Fatalf("a refused record was stored (%d → %d)", before, after)
			}
			return
		}
		if res.Created != (after == before+1) || after > before+1 {
			t.Fatalf("created %v, records %d → %d", res.Created, before, after)
		}
		replay, err := svc.SaveRecord(member, again)
		if err != nil || replay.Created || replay.Record.ID != res.Record.ID {
			t.Fatalf("replay of record %d: created %v id %d err %v", res.Record.ID, replay.Created, replay.Record.ID, err)
		}
	})
}
