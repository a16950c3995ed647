package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/platform/pdfdoc/pdftest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// trainingBank is a valid question file of n questions.
func trainingBank(n int) string {
	var b strings.Builder
	b.WriteString("category,type,question,A,B,C,D,correct\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "An toàn thông tin,single,Câu hỏi an toàn số %d?,Một,Hai,Ba,Bốn,C\n", i)
	}
	return b.String()
}

// course makes a Quảng Ngãi course with a bank of 12 questions; published unless draft is set.
func (e *env) course(draft bool) training.Course {
	e.t.Helper()
	e.seq++
	c, err := e.training.CreateCourse(e.sys, training.Course{Province: "51", Title: fmt.Sprintf("Khóa thử %d", e.seq),
		Exam: training.Exam{QuestionCount: 10, PassPercent: 50, TimeLimitMinutes: 20, ReviewAllowed: true}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.training.ImportQuestions(e.sys, c.ID, strings.NewReader(trainingBank(12))); err != nil {
		e.t.Fatal(err)
	}
	if draft {
		return c
	}
	if c, err = e.training.Publish(e.sys, c.ID); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// learnerCtx is the matrix's learner acting through the service.
func (e *env) learnerCtx() context.Context {
	u, err := e.accounts.FindUser(e.sys, e.users["learner"])
	if err != nil {
		e.t.Fatal(err)
	}
	return authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
}

// learnerAttempt starts an attempt of the matrix's learner on a fresh course.
func (e *env) learnerAttempt() training.AttemptView {
	a, err := e.training.StartAttempt(e.learnerCtx(), e.course(false).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// passed makes the learner pass a fresh course and returns the certificate code.
func (e *env) passed() (string, training.AttemptView) {
	a := e.learnerAttempt()
	ctx := e.learnerCtx()
	for _, q := range a.Questions {
		for _, o := range q.Options {
			if o.Text == "Ba" {
				if _, err := e.training.SaveAnswer(ctx, a.ID, q.ID, []int64{o.ID}); err != nil {
					e.t.Fatal(err)
				}
			}
		}
	}
	r, err := e.training.Submit(ctx, a.ID)
	if err != nil || r.CertificateCode == "" {
		e.t.Fatalf("submit: %v %+v", err, r)
	}
	return r.CertificateCode, a
}

func trainingMatrixCases() []matrixCase {
	inScopeAdmins := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "org_admin_tinhdoan": ok})
	rosterAdmins := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "org_admin_tinhdoan": ok, "unit_admin_sontay": refused})
	learnerOnly := expect(deny, map[string]outcome{"anonymous": anon, "learner": ok})
	// Pupils' accounts: whoever may give a learner grant in the school (Trường THPT Sơn Tây).
	schoolAdmins := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_sontay": ok})
	// Every course of the cases is Quảng Ngãi's: Hà Nội's administrator does not see it (404), the
	// national administrator reads it but changes nothing of it and takes none of its exams (403).
	qngPublic := expect(ok, map[string]outcome{"province_admin_hanoi": deny})
	qngSignedIn := expect(ok, map[string]outcome{"anonymous": anon, "province_admin_hanoi": deny})
	qngTakers := expect(ok, map[string]outcome{"anonymous": anon, "province_admin_hanoi": deny, "national_admin": deny})
	qngReaders := expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "unit_admin_bato": ok, "unit_admin_sontay": ok, "org_admin_tinhdoan": ok,
		"national_admin": ok})
	courseID := func(e *env) int64 { return e.course(false).ID }
	return []matrixCase{
		{"POST /api/v1/register", func(e *env, _ string) (string, string) {
			e.seq++
			return "/api/v1/register", fmt.Sprintf(`{"username":"tudangky.%d","display_name":"Người Dân","password":%q,"unit_code":%q}`, e.seq, testPassword, e.baToCommune)
		}, public},
		{"GET /api/v1/courses", func(e *env, _ string) (string, string) { return "/api/v1/courses", "" }, public},
		{"POST /api/v1/courses", func(e *env, _ string) (string, string) {
			return "/api/v1/courses", `{"province_code":"51","title":"Khóa mới","exam":{"question_count":10,"pass_percent":70,"time_limit_minutes":15}}`
		}, provinceOnly},
		{"GET /api/v1/courses/{id}", func(e *env, _ string) (string, string) { return fmt.Sprintf("/api/v1/courses/%d", courseID(e)), "" }, qngPublic},
		{"PUT /api/v1/courses/{id}/exam", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/exam", courseID(e)), `{"question_count":5,"pass_percent":60,"time_limit_minutes":10}`
		}, provinceOnly},
		{"POST /api/v1/courses/{id}/publish", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/publish", e.course(true).ID), ""
		}, provinceOnly},
		{"POST /api/v1/courses/{id}/modules", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/modules", courseID(e)), `{"title":"Chương 1"}`
		}, provinceOnly},
		{"POST /api/v1/modules/{id}/lessons", func(e *env, _ string) (string, string) {
			m, err := e.training.AddModule(e.sys, courseID(e), "Chương")
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/modules/%d/lessons", m.ID), `{"title":"Bài 1","body_html":"<p>Nội dung</p><script>alert(1)</script>"}`
		}, provinceOnly},
		{"POST /api/v1/courses/{id}/lessons/{lesson}/done", func(e *env, _ string) (string, string) {
			c := e.course(false)
			m, _ := e.training.AddModule(e.sys, c.ID, "Chương")
			l, err := e.training.AddLesson(e.sys, m.ID, training.Lesson{Title: "Bài"})
			if err != nil {
				e.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/courses/%d/lessons/%d/done", c.ID, l.ID), ""
		}, qngTakers},
		{"POST /api/v1/courses/{id}/questions/import", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/questions/import", e.course(true).ID), "category,type,question,A,B,C,D,correct\nMới,truefalse,Câu mới?,Đúng,Sai,,,B\n"
		}, provinceOnly},
		{"GET /api/v1/courses/{id}/questions/export", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/questions/export?format=xlsx", courseID(e)), ""
		}, provinceOnly},
		{"POST /api/v1/courses/{id}/enrol", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/enrol", courseID(e)), ""
		}, qngTakers},
		{"POST /api/v1/courses/{id}/enrolments/import", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/enrolments/import", courseID(e)), "username\nlearner\n"
		}, rosterAdmins},
		{"PUT /api/v1/courses/{id}/enrolments/{user}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/enrolments/%d", courseID(e), e.users["learner"]), `{"extra_minutes":15}`
		}, inScopeAdmins},
		{"GET /api/v1/courses/{id}/lobby", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/lobby", courseID(e)), ""
		}, qngSignedIn},
		{"POST /api/v1/courses/{id}/attempts", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/attempts", courseID(e)), ""
		}, qngTakers},
		{"GET /api/v1/attempts/{id}", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/attempts/%d", e.learnerAttempt().ID), ""
		}, learnerOnly},
		{"PUT /api/v1/attempts/{id}/answers/{question_id}", func(e *env, _ string) (string, string) {
			a := e.learnerAttempt()
			return fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, a.Questions[0].ID), fmt.Sprintf(`{"choices":[%d]}`, a.Questions[0].Options[0].ID)
		}, learnerOnly},
		{"POST /api/v1/attempts/{id}/submit", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/attempts/%d/submit", e.learnerAttempt().ID), ""
		}, learnerOnly},
		{"GET /api/v1/attempts/{id}/review", func(e *env, _ string) (string, string) {
			_, a := e.passed()
			return fmt.Sprintf("/api/v1/attempts/%d/review", a.ID), ""
		}, learnerOnly},
		{"GET /api/v1/certificates/{code}", func(e *env, _ string) (string, string) {
			code, _ := e.passed()
			return "/api/v1/certificates/" + code, ""
		}, public},
		{"GET /api/v1/certificates/{code}/export", func(e *env, _ string) (string, string) {
			code, _ := e.passed()
			return "/api/v1/certificates/" + code + "/export?format=pdf", ""
		}, public},
		// A former URL redirects to its export, whose access rules then apply.
		{"GET /api/v1/certificates/{code}/pdf", func(e *env, _ string) (string, string) {
			code, _ := e.passed()
			return "/api/v1/certificates/" + code + "/pdf", ""
		}, public},
		{"POST /api/v1/certificates/{code}/revoke", func(e *env, _ string) (string, string) {
			code, _ := e.passed()
			return "/api/v1/certificates/" + code + "/revoke", `{"reason":"Thi hộ"}`
		}, provinceOnly},
		{"GET /api/v1/me/certificates", func(e *env, _ string) (string, string) { return "/api/v1/me/certificates", "" }, signedIn},
		{"GET /api/v1/certificates/export", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/certificates/export?format=zip&from=2020-01-01&course=%d", courseID(e)), ""
		}, qngReaders},
		{"GET /api/v1/certificates", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/certificates?from=2020-01-01&course=%d", courseID(e)), ""
		}, qngReaders},
		{"GET /api/v1/courses/{id}/figures", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/figures?by=org", courseID(e)), ""
		}, qngReaders},
		{"GET /api/v1/courses/{id}/figures/export", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/courses/%d/figures/export?format=xlsx", courseID(e)), ""
		}, qngReaders},
		// Targets as shares: each province's administrator its own province's headcounts and
		// target; Hà Nội's cannot name a unit of Quảng Ngãi.
		{"GET /api/v1/headcounts", func(e *env, _ string) (string, string) { return "/api/v1/headcounts", "" },
			expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok})},
		{"POST /api/v1/headcounts/import", func(e *env, _ string) (string, string) {
			return "/api/v1/headcounts/import", "Mã đơn vị hoặc Mã tổ chức,Nhóm,Số người\n535,cán bộ công chức,30\n"
		}, expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": refused})},
		{"PUT /api/v1/targets", func(e *env, _ string) (string, string) { return "/api/v1/targets", `{"course_id":0,"percent":80}` },
			expect(deny, map[string]outcome{"anonymous": anon, "province_admin": ok, "province_admin_hanoi": ok})},
		{"POST /api/v1/orgs/{id}/pupils/import", func(e *env, _ string) (string, string) {
			return fmt.Sprintf("/api/v1/orgs/%d/pupils/import", e.orgIDs["thpt-sontay"]), "ho_ten,ngay_sinh,lop\nHồ Văn Đức,2005,12A1\n"
		}, schoolAdmins},
		{"GET /api/v1/pupil-imports/{job}", func(e *env, _ string) (string, string) {
			j := e.startPupils(e.orgIDs["thpt-sontay"], e.tokens["province_admin"], "ho_ten,ngay_sinh,lop\nHồ Văn Đức,2005,12A1\n")
			return j.pollURL(), ""
		}, provinceOnly},
		{"GET /api/v1/pupil-imports/{job}/credentials/export", func(e *env, _ string) (string, string) {
			j := e.startPupils(e.orgIDs["thpt-sontay"], e.tokens["province_admin"], "ho_ten,ngay_sinh,lop\nHồ Văn Đức,2005,12A1\n")
			return e.waitPupils(j, e.tokens["province_admin"]).credentialsURL("xlsx"), ""
		}, provinceOnly},
		{"GET /api/v1/pupil-imports/{job}/credentials", func(e *env, _ string) (string, string) {
			j := e.startPupils(e.orgIDs["thpt-sontay"], e.tokens["province_admin"], "ho_ten,ngay_sinh,lop\nHồ Văn Đức,2005,12A1\n")
			return strings.Replace(e.waitPupils(j, e.tokens["province_admin"]).credentialsURL("xlsx"), "/credentials/export?", "/credentials?", 1), ""
		}, provinceOnly},
	}
}

// TestTrainingContract walks the acceptance contract over HTTP with tokens.
func TestTrainingContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin, learner := e.tokens["province_admin"], e.tokens["learner"]
		var created struct {
			ID int64 `json:"id"`
		}
		if st := e.json("POST", "/api/v1/courses", admin, map[string]any{"title": "Kỹ năng số cho đoàn viên",
			"exam": map[string]int{"question_count": 10, "pass_percent": 60, "time_limit_minutes": 15}}, &created); st != 201 || created.ID == 0 {
			t.Fatalf("create: %d", st)
		}
		base := fmt.Sprintf("/api/v1/courses/%d", created.ID)
		// A bad file: every wrong line reported, nothing imported.
		resp, b := e.do("POST", base+"/questions/import", admin, "text/csv", "category,type,question,A,B,C,D,correct\nX,single,Q1,a,b,,,Z\nX,bogus,Q2,a,b,,,A\n")
		var bad struct {
			Errors []struct {
				Line    int    `json:"line"`
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(b, &bad)
		if resp.StatusCode != 422 || len(bad.Errors) != 2 || bad.Errors[0].Line != 2 || bad.Errors[1].Line != 3 || bad.Errors[0].Message == "" {
			t.Fatalf("bad import: %d %s", resp.StatusCode, b)
		}
		// A whole-file problem (a header in semicolons, an empty file) is reported in the same
		// shape, on line 1, so an importer's client reads one list whatever went wrong.
		for name, file := range map[string]string{"semicolons": "category;type;question;A;B;correct\nX;single;Q;a;b;A\n", "empty": ""} {
			body, ct := multipartFile(t, "file", "cauhoi.csv", file)
			resp, b := e.do("POST", base+"/questions/import", admin, ct, body)
			bad.Errors = nil
			_ = json.Unmarshal(b, &bad)
			if resp.StatusCode != 422 || len(bad.Errors) != 1 || bad.Errors[0].Line != 1 || bad.Errors[0].Message == "" {
				t.Errorf("%s file: %d %s", name, resp.StatusCode, b)
			}
		}
		// A good file as multipart "file".
		body, ct := multipartFile(t, "file", "cauhoi.csv", trainingBank(12))
		resp, b = e.do("POST", base+"/questions/import", admin, ct, body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"imported":12`) {
			t.Fatalf("import: %d %s", resp.StatusCode, b)
		}
		if st := e.json("POST", base+"/publish", admin, nil, nil); st != 200 {
			t.Fatalf("publish: %d", st)
		}
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		if st := e.json("GET", "/api/v1/courses", "", nil, &list); st != 200 || len(list.Items) != 1 || list.Items[0].ID != created.ID {
			t.Fatalf("list: %d %+v", st, list)
		}
		resp, b = e.do("POST", base+"/attempts", learner, "", "")
		if resp.StatusCode != 201 || strings.Contains(string(b), "correct") {
			t.Fatalf("start: %d %s", resp.StatusCode, b)
		}
		var a training.AttemptView
		if err := json.Unmarshal(b, &a); err != nil || len(a.Questions) != 10 || len(a.Questions[0].Options) != 4 {
			t.Fatalf("attempt: %v %s", err, b)
		}
		for _, q := range a.Questions {
			for _, o := range q.Options {
				if o.Text == "Ba" {
					if st := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, q.ID), learner, map[string]any{"choices": []int64{o.ID}}, nil); st != 200 {
						t.Fatalf("answer: %d", st)
					}
				}
			}
		}
		// Another learner's token on this attempt, a tampered choice: refused.
		if st := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, a.Questions[0].ID), e.tokens["team_member"], map[string]any{"choices": []int64{}}, nil); st != 404 {
			t.Errorf("other learner: %d", st)
		}
		if st := e.json("PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, a.Questions[0].ID), learner, map[string]any{"choices": []int64{a.Questions[1].Options[0].ID}}, nil); st != 422 {
			t.Errorf("tampered choice: %d", st)
		}
		// The attempt's save token alone saves an answer to it, and opens nothing else: not the
		// attempt itself, not another attempt's answers. A refused token falls back to the
		// request's own credentials.
		if a.SaveToken == "" {
			t.Fatal("the started attempt has no save token")
		}
		withSaveToken := func(method, path, saveToken, bearer, body string) int {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Lantoa-Save-Token", saveToken)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		answer := fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID, a.Questions[0].ID)
		// The answer it saved stays the one the score below counts.
		var ba int64
		for _, o := range a.Questions[0].Options {
			if o.Text == "Ba" {
				ba = o.ID
			}
		}
		choice := fmt.Sprintf(`{"choices":[%d]}`, ba)
		for _, c := range []struct {
			name, method, path, token, bearer string
			want                              int
		}{
			{"the token alone", "PUT", answer, a.SaveToken, "", 200},
			{"the token on the attempt", "GET", fmt.Sprintf("/api/v1/attempts/%d", a.ID), a.SaveToken, "", 401},
			{"the token on the submit", "POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), a.SaveToken, "", 401},
			{"the token on another attempt", "PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", a.ID+1, a.Questions[0].ID), a.SaveToken, "", 401},
			{"a forged token", "PUT", answer, a.SaveToken[:len(a.SaveToken)-2] + "AA", "", 401},
			{"a forged token with the learner's own credentials", "PUT", answer, "st1.1.1.1.AAAA", learner, 200},
			{"a forged token with another learner's credentials", "PUT", answer, "junk", e.tokens["team_member"], 404},
		} {
			if got := withSaveToken(c.method, c.path, c.token, c.bearer, choice); got != c.want {
				t.Errorf("%s: %s %s answered %d, want %d", c.name, c.method, c.path, got, c.want)
			}
		}
		var res struct {
			Score           float64 `json:"score"`
			Passed          bool    `json:"passed"`
			CertificateCode string  `json:"certificate_code"`
		}
		if st := e.json("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), learner, nil, &res); st != 200 || !res.Passed || res.Score != 100 || res.CertificateCode == "" {
			t.Fatalf("submit: %d %+v", st, res)
		}
		resp, b = e.do("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), learner, "", "")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "đã được nộp") {
			t.Errorf("second submit: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", "/verify/"+res.CertificateCode, "", "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), "Kỹ năng số cho đoàn viên") || !strings.Contains(string(b), "learner") {
			t.Errorf("verify: %d", resp.StatusCode)
		}
		// Scores read the Vietnamese way, without "100.0".
		if !strings.Contains(string(b), `<dd id="verify-score">100 điểm</dd>`) {
			t.Errorf("the verification page does not say 100 điểm")
		}
		// The passed learner's exam page shows the result and the certificate, and no start button.
		resp, b = e.do("GET", fmt.Sprintf("/courses/%d/exam", created.ID), learner, "", "")
		if page := string(b); resp.StatusCode != 200 || !strings.Contains(page, `id="result-score" class="score">100 điểm<`) ||
			!strings.Contains(page, "/verify/"+res.CertificateCode) || strings.Contains(page, `id="exam-start"`) || strings.Contains(page, `data-attempt=`) {
			t.Errorf("the passed learner's exam page: %d", resp.StatusCode)
		}
		if resp, b = e.do("GET", "/certificates", learner, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), ">100 điểm</td>") {
			t.Errorf("certificates page: %d", resp.StatusCode)
		}
		resp, b = e.do("GET", "/api/v1/certificates/"+res.CertificateCode+"/export?format=pdf", "", "", "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(b), "%PDF") {
			t.Errorf("pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if text, ok := pdftest.Text(t, b); ok && !strings.Contains(text, "Kết quả bài kiểm tra: 100 điểm (thang 100).") {
			t.Errorf("the certificate does not say 100 điểm: %q", text)
		}
		if resp, _ := e.do("GET", "/verify/LT-AAAA-AAAA-AAAA-AAAA", "", "", ""); resp.StatusCode != 404 {
			t.Errorf("unknown code: %d", resp.StatusCode)
		}
		// Figures of the Tỉnh đoàn administrator count the learner of Huyện đoàn Ba Tơ.
		var fig struct {
			Totals training.Totals `json:"totals"`
		}
		if st := e.json("GET", base+"/figures?by=org", e.tokens["org_admin_tinhdoan"], nil, &fig); st != 200 || fig.Totals.Passed != 1 {
			t.Errorf("figures tinhdoan: %d %+v", st, fig)
		}
		if st := e.json("GET", base+"/figures", e.tokens["unit_admin_sontay"], nil, &fig); st != 200 || fig.Totals.Enrolled != 0 {
			t.Errorf("figures sontay: %d %+v", st, fig)
		}
	})
}

// multipartFile builds a multipart body with one file field.
func multipartFile(t testing.TB, field, name, content string) (string, string) {
	t.Helper()
	var buf strings.Builder
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

// TestTrainingPagesAndBulk covers the pages, the registration form with a child's consent, the
// roster and the bulk download of certificates in an administrator's subtree.
func TestTrainingPagesAndBulk(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.tokens["province_admin"]
		for _, p := range []struct{ path, token string }{{"/courses", ""}, {"/register", ""}, {"/courses/new", admin}, {"/courses/questions-template?format=xlsx", ""}} {
			if resp, _ := e.do("GET", p.path, p.token, "", ""); resp.StatusCode != 200 {
				t.Errorf("GET %s: %d", p.path, resp.StatusCode)
			}
		}
		if resp, _ := e.do("GET", "/courses/new", e.tokens["learner"], "", ""); resp.StatusCode != 403 {
			t.Errorf("learner opens /courses/new: %d", resp.StatusCode)
		}
		resp, b := e.do("GET", "/courses/questions-template?format=csv", "", "", "")
		if !strings.HasPrefix(string(b), "\ufeffcategory,type,question,A,B,C,D,correct\n") || !strings.Contains(resp.Header.Get("Content-Disposition"), "mau-cau-hoi.csv") {
			t.Errorf("template: %q", b[:60])
		}
		// A child registering without a guardian's consent is refused with the reason.
		form := "username=em.hoc.sinh&display_name=Em+H%E1%BB%8Dc&password=mat-khau-cua-em-2023&place=unit%3A" + e.baToCommune + "&under_16=1&guardian_name=%C4%90inh+V%C4%83n+Cha"
		resp, b = e.do("POST", "/register", "", "application/x-www-form-urlencoded", form)
		if resp.StatusCode != 422 || !strings.Contains(string(b), "người giám hộ") {
			t.Errorf("register without consent: %d", resp.StatusCode)
		}
		noRedirect := *http.DefaultClient
		noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		req, _ := http.NewRequest("POST", e.srv.URL+"/register", strings.NewReader(form+"&guardian_consent=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r2, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if r2.StatusCode != 303 || r2.Header.Get("Location") != "/courses" {
			t.Errorf("register with consent: %d %s", r2.StatusCode, r2.Header.Get("Location"))
		}
		u, err := e.accounts.FindByUsername(e.sys, "em.hoc.sinh")
		if err != nil {
			t.Fatal(err)
		}
		if c, ok, _ := e.accounts.FindGuardianConsent(e.sys, u.ID); !ok || c.GuardianName != "Đinh Văn Cha" {
			t.Errorf("consent not recorded: %+v", c)
		}
		// The learner passes; the Ba Tơ administrator's bulk download holds the certificate, the
		// Sơn Tây administrator's does not.
		code, _ := e.passed()
		resp, b = e.do("GET", "/api/v1/certificates/export?format=zip&from=2000-01-01", e.tokens["unit_admin_bato"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), code+".pdf") {
			t.Errorf("bulk Ba Tơ: %d, has %s: %t", resp.StatusCode, code, strings.Contains(string(b), code))
		}
		resp, b = e.do("GET", "/api/v1/certificates/export", e.tokens["unit_admin_sontay"], "", "")
		if resp.StatusCode != 200 || strings.Contains(string(b), code) {
			t.Errorf("bulk Sơn Tây holds another district's certificate: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", "/api/v1/certificates/export?format=zip&from=2000-13-01", admin, "", ""); resp.StatusCode != 422 {
			t.Errorf("bad date: %d", resp.StatusCode)
		}
		// Revocation shows on the public page.
		if _, err := e.training.RevokeCertificate(e.sys, code, "Thi hộ"); err != nil {
			t.Fatal(err)
		}
		if resp, b := e.do("GET", "/verify/"+code, "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "thu hồi") {
			t.Errorf("revoked verify: %d", resp.StatusCode)
		}
		// Roster: a bad line is reported and nothing is enrolled.
		c := e.course(false)
		body, ct := multipartFile(t, "file", "ds.csv", "username\nlearner\nkhong.co.ai\n")
		resp, b = e.do("POST", fmt.Sprintf("/api/v1/courses/%d/enrolments/import", c.ID), e.tokens["org_admin_tinhdoan"], ct, body)
		if resp.StatusCode != 422 || !strings.Contains(string(b), `"line":3`) {
			t.Errorf("roster with unknown user: %d %s", resp.StatusCode, b)
		}
		if tot, _ := e.training.TotalsFor(e.sys, c.ID); tot.Enrolled != 0 {
			t.Errorf("enrolled on error: %+v", tot)
		}
		// Figures page with drill-down.
		if resp, b := e.do("GET", fmt.Sprintf("/courses/%d/figures?parent=535", c.ID), admin, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "id=\"figures\"") {
			t.Errorf("figures page: %d", resp.StatusCode)
		}
	})
}

// TestTrainingLobbyRefusesEarlyStart: before the learner's start time of a scheduled exam, the
// lobby says when it opens and a start is refused (409) with a Vietnamese message; nothing is
// written. At the start time the same call starts the attempt.
func TestTrainingLobbyRefusesEarlyStart(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.course(false)
		examAt := time.Now().Add(2 * time.Hour).Truncate(time.Second)
		ex := c.Exam
		ex.ExamAt, ex.LobbyMinutes, ex.StartWindowSeconds = examAt, 30, 0
		if _, err := e.training.UpdateExam(e.sys, c.ID, ex); err != nil {
			t.Fatal(err)
		}
		learner := e.tokens["learner"]
		var lobby training.Lobby
		if st := e.json("GET", fmt.Sprintf("/api/v1/courses/%d/lobby", c.ID), learner, nil, &lobby); st != 200 || lobby.CanStart || lobby.WaitSecond < 7100 || !lobby.YourStart.Equal(examAt) {
			t.Fatalf("lobby: %d %+v", st, lobby)
		}
		resp, b := e.do("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", c.ID), learner, "", "")
		var bad struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &bad)
		want := examAt.In(time.FixedZone("ICT", 7*3600)).Format("15:04:05 02/01/2006")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(bad.Error.Message, "Chưa đến giờ làm bài") || !strings.Contains(bad.Error.Message, want) {
			t.Fatalf("early start: %d %s", resp.StatusCode, b)
		}
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_attempts WHERE course_id = ?", c.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("an early start wrote %d attempts (%v)", n, err)
		}
		// The exam page is the start step with the lobby: countdown and a start button, disabled
		// until the start time. Opening it writes nothing; nor does its form sent early anyway,
		// which is refused on the page with the same message.
		page := fmt.Sprintf("/courses/%d/exam", c.ID)
		resp, b = e.do("GET", page, learner, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `id="exam-start" disabled`) || !strings.Contains(string(b), `id="lobby"`) || strings.Contains(string(b), `data-attempt=`) {
			t.Fatalf("lobby page: %d", resp.StatusCode)
		}
		resp, b = e.do("POST", page+"/start", learner, "application/x-www-form-urlencoded", "")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "Chưa đến giờ làm bài") {
			t.Fatalf("early start from the page: %d", resp.StatusCode)
		}
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM training_attempts WHERE course_id = ?", c.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the lobby page wrote %d attempts (%v)", n, err)
		}
		// At the start time the learner may start: the page's button lands on the running attempt,
		// which the JSON API then resumes.
		e.training.Now = func() time.Time { return examAt.Add(time.Second) }
		defer func() { e.training.Now = time.Now }()
		resp, b = e.do("POST", page+"/start", learner, "application/x-www-form-urlencoded", "")
		if resp.StatusCode != 200 || resp.Request.URL.Path != page || !strings.Contains(string(b), `data-attempt="`) {
			t.Fatalf("start at the start time: %d at %s", resp.StatusCode, resp.Request.URL)
		}
		var a training.AttemptView
		if st := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", c.ID), learner, nil, &a); st/100 != 2 || !strings.Contains(string(b), fmt.Sprintf(`data-attempt="%d"`, a.ID)) {
			t.Fatalf("the API does not resume the page's attempt: %d %d", st, a.ID)
		}
	})
}

// The catalogue says which courses a learner can still take: a published course past its close
// date reads as closed, one before its open date as opening soon, with the date.
func TestCatalogueStatusAsLearnersMeetIt(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schema.All()))
	now := e.training.Now()
	ids := map[int64]string{}
	for _, c := range []struct {
		title, want  string
		opens, close time.Time
	}{
		{"Khóa đã đóng", "closed", now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)},
		{"Khóa sắp mở", "upcoming", now.Add(72 * time.Hour), time.Time{}},
		{"Khóa đang mở", "published", now.Add(-time.Hour), now.Add(24 * time.Hour)},
	} {
		created, err := e.training.CreateCourse(e.sys, training.Course{Province: "51", Title: c.title, OpensAt: c.opens, ClosesAt: c.close,
			Exam: training.Exam{QuestionCount: 5, PassPercent: 50, TimeLimitMinutes: 20}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.training.ImportQuestions(e.sys, created.ID, strings.NewReader(trainingBank(6))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.training.Publish(e.sys, created.ID); err != nil {
			t.Fatal(err)
		}
		ids[created.ID] = c.want
	}
	_, page := e.browser().get("/courses")
	for title, want := range map[string]string{"Khóa đã đóng": `data-status="closed">Đã đóng`, "Khóa sắp mở": `data-status="upcoming">Sắp mở`, "Khóa đang mở": `data-status="published">Đang mở`} {
		i := strings.Index(page, title)
		if i < 0 {
			t.Fatalf("%s not in the catalogue", title)
		}
		row := page[i:]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, want) {
			t.Errorf("%s: row %s, want %s", title, row, want)
		}
	}
	if !strings.Contains(page, "(mở từ ") {
		t.Errorf("the upcoming course does not say when it opens")
	}
	// The course page agrees, and offers the exam only while the course is open.
	b := e.browser()
	b.login("learner", testPassword)
	for id, want := range ids {
		_, course := b.get(fmt.Sprintf("/courses/%d", id))
		if !strings.Contains(course, `data-status="`+want+`"`) || strings.Contains(course, `id="take-exam"`) != (want == "published") {
			t.Errorf("course %d (%s): status or exam button wrong:\n%.600s", id, want, stripTags(course))
		}
	}
}

// TestExamPageOutOfAttempts: a learner who has used every attempt without passing opens the exam
// page and is told why there is no start button, below the result of their latest attempt.
func TestExamPageOutOfAttempts(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schema.All()))
	c := e.course(false)
	ex := c.Exam
	ex.MaxAttempts = 1
	if _, err := e.training.UpdateExam(e.sys, c.ID, ex); err != nil {
		t.Fatal(err)
	}
	learner := e.tokens["learner"]
	var a training.AttemptView
	if st := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/attempts", c.ID), learner, nil, &a); st != 201 {
		t.Fatalf("start: %d", st)
	}
	page := fmt.Sprintf("/courses/%d/exam", c.ID)
	if resp, b := e.do("GET", page, learner, "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf(`data-attempt="%d"`, a.ID)) {
		t.Fatalf("the running attempt is not resumed: %d", resp.StatusCode)
	}
	if st := e.json("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", a.ID), learner, nil, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	resp, b := e.do("GET", page, learner, "", "")
	body := string(b)
	if resp.StatusCode != 200 || !strings.Contains(body, "Bạn đã dùng hết 1 lần làm bài.") || strings.Contains(body, `id="exam-start"`) ||
		!strings.Contains(body, "Kết quả lần làm bài gần nhất") || !strings.Contains(body, `id="result-score" class="score">0 điểm<`) ||
		!strings.Contains(body, "Đã làm 1/1 lần, còn 0 lần") {
		t.Fatalf("out of attempts: %d\n%s", resp.StatusCode, body)
	}
	// The button sent anyway (an old tab) is refused on the page with the same words, once.
	resp, b = e.do("POST", page+"/start", learner, "application/x-www-form-urlencoded", "")
	if resp.StatusCode != http.StatusConflict || strings.Count(string(b), "Bạn đã dùng hết 1 lần làm bài.") != 1 {
		t.Fatalf("start out of attempts: %d", resp.StatusCode)
	}
}
