package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/orgs"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/sheet"
	"github.com/lantoa/lantoa/internal/schema"
)

type pupilJob struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Total   int    `json:"total"`
	Done    int    `json:"done"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// pollURL is the job's progress address with its key; credentialsURL its download.
func (j pupilJob) pollURL() string { return "/api/v1/pupil-imports/" + j.ID + "?k=" + j.Key }
func (j pupilJob) credentialsURL(format string) string {
	return "/api/v1/pupil-imports/" + j.ID + "/credentials/export?k=" + j.Key + "&format=" + format
}

// startPupils uploads a roster for the school and returns the job (status must be 202).
func (e *env) startPupils(orgID int64, token, csv string) pupilJob {
	e.t.Helper()
	body, ct := multipartFile(e.t, "file", "hocsinh.csv", csv)
	resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", orgID), token, ct, body)
	var j pupilJob
	if resp.StatusCode != 202 || json.Unmarshal(b, &j) != nil || j.ID == "" || j.Key == "" {
		e.t.Fatalf("pupils import: %d %s", resp.StatusCode, b)
	}
	return j
}

// waitPupils polls the job until it ends.
func (e *env) waitPupils(job pupilJob, token string) pupilJob {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var j pupilJob
		if st := e.json("GET", job.pollURL(), token, nil, &j); st != 200 {
			e.t.Fatalf("job: %d", st)
		}
		if j.State != "running" && j.State != "queued" {
			j.Key = job.Key
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job still running: %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPupilAccountsBySchool: a school's administrator uploads the roster; a bad file reports
// every wrong line and creates nothing; a good one creates learners in the school with their
// guardian's consent when under 16 and hands back one-time passwords that work; another
// school's administrator, an organisation that is not a school, and a learner are refused.
func TestPupilAccountsBySchool(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		school := e.mustOrg(orgs.Org{Name: "Trường THCS Ba Tơ", Kind: orgs.School, UnitCode: "535"})
		other := e.mustOrg(orgs.Org{Name: "Trường TH Sơn Tây", Kind: orgs.School, UnitCode: "530"})
		admin := e.mustUser("bgh.thcs.bato", accounts.NewUser{Role: authz.OrgAdmin, OrgID: school.ID})
		tok, err := e.accounts.CreateToken(e.sys, admin.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE username LIKE 'hs%'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		year := time.Now().Year()
		// A bad file: every wrong line, nothing created.
		bad := "ho_ten,ngay_sinh,lop,ten_nguoi_giam_ho,sdt_nguoi_giam_ho,dong_y_cua_nguoi_giam_ho\n" +
			fmt.Sprintf("Nguyễn Thị Lan,15/03/%d,7A,Nguyễn Văn Bình,0912345678,có\n", year-12) + // good
			fmt.Sprintf(",%d,7A,,,\n", year-12) + // no name (and under 16 without guardian: one error per line is enough)
			fmt.Sprintf("Phạm Văn Tú,%d,7A,Phạm Văn Ba,0912345678,\n", year-12) + // no consent
			"Đinh Thị Hoa,31/02/2012,7A,Đinh Văn Mốt,0912345678,có\n" + // no such date
			fmt.Sprintf("Trần Văn An,%d,6B,Trần Văn Hai,12345,có\n", year-11) + // bad phone
			fmt.Sprintf("Nguyễn Thị Lan,15/03/%d,7A,Nguyễn Văn Bình,0912345678,có\n", year-12) // duplicate of line 2
		body, ct := multipartFile(t, "file", "hocsinh.csv", bad)
		resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", school.ID), tok, ct, body)
		var rej struct {
			Errors []struct {
				Line    int    `json:"line"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(b, &rej)
		var got []int
		for _, x := range rej.Errors {
			got = append(got, x.Line)
		}
		if resp.StatusCode != 422 || fmt.Sprint(got) != "[3 3 4 5 6 7]" || !strings.Contains(string(b), "Nghị định 13/2023") {
			t.Fatalf("bad roster: %d %v %s", resp.StatusCode, got, b)
		}
		if n := count(); n != 0 {
			t.Fatalf("a rejected file created %d accounts", n)
		}
		// Not a roster at all, and a missing column.
		if resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", school.ID), tok, "text/csv", "ten,tuoi\nA,12\n"); resp.StatusCode != 422 {
			t.Fatalf("wrong header: %d %s", resp.StatusCode, b)
		}
		// A file over the body's limit (the file's 4 MB plus 1 MiB of form) is 413 with the limit in
		// Vietnamese; a form without the file is the service's "no file", after its access check.
		huge, hct := multipartFile(t, "file", "hocsinh.csv", strings.Repeat("a", 5<<20+1))
		if resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", school.ID), tok, hct, huge); resp.StatusCode != http.StatusRequestEntityTooLarge ||
			!strings.Contains(string(b), "Tệp quá lớn (tối đa 4 MB).") {
			t.Fatalf("oversize roster: %d %s", resp.StatusCode, b)
		}
		none, nct := multipartFile(t, "note", "ghi-chu.txt", "x")
		if resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", school.ID), tok, nct, none); resp.StatusCode != 422 ||
			!strings.Contains(string(b), "Chưa chọn tệp để nhập.") {
			t.Fatalf("no file: %d %s", resp.StatusCode, b)
		}
		// Wrong scope: another school, an organisation that is not a school, a learner.
		good := "Họ tên,Ngày sinh,Lớp,Tên người giám hộ,SĐT người giám hộ,Đồng ý của người giám hộ\n" +
			fmt.Sprintf("Nguyễn Thị Lan,15/03/%d,7A,Nguyễn Văn Bình,0912 345 678,có\n", year-12) +
			fmt.Sprintf("Nguyễn Thị Lan,02/09/%d,7B,Trần Thị Cúc,+84935111222,x\n", year-12) +
			fmt.Sprintf("Hồ Văn Đức,%d,12A1,,,\n", year-18)
		for _, c := range []struct {
			org   int64
			token string
			want  int
		}{{other.ID, tok, 404}, {e.orgIDs["hd-bato"], e.tokens["province_admin"], 422}, {school.ID, e.tokens["learner"], 404}, {school.ID, e.tokens["unit_admin_sontay"], 404}, {school.ID, "", 401}} {
			body, ct := multipartFile(t, "file", "hocsinh.csv", good)
			if resp, b := e.do("POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", c.org), c.token, ct, body); resp.StatusCode != c.want {
				t.Fatalf("org %d: %d, want %d: %s", c.org, resp.StatusCode, c.want, b)
			}
		}
		if n := count(); n != 0 {
			t.Fatalf("refused uploads created %d accounts", n)
		}
		// The good file: a job, its progress, then the list.
		j := e.startPupils(school.ID, tok, good)
		if j.Total != 3 {
			t.Fatalf("job %+v", j)
		}
		// Only the administrator who started it sees the job.
		if st := e.json("GET", j.pollURL(), e.tokens["province_admin"], nil, nil); st != 404 {
			t.Fatalf("someone else's job: %d", st)
		}
		if j = e.waitPupils(j, tok); j.State != "done" || j.Done != 3 {
			t.Fatalf("job ended %+v", j)
		}
		resp, pdf := e.do("GET", j.credentialsURL("pdf"), tok, "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(pdf), "%PDF") {
			t.Fatalf("credentials pdf: %d", resp.StatusCode)
		}
		resp, xlsx := e.do("GET", j.credentialsURL("xlsx"), tok, "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(string(xlsx), "PK") {
			t.Fatalf("credentials xlsx: %d", resp.StatusCode)
		}
		// The accounts: learners of the school, in its unit, with a password to change.
		rows, err := d.Reader().QueryContext(ctx, `SELECT u.username, u.display_name, u.must_change_password, g.role, g.org_id, g.unit_path,
			p.class_name, p.birth_date, p.guardian_phone, COALESCE(c.guardian_name, ''), COALESCE(c.recorded_by, 0)
			FROM users u JOIN role_grants g ON g.user_id = u.id JOIN pupil_profiles p ON p.user_id = u.id
			LEFT JOIN guardian_consents c ON c.user_id = u.id WHERE u.username LIKE 'hs%' ORDER BY u.id`)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			var user, name, role, unit, class, birth, phone, guardian string
			var must, org, by int64
			if err := rows.Scan(&user, &name, &must, &role, &org, &unit, &class, &birth, &phone, &guardian, &by); err != nil {
				t.Fatal(err)
			}
			if must != 1 || role != "learner" || org != school.ID || unit != "/51/535/" {
				t.Errorf("%s: must_change=%d role=%s org=%d unit=%s", user, must, role, org, unit)
			}
			if guardian != "" && by != admin.ID {
				t.Errorf("%s: consent recorded by %d", user, by)
			}
			lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%s", user, class, phone, guardian, birth[:4]))
		}
		rows.Close()
		want := []string{
			fmt.Sprintf("hs%d.lannt%02d|7A|0912345678|Nguyễn Văn Bình|%d", school.ID, (year-12)%100, year-12),
			fmt.Sprintf("hs%d.lannt%02d-2|7B|0935111222|Trần Thị Cúc|%d", school.ID, (year-12)%100, year-12),
			fmt.Sprintf("hs%d.duchv%02d|12A1|||%d", school.ID, (year-18)%100, year-18),
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("accounts:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		// The one-time password from the list signs the pupil in.
		creds := pupilCredentials(t, xlsx)
		if len(creds) != 3 || creds[0][3] != strings.Split(want[0], "|")[0] {
			t.Fatalf("credentials %v", creds)
		}
		if _, err := e.accounts.Authenticate(ctx, creds[0][3], creds[0][4], "127.0.0.1"); err != nil {
			t.Fatalf("login with the one-time password: %v", err)
		}
		// The template is offered in both formats.
		for _, f := range []string{"csv", "xlsx"} {
			if resp, b := e.do("GET", "/pupils/template?format="+f, "", "", ""); resp.StatusCode != 200 || len(b) < 50 {
				t.Fatalf("template %s: %d", f, resp.StatusCode)
			}
		}
		// The page: the school's own administrator only.
		if resp, _ := e.do("GET", fmt.Sprintf("/schools/%d/pupils", school.ID), tok, "", ""); resp.StatusCode != 200 {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", fmt.Sprintf("/schools/%d/pupils", other.ID), tok, "", ""); resp.StatusCode != 404 {
			t.Fatalf("other school's page: %d", resp.StatusCode)
		}
	})
}

// pupilCredentials reads the rows of the credentials spreadsheet.
func pupilCredentials(t *testing.T, xlsx []byte) [][]string {
	t.Helper()
	_, rows, err := sheet.ReadTable(bytes.NewReader(xlsx), sheet.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range rows {
		out = append(out, r.Fields)
	}
	return out
}

// TestNewUserPageRecordsGuardianConsent: /users/new takes the guardian's name and consent of a
// learner under 16; without the consent nothing is created.
func TestNewUserPageRecordsGuardianConsent(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser()
		b.login("province.admin", testPassword)
		form := url.Values{"username": {"hocsinh.moi"}, "display_name": {"Lê Thị Mơ"}, "password": {"mat-khau-hoc-sinh-1"}, "role": {"learner"},
			"org_id": {fmt.Sprint(e.orgIDs["thpt-sontay"])}, "under_16": {"1"}, "guardian_name": {"Lê Văn Cha"}}
		if resp, body := b.post("/users", form); resp.StatusCode != 422 || !strings.Contains(body, "Nghị định 13/2023/NĐ-CP") {
			t.Fatalf("without consent: %d", resp.StatusCode)
		}
		if _, err := e.accounts.FindByUsername(e.sys, "hocsinh.moi"); err == nil {
			t.Fatal("created without the guardian's consent")
		}
		if resp, body := b.get("/users/new"); resp.StatusCode != 200 || !strings.Contains(body, `id="guardian_name"`) {
			t.Fatalf("form: %d", resp.StatusCode)
		}
		form.Set("guardian_consent", "1")
		if resp, _ := b.post("/users", form); resp.StatusCode != 303 {
			t.Fatalf("with consent: %d", resp.StatusCode)
		}
		u, err := e.accounts.FindByUsername(e.sys, "hocsinh.moi")
		if err != nil {
			t.Fatal(err)
		}
		var guardian string
		var by int64
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT guardian_name, recorded_by FROM guardian_consents WHERE user_id = ?", u.ID).Scan(&guardian, &by); err != nil || guardian != "Lê Văn Cha" || by != e.users["province_admin"] {
			t.Fatalf("consent %q by %d: %v", guardian, by, err)
		}
	})
}

// peer is a second server over the same database, as a second instance behind a round-robin
// proxy: its own services and handler, nothing shared with e in memory but the database handle.
func (e *env) peer(d *db.DB) *env {
	e.t.Helper()
	a := build(e.t, app.BuildConfig{DB: d})
	p := *e
	p.app, p.web, p.accounts, p.units, p.orgs, p.training, p.outreach, p.reports = a, a.Web, a.Accounts, a.Units, a.Orgs, a.Training, a.Outreach, a.Reports
	p.srv = httptest.NewServer(a.Web)
	e.t.Cleanup(p.srv.Close)
	return &p
}

// TestPupilJobsAcrossInstances: the roster is uploaded to one instance and the progress and the
// download are asked of another; the list opens only with the job's key, only for the
// administrator who started it, and the table holds no password in the clear. A job whose
// instance stopped reads as failed, and a list past its hour is deleted and refused.
func TestPupilJobsAcrossInstances(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		a := newEnv(t, d)
		b := a.peer(d)
		ctx := context.Background()
		school := a.mustOrg(orgs.Org{Name: "Trường THCS Ba Tơ", Kind: orgs.School, UnitCode: "535"})
		admin := a.mustUser("bgh.thcs.bato", accounts.NewUser{Role: authz.OrgAdmin, OrgID: school.ID})
		tok, err := a.accounts.CreateToken(a.sys, admin.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().Year()
		roster := "ho_ten,ngay_sinh,lop,ten_nguoi_giam_ho,sdt_nguoi_giam_ho,dong_y_cua_nguoi_giam_ho\n" +
			fmt.Sprintf("Nguyễn Thị Lan,15/03/%d,7A,Nguyễn Văn Bình,0912345678,có\n", year-12) +
			fmt.Sprintf("Hồ Văn Đức,%d,12A1,,,\n", year-18)
		j := a.startPupils(school.ID, tok, roster)
		if j.State != "queued" || j.Total != 2 || len(j.Key) != 43 {
			t.Fatalf("upload's answer %+v", j)
		}
		// Progress and download on the other instance.
		if j = b.waitPupils(j, tok); j.State != "done" || j.Done != 2 {
			t.Fatalf("job on the other instance: %+v", j)
		}
		resp, xlsx := b.do("GET", j.credentialsURL("xlsx"), tok, "", "")
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("download on the other instance: %d %s", resp.StatusCode, xlsx)
		}
		creds := pupilCredentials(t, xlsx)
		if len(creds) != 2 {
			t.Fatalf("credentials %v", creds)
		}
		if _, err := a.accounts.Authenticate(ctx, creds[1][3], creds[1][4], "127.0.0.1"); err != nil {
			t.Fatalf("login with the one-time password: %v", err)
		}
		// The key travels in a header too (the page's poll).
		if resp, body := b.doHeader("GET", "/api/v1/pupil-imports/"+j.ID, tok, "X-Pupil-Job-Key", j.Key); resp.StatusCode != 200 || !strings.Contains(string(body), `"done"`) {
			t.Fatalf("poll with the key in a header: %d %s", resp.StatusCode, body)
		}
		// No password in the table: the list is sealed and its key is not there.
		var sealed []byte
		var check string
		if err := d.Reader().QueryRowContext(ctx, "SELECT sealed, key_check FROM pupil_jobs WHERE id = ?", j.ID).Scan(&sealed, &check); err != nil {
			t.Fatal(err)
		}
		for _, c := range creds {
			if bytes.Contains(sealed, []byte(c[4])) || bytes.Contains(sealed, []byte(c[3])) || strings.Contains(check, c[4]) {
				t.Fatalf("%s readable in pupil_jobs", c[3])
			}
		}
		if len(sealed) < 40 || strings.Contains(check, j.Key) {
			t.Fatalf("sealed %d bytes, key_check %q", len(sealed), check)
		}
		// A wrong or missing key: refused in Vietnamese, nothing revealed.
		wrong := j
		wrong.Key = strings.Repeat("A", 43)
		for _, path := range []string{wrong.pollURL(), wrong.credentialsURL("pdf"), "/api/v1/pupil-imports/" + j.ID, "/api/v1/pupil-imports/" + j.ID + "/credentials/export?format=xlsx",
			"/api/v1/pupil-imports/" + j.ID + "/credentials/export?k=abc"} {
			resp, body := b.do("GET", path, tok, "", "")
			if resp.StatusCode != 403 || !strings.Contains(string(body), "khóa không đúng") || strings.Contains(string(body), creds[0][4]) || strings.Contains(string(body), `"total"`) {
				t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
		// Someone else, even with the key: not found, on either instance.
		for _, e := range []*env{a, b} {
			for _, path := range []string{j.pollURL(), j.credentialsURL("xlsx")} {
				if st := e.json("GET", path, e.tokens["province_admin"], nil, nil); st != 404 {
					t.Fatalf("another administrator, GET %s: %d", path, st)
				}
			}
		}
		// An unknown job.
		if st := b.json("GET", "/api/v1/pupil-imports/"+strings.Repeat("0", 32)+"?k="+j.Key, tok, nil, nil); st != 404 {
			t.Fatalf("unknown job: %d", st)
		}
		// Downloads are audited, whichever instance served them.
		var views int
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'pupils.credentials'").Scan(&views); err != nil || views != 1 {
			t.Fatalf("%d audited downloads (%v), want 1", views, err)
		}
		// A job whose instance stopped while running: no heartbeat for more than two minutes.
		stale := a.startPupils(school.ID, tok, "ho_ten,ngay_sinh,lop\nTrần Văn Tư,"+fmt.Sprint(year-17)+",11B\n")
		a.waitPupils(stale, tok)
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET state = 'running', done = 0, sealed = NULL, finished_at = 0, updated_at = ? WHERE id = ?",
				time.Now().Add(-3*time.Minute).UnixMilli(), stale.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var got pupilJob
		if st := b.json("GET", stale.pollURL(), tok, nil, &got); st != 200 || got.State != "failed" || !strings.Contains(got.Message, "Máy chủ dừng giữa chừng") {
			t.Fatalf("stale job: %d %+v", st, got)
		}
		if resp, body := a.do("GET", stale.credentialsURL("pdf"), tok, "", ""); resp.StatusCode != 409 {
			t.Fatalf("download of a failed job: %d %s", resp.StatusCode, body)
		}
		// Past its hour the list is deleted, and its download refused.
		if err := d.WriteTx(ctx, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE pupil_jobs SET finished_at = ? WHERE id = ?", time.Now().Add(-accounts.JobTTL-time.Minute).UnixMilli(), j.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if resp, body := b.do("GET", j.credentialsURL("pdf"), tok, "", ""); resp.StatusCode != 404 || !strings.Contains(string(body), "hết hạn") {
			t.Fatalf("expired download: %d %s", resp.StatusCode, body)
		}
		var left int
		if err := d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM pupil_jobs WHERE id = ? AND sealed IS NULL", j.ID).Scan(&left); err != nil || left != 1 {
			t.Fatalf("expired list not deleted: %d %v", left, err)
		}
	})
}

// doHeader is do with one extra request header.
func (e *env) doHeader(method, path, token, name, value string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(name, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
