package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/training"
)

// passAt makes the learner pass a fresh course with the service's clock at tm; it returns the
// certificate code.
func (e *env) passAt(learner context.Context, tm time.Time) string {
	e.t.Helper()
	e.training.Now = func() time.Time { return tm }
	a, err := e.training.StartAttempt(learner, e.course(false).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, q := range a.Questions {
		for _, o := range q.Options {
			if o.Text == "Ba" {
				if _, err := e.training.SaveAnswer(learner, a.ID, q.ID, []int64{o.ID}); err != nil {
					e.t.Fatal(err)
				}
			}
		}
	}
	r, err := e.training.Submit(learner, a.ID)
	if err != nil || r.CertificateCode == "" {
		e.t.Fatalf("submit: %v %+v", err, r)
	}
	return r.CertificateCode
}

// zipCodes reads a zip of certificates: the codes of its "<code>.pdf" entries, sorted; every
// entry must be a PDF of the certificate it is named after.
func zipCodes(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip (%v): %.200q", err, b)
	}
	codes := []string{}
	for _, zf := range zr.File {
		code, ok := strings.CutSuffix(zf.Name, ".pdf")
		if !ok || !training.ValidCode(code) {
			t.Errorf("entry name %q", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.HasPrefix(body, []byte("%PDF-")) || !bytes.Contains(body, []byte("/verify/"+code)) {
			t.Errorf("entry %s is not the PDF of certificate %s", zf.Name, code)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// GET /api/v1/certificates: the from and to days are whole days in Vietnam's time, both
// included; unit (a code) and org (an id) narrow the zip, and the requester's scope always
// applies.
func TestDeliverBulkCertificatesAPI(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		defer func() { e.training.Now = time.Now }()
		ict := time.FixedZone("ICT", 7*3600)
		day := func(m time.Month, dd, h, mi, s int) time.Time { return time.Date(2023, m, dd, h, mi, s, 0, ict) }
		// The matrix's learner is in Huyện đoàn Ba Tơ (Ba Tơ, under Tỉnh đoàn).
		baTo := e.learnerCtx()
		beforeFrom := e.passAt(baTo, day(7, 19, 23, 59, 0))
		firstDay := e.passAt(baTo, day(7, 20, 0, 0, 0))
		lastDay := e.passAt(baTo, day(7, 31, 23, 59, 0))
		afterTo := e.passAt(baTo, day(8, 1, 0, 0, 0))
		st := e.fresh(accounts.NewUser{Role: authz.Learner, OrgID: e.orgIDs["thpt-sontay"]})
		sonTay := e.passAt(authz.WithActor(context.Background(), &authz.Actor{UserID: st.ID, Username: st.Username, Grants: st.Grants}), day(7, 25, 9, 0, 0))
		e.training.Now = time.Now

		get := func(role, query string) []string {
			t.Helper()
			resp, b := e.do("GET", "/api/v1/certificates/export?format=zip&"+query, e.tokens[role], "", "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("%s ?%s: %d %s %.300s", role, query, resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			return zipCodes(t, b)
		}
		want := func(codes ...string) []string { slices.Sort(codes); return append([]string{}, codes...) }
		rng := "from=2023-07-20&to=2023-07-31"
		for _, c := range []struct {
			role, query string
			want        []string
		}{
			{"province_admin", rng, want(firstDay, lastDay, sonTay)},
			{"province_admin", "", want(beforeFrom, firstDay, lastDay, afterTo, sonTay)},
			{"province_admin", "to=2023-07-31", want(beforeFrom, firstDay, lastDay, sonTay)},
			{"province_admin", "from=2023-08-01", want(afterTo)},
			{"province_admin", rng + "&unit=530", want(sonTay)},
			{"province_admin", rng + "&unit=535", want(firstDay, lastDay)},
			{"province_admin", rng + fmt.Sprintf("&org=%d", e.orgIDs["thpt-sontay"]), want(sonTay)},
			{"province_admin", rng + fmt.Sprintf("&org=%d", e.orgIDs["tinhdoan"]), want(firstDay, lastDay)},
			{"unit_admin_bato", rng, want(firstDay, lastDay)},
			{"unit_admin_bato", rng + "&unit=530", want()},
			{"unit_admin_sontay", rng, want(sonTay)},
			{"unit_admin_sontay", rng + fmt.Sprintf("&org=%d", e.orgIDs["hd-bato"]), want()},
			{"org_admin_tinhdoan", rng, want(firstDay, lastDay)},
		} {
			if got := get(c.role, c.query); !slices.Equal(got, c.want) {
				t.Errorf("%s ?%s: zip holds %v, want %v", c.role, c.query, got, c.want)
			}
		}
		for _, bad := range []string{"from=20-07-2023", "to=2023-02-30", "unit=99999", "org=abc"} {
			if resp, b := e.do("GET", "/api/v1/certificates/export?format=zip&"+bad, e.tokens["province_admin"], "", ""); resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("?%s: %d %.200s", bad, resp.StatusCode, b)
			}
		}
		if resp, _ := e.do("GET", "/api/v1/certificates/export?format=zip&"+rng, e.tokens["learner"], "", ""); resp.StatusCode != 403 {
			t.Errorf("learner: %d, want 403", resp.StatusCode)
		}
	})
}

// POST /api/v1/modules/{id}/lessons keeps a lesson's video link and attachment, which the course
// (API and page) then shows; a javascript: or other non-http(s) link is refused with 422 on the
// field at fault.
func TestDeliverLessonLinksAPI(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.course(false)
		admin := e.tokens["province_admin"]
		var m training.Module
		if code := e.json("POST", fmt.Sprintf("/api/v1/courses/%d/modules", c.ID), admin, map[string]string{"title": "Chương 1"}, &m); code != 201 && code != 200 {
			t.Fatalf("module: %d", code)
		}
		lessons := fmt.Sprintf("/api/v1/modules/%d/lessons", m.ID)
		video, attach := "https://www.youtube.com/watch?v=abc123", "https://dichvucong.gov.vn/huong-dan.pdf"
		for _, bad := range []map[string]string{
			{"title": "Xấu", "video_url": "javascript:alert(document.cookie)"},
			{"title": "Xấu", "video_url": "data:text/html,<script>alert(1)</script>"},
			{"title": "Xấu", "attachment_url": "javascript:alert(1)"},
			{"title": "Xấu", "attachment_url": "file:///etc/passwd"},
		} {
			field := "video_url"
			if _, ok := bad["attachment_url"]; ok {
				field = "attachment_url"
			}
			b, _ := json.Marshal(bad)
			resp, body := e.do("POST", lessons, admin, "application/json", string(b))
			var ae struct {
				Error struct {
					Field string `json:"field"`
				} `json:"error"`
			}
			_ = json.Unmarshal(body, &ae)
			if resp.StatusCode != 422 || ae.Error.Field != field {
				t.Errorf("%v: %d field %q, want 422 on %s: %s", bad, resp.StatusCode, ae.Error.Field, field, body)
			}
		}
		var l training.Lesson
		if code := e.json("POST", lessons, admin, map[string]string{"title": "Nộp hồ sơ", "body_html": "<p>Bước 1</p>", "video_url": video, "attachment_url": attach}, &l); code != 201 {
			t.Fatalf("lesson: %d", code)
		}
		var got struct {
			Modules []training.Module `json:"modules"`
		}
		if code := e.json("GET", fmt.Sprintf("/api/v1/courses/%d", c.ID), e.tokens["learner"], nil, &got); code != 200 {
			t.Fatalf("course: %d", code)
		}
		if len(got.Modules) != 1 || len(got.Modules[0].Lessons) != 1 {
			t.Fatalf("course modules: %+v", got.Modules)
		}
		if gl := got.Modules[0].Lessons[0]; gl.VideoURL != video || gl.AttachmentURL != attach {
			t.Errorf("lesson as read back: %+v", gl)
		}
		resp, page := e.do("GET", fmt.Sprintf("/courses/%d", c.ID), e.tokens["learner"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(page), `href="`+video+`"`) || !strings.Contains(string(page), `href="`+attach+`"`) {
			t.Errorf("course page %d does not link the video and the attachment", resp.StatusCode)
		}
		if strings.Contains(string(page), "javascript:") {
			t.Errorf("a refused link reached the course page")
		}
	})
}
