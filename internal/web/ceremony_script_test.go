package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// speechForm is a multipart form with one file and a note.
func speechForm(t *testing.T, name string, data []byte, note string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.WriteField("note", note)
	mw.Close()
	return mw.FormDataContentType(), buf.String()
}

func auditActions(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	list, err := audit.List(context.Background(), d.Reader(), audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestProgrammeOnTheDayContract is the acceptance contract: PUT /api/v1/ceremonies/{id}/steps on
// the ceremony's day answers 200 (audited, live on the screens), old bodies still work, a step
// already run cannot change (409 naming it, nothing changed); the script prints; the speech
// keeps its versions; a cancelled ceremony is neither edited nor launched.
func TestProgrammeOnTheDayContract(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.tokens["province_admin"]
		var c ceremony.Ceremony
		starts := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
		if code := e.json("POST", "/api/v1/ceremonies", admin, map[string]string{"title": "Lễ phát động", "starts_at": starts}, &c); code != 201 {
			t.Fatalf("create: %d", code)
		}
		base := fmt.Sprintf("/api/v1/ceremonies/%d", c.ID)
		screen := openStream(t, e.srv.URL+base+"/events", e.tokens["bridge_operator"], "")
		screen.waitClock(t)

		// A body from before the script: 200 on the ceremony's day, audited, on every screen.
		if code := e.json("PUT", base+"/steps", admin, map[string]any{"steps": []map[string]string{{"title": "Khai mạc"}, {"title": "Phát biểu"}, {"title": "Nhấn nút"}}}, &c); code != 200 || len(c.Steps) != 3 {
			t.Fatalf("on-day PUT: %d %+v", code, c.Steps)
		}
		if n := auditActions(t, d, "ceremony.steps_on_day"); n != 1 {
			t.Fatalf("on-day edit audited %d times", n)
		}
		ev := screen.next(t)
		var prog ceremony.ProgrammeData
		if ev.Name != "programme" || json.Unmarshal([]byte(ev.Data), &prog) != nil || prog.NextTitle != "Khai mạc" || len(prog.Steps) != 3 {
			t.Fatalf("programme event: %+v", ev)
		}
		// The script's fields.
		body := `{"steps":[{"title":"Khai mạc","speaker":"Chánh Văn phòng","duration_min":5,"mc_lines":"Kính thưa…","notes":"Âm nhạc"},{"title":"Phát biểu","speaker":"Chủ tịch UBND tỉnh","duration_min":15},{"title":"Nhấn nút"}]}`
		if resp, b := e.do("PUT", base+"/steps", admin, "application/json", body); resp.StatusCode != 200 {
			t.Fatalf("script PUT: %d %s", resp.StatusCode, b)
		}
		if code := e.json("GET", base, admin, nil, &c); code != 200 || c.Steps[0].Speaker != "Chánh Văn phòng" || c.Steps[0].DurationMin != 5 || c.Steps[0].MCLines != "Kính thưa…" || c.Steps[1].DurationMin != 15 {
			t.Fatalf("script read back: %d %+v", code, c.Steps)
		}
		// Oversized or wrong fields: 422 naming the field.
		for field, bad := range map[string]string{
			"speaker":      `{"steps":[{"title":"x","speaker":"` + strings.Repeat("a", ceremony.MaxText+1) + `"}]}`,
			"mc_lines":     `{"steps":[{"title":"x","mc_lines":"` + strings.Repeat("a", ceremony.MaxMCLines+1) + `"}]}`,
			"duration_min": `{"steps":[{"title":"x","duration_min":-5}]}`,
		} {
			if resp, b := e.do("PUT", base+"/steps", admin, "application/json", bad); resp.StatusCode != 422 || !strings.Contains(string(b), field) {
				t.Errorf("bad %s: %d %s", field, resp.StatusCode, b)
			}
		}
		// Step 2 is under way: steps 1 and 2 are fixed, 3 changes and shows on the screens.
		if code := e.json("POST", base+"/step", admin, map[string]int{"step": 2}, nil); code != 200 {
			t.Fatalf("step: %d", code)
		}
		edited := strings.Replace(body, `{"title":"Nhấn nút"}`, `{"title":"Nghi lễ nhấn nút phát động"}`, 1)
		if resp, b := e.do("PUT", base+"/steps", admin, "application/json", edited); resp.StatusCode != 200 {
			t.Fatalf("next step edit: %d %s", resp.StatusCode, b)
		}
		for {
			ev := screen.next(t)
			// The events of the earlier PUTs come first.
			if ev.Name == "programme" && strings.Contains(ev.Data, `"current_step":2`) {
				if json.Unmarshal([]byte(ev.Data), &prog) != nil || prog.CurrentTitle != "Phát biểu" || prog.NextTitle != "Nghi lễ nhấn nút phát động" {
					t.Fatalf("programme event after the edit: %s", ev.Data)
				}
				break
			}
		}
		runChanged := strings.Replace(edited, `"title":"Khai mạc"`, `"title":"Khai mạc lại"`, 1)
		resp, b := e.do("PUT", base+"/steps", admin, "application/json", runChanged)
		if resp.StatusCode != 409 || !strings.Contains(string(b), "đã diễn ra") || !strings.Contains(string(b), "Khai mạc") {
			t.Fatalf("run step changed: %d %s", resp.StatusCode, b)
		}
		if code := e.json("GET", base, admin, nil, &c); code != 200 || c.Steps[0].Title != "Khai mạc" || c.Steps[2].Title != "Nghi lễ nhấn nút phát động" {
			t.Fatalf("a refused PUT changed the programme: %+v", c.Steps)
		}

		// The script prints as a PDF, for the operators too.
		resp, b = e.do("GET", base+"/script/export?format=pdf", e.tokens["bridge_operator"], "", "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("script: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}

		// The speech: two versions, the latest first, any version downloadable; a bad file refused.
		pdf1, pdf2 := []byte("%PDF-1.4\nbản 1\n"), []byte("%PDF-1.7\nbản 2\n")
		for i, data := range [][]byte{pdf1, pdf2} {
			ct, mb := speechForm(t, "Diễn văn.pdf", data, fmt.Sprintf("bản %d", i+1))
			if resp, b := e.do("POST", base+"/speech", admin, ct, mb); resp.StatusCode != 201 {
				t.Fatalf("upload %d: %d %s", i, resp.StatusCode, b)
			}
		}
		ct, mb := speechForm(t, "virus.pdf", []byte("MZ\x90\x00 not a document"), "")
		if resp, b := e.do("POST", base+"/speech", admin, ct, mb); resp.StatusCode != 422 || !strings.Contains(string(b), "PDF, DOCX") {
			t.Fatalf("bad speech: %d %s", resp.StatusCode, b)
		}
		var versions struct {
			Items []ceremony.Speech `json:"items"`
		}
		if code := e.json("GET", base+"/speech", admin, nil, &versions); code != 200 || len(versions.Items) != 2 || versions.Items[0].Version != 2 || versions.Items[0].Note != "bản 2" {
			t.Fatalf("versions: %d %+v", code, versions.Items)
		}
		if resp, b := e.do("GET", base+"/speech/1/file", admin, "", ""); resp.StatusCode != 200 || !bytes.Equal(b, pdf1) || !strings.Contains(resp.Header.Get("Content-Disposition"), "-v1.pdf") {
			t.Fatalf("version 1: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		if resp, b := e.do("GET", base+"/speech/latest/file", admin, "", ""); resp.StatusCode != 200 || !bytes.Equal(b, pdf2) {
			t.Fatalf("latest: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", base+"/speech/abc/file", admin, "", ""); resp.StatusCode != 404 {
			t.Fatalf("bad version: %d", resp.StatusCode)
		}
		if n := auditActions(t, d, "ceremony.speech_upload"); n != 2 {
			t.Fatalf("uploads audited %d times", n)
		}

		// A cancelled ceremony is neither edited nor launched; a bad status is refused.
		if resp, _ := e.do("POST", base+"/status", admin, "application/json", `{"status":"postponed"}`); resp.StatusCode != 422 {
			t.Fatalf("bad status: %d", resp.StatusCode)
		}
		if code := e.json("POST", base+"/status", admin, map[string]string{"status": "cancelled"}, &c); code != 200 || c.Status != ceremony.Cancelled {
			t.Fatalf("cancel: %d %v", code, c.Status)
		}
		if resp, b := e.do("POST", base+"/launch", admin, "application/json", "{}"); resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "đã hủy") {
			t.Fatalf("cancelled launch: %d %s", resp.StatusCode, b)
		}
		if resp, _ := e.do("PUT", base+"/steps", admin, "application/json", edited); resp.StatusCode != http.StatusConflict {
			t.Fatalf("cancelled edit: %d", resp.StatusCode)
		}
	})
}

// TestCeremonyStatusPages: the programme page cancels a ceremony; a cancelled ceremony's pages say
// so and offer no launch nor edits; archived, it leaves the current list for the archived one.
func TestCeremonyStatusPages(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	e := newEnv(t, d)
	c, err := e.web.Ceremony.Create(e.sys, ceremony.Ceremony{Province: "51", Title: "Lễ phát động sẽ hủy", StartsAt: time.Now().Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("province.admin", testPassword)
	edit := fmt.Sprintf("/ceremonies/%d/edit", c.ID)
	if _, page := b.get(edit); !strings.Contains(page, `id="status-cancel"`) || strings.Contains(page, `id="status-archive"`) || !strings.Contains(page, `id="speech-form"`) {
		t.Fatalf("status actions of a scheduled ceremony:\n%s", page)
	}
	// The speech, uploaded from the page; a file that is no document is refused on the page.
	upload := func(name string, data []byte) (*http.Response, string) {
		ct, body := speechForm(t, name, data, "bản trình lãnh đạo")
		req, _ := http.NewRequest("POST", e.srv.URL+fmt.Sprintf("/ceremonies/%d/speech", c.ID), strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", e.srv.URL)
		return b.send(req)
	}
	if resp, _ := upload("Diễn văn.pdf", []byte("%PDF-1.5\n")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page upload: %d", resp.StatusCode)
	}
	if resp, page := upload("Diễn văn.pdf", []byte("<html>not a pdf</html>")); resp.StatusCode != 422 || !strings.Contains(page, "PDF, DOCX hoặc ODT") {
		t.Fatalf("page upload of a bad file: %d", resp.StatusCode)
	}
	if _, page := b.get(edit); !strings.Contains(page, `id="speech-latest"`) || !strings.Contains(page, "Diễn văn.pdf") || !strings.Contains(page, "bản trình lãnh đạo") {
		t.Fatalf("the speech's versions on the page:\n%s", page)
	}
	if resp, _ := b.post(fmt.Sprintf("/ceremonies/%d/status", c.ID), url.Values{"status": {"cancelled"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	_, page := b.get(edit)
	if !strings.Contains(page, `id="edit-locked"`) || !strings.Contains(page, "Buổi lễ đã hủy") || !strings.Contains(page, `id="status-archive"`) || strings.Contains(page, `id="status-cancel"`) ||
		strings.Contains(page, `id="step-add-form"`) || strings.Contains(page, `id="speech-form"`) || strings.Contains(page, `id="step-form-1"`) {
		t.Fatalf("edit page of a cancelled ceremony:\n%s", page)
	}
	if _, page := b.get(fmt.Sprintf("/ceremonies/%d", c.ID)); !strings.Contains(page, `id="ceremony-status"`) || strings.Contains(page, `id="launch-arm"`) {
		t.Fatalf("detail page of a cancelled ceremony:\n%s", page)
	}
	if _, page := b.get("/ceremonies"); !strings.Contains(page, c.Title) || !strings.Contains(page, "Đã hủy") {
		t.Fatalf("the current list lacks the cancelled ceremony")
	}
	if resp, _ := b.post(fmt.Sprintf("/ceremonies/%d/status", c.ID), url.Values{"status": {"archived"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("archive: %d", resp.StatusCode)
	}
	if _, page := b.get("/ceremonies"); strings.Contains(page, c.Title) {
		t.Fatalf("the current list shows an archived ceremony")
	}
	if _, page := b.get("/ceremonies?archived=1"); !strings.Contains(page, c.Title) || strings.Contains(page, `id="ceremony-form"`) {
		t.Fatalf("the archived list:\n%s", page)
	}
}
