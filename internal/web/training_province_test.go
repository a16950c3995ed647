package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// takeExam has the learner (token) start the course's exam over the API, choose "Ba" (the right
// option of trainingBank) everywhere and submit; it returns the result.
func (e *env) takeExam(token string, courseID int64) (passed bool, code string) {
	e.t.Helper()
	resp, b := e.do("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", courseID), token, "", "")
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	var a training.AttemptView
	if err := json.Unmarshal(b, &a); err != nil {
		e.t.Fatal(err)
	}
	for _, q := range a.Questions {
		for _, o := range q.Options {
			if o.Text == "Ba" {
				if st := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), token, map[string]any{"choices": []int64{o.ID}}, nil); st != 200 {
					e.t.Fatalf("answer: %d", st)
				}
			}
		}
	}
	var res training.Result
	if st := e.json("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), token, nil, &res); st != 200 {
		e.t.Fatalf("submit: %d", st)
	}
	return res.Passed, res.CertificateCode
}

// userToken makes a user and a token for it.
func (e *env) userToken(username string, n accounts.NewUser) string {
	e.t.Helper()
	u := e.mustUser(username, n)
	tok, err := e.accounts.CreateToken(e.sys, u.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// makeCourse creates a course through the API as token (with body's province_code, if any),
// imports a bank of 12 and publishes it.
func (e *env) makeCourse(token, body string) int64 {
	e.t.Helper()
	var c training.Course
	resp, b := e.do("POST", "/api/v1/courses", token, "application/json", body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &c) != nil {
		e.t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do("POST", fmt.Sprintf("/api/v1/courses/%d/questions/import", c.ID), token, "text/csv", trainingBank(12)); resp.StatusCode != 200 {
		e.t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	if st := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/publish", c.ID), token, nil, nil); st != 200 {
		e.t.Fatalf("publish: %d", st)
	}
	return c.ID
}

const newCourseBody = `{"title":%q,"exam":{"question_count":10,"pass_percent":60,"time_limit_minutes":15}}`

// Quảng Ngãi's course over HTTP: Hà Nội's administrator gets 404 on every read, change, export and
// revocation (and the probe is audited), the national administrator reads it and is refused
// every change (403).
func TestTrainingAnotherProvincesCourse(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn, nat := e.tokens["province_admin_hanoi"], e.tokens["national_admin"]
		c := e.course(false)
		code, _ := e.passed()
		base := fmt.Sprintf("/api/v1/courses/%d", c.ID)
		calls := []struct{ method, path, body string }{
			{"GET", base, ""},
			{"PUT", base + "/exam", `{"question_count":5,"pass_percent":60,"time_limit_minutes":10}`},
			{"POST", base + "/modules", `{"title":"Chương lạ"}`},
			{"POST", base + "/questions/import", "category,type,question,A,B,C,D,correct\nLạ,truefalse,Câu lạ?,Đúng,Sai,,,A\n"},
			{"GET", base + "/questions/export?format=csv", ""},
			{"POST", base + "/publish", ""},
			{"POST", "/api/v1/certificates/" + code + "/revoke", `{"reason":"Thi hộ"}`},
			{"POST", base + "/enrolments/import", "username\nlearner\n"},
			{"GET", base + "/figures", ""},
			{"GET", base + "/figures/export", ""},
			{"GET", fmt.Sprintf("/api/v1/certificates/export?format=zip&course=%d", c.ID), ""},
			{"GET", fmt.Sprintf("/courses/%d", c.ID), ""},
			{"GET", fmt.Sprintf("/courses/%d/figures", c.ID), ""},
		}
		changes := map[string]bool{"PUT": true, "POST": true}
		for _, call := range calls {
			ct := "application/json"
			if strings.HasPrefix(call.body, "category") || strings.HasPrefix(call.body, "username") {
				ct = "text/csv"
			}
			if resp, b := e.do(call.method, call.path, hn, ct, call.body); resp.StatusCode != http.StatusNotFound {
				t.Errorf("Hà Nội: %s %s: %d %.200s", call.method, call.path, resp.StatusCode, b)
			}
			want := http.StatusOK
			if changes[call.method] || strings.Contains(call.path, "/questions/export") {
				want = http.StatusForbidden
			}
			if resp, b := e.do(call.method, call.path, nat, ct, call.body); resp.StatusCode != want {
				t.Errorf("national: %s %s: %d, want %d: %.200s", call.method, call.path, resp.StatusCode, want, b)
			}
		}
		denials, _ := audit.List(e.sys, d.Reader(), audit.Filter{Action: "access.denied"})
		probed := false
		for _, en := range denials {
			probed = probed || en.ActorName == "province.admin.hanoi" && strings.Contains(en.Detail, base+"/questions/export") && en.UnitPath == "/01/"
		}
		if !probed {
			t.Errorf("Hà Nội's export probe is not in the audit log")
		}
		// The certificate is untouched, and Quảng Ngãi's administrator still manages the course.
		if resp, b := e.do("GET", "/verify/"+code, "", "", ""); resp.StatusCode != 200 || strings.Contains(string(b), "thu hồi") ||
			!strings.Contains(string(b), "Sở Thông tin và Truyền thông tỉnh Quảng Ngãi") {
			t.Errorf("verify: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", base+"/questions/export?format=csv", e.tokens["province_admin"], "", ""); resp.StatusCode != 200 {
			t.Errorf("Quảng Ngãi's export: %d", resp.StatusCode)
		}
		// Creating for another province, or for no province that exists.
		for _, bad := range []struct {
			token, province string
			want            int
		}{{hn, "51", 403}, {nat, "51", 403}, {e.tokens["province_admin"], "", 403}, {e.tokens["province_admin"], "99", 422}, {e.tokens["learner"], "51", 403}} {
			body := fmt.Sprintf(`{"province_code":%q,"title":"Khóa lạ","exam":{"question_count":10,"pass_percent":60,"time_limit_minutes":15}}`, bad.province)
			if resp, b := e.do("POST", "/api/v1/courses", bad.token, "application/json", body); resp.StatusCode != bad.want {
				t.Errorf("create for %q: %d, want %d: %s", bad.province, resp.StatusCode, bad.want, b)
			}
		}
	})
}

// Hà Nội's administrator runs its own course end to end over HTTP; a Hà Nội learner enrols,
// passes and gets a certificate issued in Hà Nội's name. Quảng Ngãi's people do not see it.
func TestTrainingHaNoiOwnCourse(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hn := e.tokens["province_admin_hanoi"]
		id := e.makeCourse(hn, fmt.Sprintf(newCourseBody, "Kỹ năng số cho người dân Thủ đô"))
		var c training.Course
		if st := e.json("GET", fmt.Sprintf("/api/v1/courses/%d", id), hn, nil, &c); st != 200 || c.Province != "01" {
			t.Fatalf("course: %d %+v", st, c)
		}
		learner := e.userToken("hocvien.hanoi", accounts.NewUser{Role: authz.Learner, UnitCode: e.haNoiCommune})
		var list struct {
			Items []training.Course `json:"items"`
		}
		if st := e.json("GET", "/api/v1/courses", learner, nil, &list); st != 200 || len(list.Items) != 1 || list.Items[0].ID != id {
			t.Errorf("Hà Nội learner's catalogue: %d %+v", st, list.Items)
		}
		if st := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/enrol", id), learner, nil, nil); st != 200 {
			t.Fatalf("enrol: %d", st)
		}
		passed, code := e.takeExam(learner, id)
		if !passed || code == "" {
			t.Fatalf("the Hà Nội learner did not pass")
		}
		var cert training.Certificate
		if st := e.json("GET", "/api/v1/certificates/"+code, "", nil, &cert); st != 200 || cert.Issuer != "Sở Thông tin và Truyền thông thành phố Hà Nội" {
			t.Errorf("certificate: %d %+v", st, cert)
		}
		if resp, b := e.do("GET", "/verify/"+code, "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "Sở Thông tin và Truyền thông thành phố Hà Nội") ||
			strings.Contains(stripTags(string(b)), "Quảng Ngãi") {
			t.Errorf("verify: %d %s", resp.StatusCode, stripTags(string(b)))
		}
		if resp, b := e.do("GET", "/api/v1/certificates/"+code+"/export?format=pdf", "", "", ""); resp.StatusCode != 200 || !strings.HasPrefix(string(b), "%PDF") {
			t.Errorf("pdf: %d", resp.StatusCode)
		}
		var fig struct {
			Totals training.Totals      `json:"totals"`
			Items  []training.FigureRow `json:"items"`
		}
		if st := e.json("GET", fmt.Sprintf("/api/v1/courses/%d/figures", id), hn, nil, &fig); st != 200 || fig.Totals.Passed != 1 || len(fig.Items) != 2 {
			t.Errorf("Hà Nội's figures: %d %+v", st, fig)
		}
		resp, b := e.do("GET", fmt.Sprintf("/courses/%d", id), hn, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `id="course-province">Thành phố Hà Nội`) || !strings.Contains(string(b), "/questions/export") {
			t.Errorf("course page: %d %s", resp.StatusCode, stripTags(string(b)))
		}
		if resp, b := e.do("GET", "/courses/new", hn, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "Khóa học của thành phố Hà Nội") {
			t.Errorf("new course form: %d %s", resp.StatusCode, stripTags(string(b)))
		}
		if resp, _ := e.do("POST", fmt.Sprintf("/api/v1/certificates/%s/revoke", code), hn, "application/json", `{"reason":"Chấm lại"}`); resp.StatusCode != 200 {
			t.Errorf("Hà Nội revokes its own certificate: %d", resp.StatusCode)
		}
		// Quảng Ngãi's people do not see it; its learner's catalogue does not list it.
		for _, role := range []string{"province_admin", "learner", "unit_admin_bato"} {
			if resp, _ := e.do("GET", fmt.Sprintf("/api/v1/courses/%d", id), e.tokens[role], "", ""); resp.StatusCode != 404 {
				t.Errorf("%s reads Hà Nội's course: %d", role, resp.StatusCode)
			}
		}
		if st := e.json("GET", "/api/v1/courses", e.tokens["learner"], nil, &list); st != 200 || len(list.Items) != 0 {
			t.Errorf("Quảng Ngãi learner's catalogue: %+v", list.Items)
		}
		if st := e.json("GET", "/api/v1/courses?province=51", "", nil, &list); st != 200 || len(list.Items) != 0 {
			t.Errorf("Quảng Ngãi's public catalogue: %+v", list.Items)
		}
		if st := e.json("GET", "/api/v1/courses?province=5%25", "", nil, nil); st != 422 {
			t.Errorf("a bad province filter: %d", st)
		}
	})
}

// A national course taken by a learner of each province: its figures split by province for the
// national administrator and each province's administrator reads its own part.
func TestTrainingNationalCourseByProvince(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		nat, qng, hn := e.tokens["national_admin"], e.tokens["province_admin"], e.tokens["province_admin_hanoi"]
		id := e.makeCourse(nat, fmt.Sprintf(newCourseBody, "Kỹ năng số toàn dân"))
		hnLearner := e.userToken("hocvien.hanoi", accounts.NewUser{Role: authz.Learner, UnitCode: e.haNoiCommune})
		for _, token := range []string{e.tokens["learner"], hnLearner} {
			if passed, _ := e.takeExam(token, id); !passed {
				t.Fatal("not passed")
			}
		}
		// A province administrator changes no national course.
		if st := e.json("PUT", fmt.Sprintf("/api/v1/courses/%d/exam", id), qng, map[string]any{"question_count": 5, "pass_percent": 60, "time_limit_minutes": 10}, nil); st != 403 {
			t.Errorf("Quảng Ngãi changes the national course: %d", st)
		}
		var fig struct {
			Totals training.Totals      `json:"totals"`
			Items  []training.FigureRow `json:"items"`
		}
		rows := func(token, query string) map[string]int {
			t.Helper()
			fig.Items = nil
			if st := e.json("GET", fmt.Sprintf("/api/v1/courses/%d/figures%s", id, query), token, nil, &fig); st != 200 {
				t.Fatalf("figures %s: %d", query, st)
			}
			out := map[string]int{}
			for _, r := range fig.Items {
				out[r.Key] = r.Passed
			}
			return out
		}
		if got := rows(nat, ""); len(got) != 2 || got["51"] != 1 || got["01"] != 1 || fig.Totals.Passed != 2 {
			t.Errorf("national rows %v, totals %+v", got, fig.Totals)
		}
		if got := rows(nat, "?parent=01"); len(got) != 2 || got["001"] != 1 {
			t.Errorf("national drill-down into Hà Nội %v", got)
		}
		if got := rows(qng, ""); len(got) != 13 || got["535"] != 1 || fig.Totals.Passed != 1 {
			t.Errorf("Quảng Ngãi's part %v, totals %+v", got, fig.Totals)
		}
		if got := rows(hn, ""); len(got) != 2 || got["001"] != 1 || fig.Totals.Enrolled != 1 {
			t.Errorf("Hà Nội's part %v, totals %+v", got, fig.Totals)
		}
		if got := rows(hn, "?parent=535"); len(got) != 0 {
			t.Errorf("Hà Nội drills into Ba Tơ: %v", got)
		}
		// The national page leads from the provinces, by name.
		if resp, b := e.do("GET", fmt.Sprintf("/courses/%d/figures", id), nat, "", ""); resp.StatusCode != 200 ||
			!strings.Contains(string(b), "parent=01") || !strings.Contains(string(b), "Thành phố Hà Nội") || !strings.Contains(string(b), "Tỉnh Quảng Ngãi") {
			t.Errorf("national figures page: %d", resp.StatusCode)
		}
		if resp, b := e.do("GET", fmt.Sprintf("/courses/%d", id), e.tokens["learner"], "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), `id="course-province">Toàn quốc`) {
			t.Errorf("course page: %d", resp.StatusCode)
		}
		// Each learner's certificate is issued by its own province's Department.
		var certs struct {
			Items []training.Certificate `json:"items"`
		}
		for token, want := range map[string]string{e.tokens["learner"]: "tỉnh Quảng Ngãi", hnLearner: "thành phố Hà Nội"} {
			if st := e.json("GET", "/api/v1/me/certificates", token, nil, &certs); st != 200 || len(certs.Items) != 1 || !strings.HasSuffix(certs.Items[0].Issuer, want) {
				t.Errorf("certificates %+v, want issued in %s", certs.Items, want)
			}
		}
	})
}
