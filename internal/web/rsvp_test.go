package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/ceremony"
	"github.com/lantoa/lantoa/internal/notify"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// The RSVP page answers without an account; bad input is answered politely in Vietnamese and
// changes nothing: an unknown link (404), a second answer and an answer once the ceremony has
// begun (409), a deputy without a name (422). The API imports a bad file whole or not at all.
func TestRSVPPage(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov := e.tokens["province_admin"]
		c := e.ceremony()
		path := fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d", c.id, c.baToPoint)
		bad := "Họ tên,E-mail\nTrần Văn Một,mot@quangngai.gov.vn\n,hai@quangngai.gov.vn\nTrần Văn Ba,khong-phai-email\n"
		resp, b := e.do("POST", path+"/delegates/import", prov, "text/csv", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"line":3`) || !strings.Contains(string(b), `"line":4`) {
			t.Fatalf("bad file: %d %s", resp.StatusCode, b)
		}
		good := "Họ tên,Chức vụ,E-mail,Điện thoại,Kênh\nTrần Văn Một,Phó Chủ tịch,mot@quangngai.gov.vn,,\nTrần Văn Hai,,hai@quangngai.gov.vn,,\nTrần Văn Ba,,,0905 333 444,zalo\n"
		var res struct{ Added, Sent, Numbered int }
		if code := e.json("POST", path+"/delegates/import", prov, nil, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("empty body: %d", code)
		}
		resp, b = e.do("POST", path+"/delegates/import", prov, "text/csv", good)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"added":3`) {
			t.Fatalf("good file: %d %s", resp.StatusCode, b)
		}
		if code := e.json("POST", path+"/invitations/send", prov, nil, &res); code != http.StatusOK || res.Sent != 3 || res.Numbered != 3 {
			t.Fatalf("send: %d %+v", code, res)
		}
		links := map[string]string{}
		list, _ := e.web.Notify.List(e.sys, notify.Filter{Kind: notify.CeremonyInvitation, Limit: 100})
		for _, m := range list {
			links[m.Recipient] = regexp.MustCompile(`/rsvp/[A-Za-z0-9_-]{32}`).FindString(m.Link)
		}
		one, two, three := links["mot@quangngai.gov.vn"], links["hai@quangngai.gov.vn"], links["0905333444"]
		if one == "" || two == "" || three == "" {
			t.Fatalf("links %v", links)
		}
		form := "application/x-www-form-urlencoded"
		if resp, b := e.do("GET", one, "", "", ""); resp.StatusCode != 200 || !strings.Contains(string(b), "Kính gửi Ông/Bà Trần Văn Một") ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("page: %d %s", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if resp, b := e.do("POST", two, "", form, "rsvp=deputy&deputy_name="); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "Xin cho biết họ tên người dự thay") {
			t.Errorf("deputy without a name: %d", resp.StatusCode)
		}
		if resp, b := e.do("POST", one, "", form, "rsvp=attend"); resp.StatusCode != 200 || !strings.Contains(string(b), "Xác nhận tham dự") {
			t.Errorf("answer: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do("POST", one, "", form, "rsvp=decline")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "chỉ trả lời một lần nên câu trả lời không thay đổi") || !strings.Contains(string(b), "Câu trả lời đã ghi nhận: Xác nhận tham dự") {
			t.Errorf("twice: %d %s", resp.StatusCode, stripTags(string(b)))
		}
		if resp, b := e.do("GET", "/rsvp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "", ""); resp.StatusCode != 404 || !strings.Contains(string(b), "Không tìm thấy giấy mời của đường dẫn này") {
			t.Errorf("unknown: %d", resp.StatusCode)
		}
		if resp, _ := e.do("GET", two+"/invitation", "", "", ""); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("letter: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// The ceremony begins: the page says so and takes no answer.
		was := e.web.Ceremony.Now
		e.web.Ceremony.Now = func() time.Time { return time.Now().Add(time.Hour) }
		defer func() { e.web.Ceremony.Now = was }()
		resp, b = e.do("POST", two, "", form, "rsvp=attend")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "Buổi lễ đã bắt đầu nên không nhận trả lời") {
			t.Errorf("after the start: %d %s", resp.StatusCode, stripTags(string(b)))
		}
		// The administrators' list: the answer, the number, the phone masked.
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d/delegates", c.id, c.baToPoint), prov, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"rsvp":"attend"`) || !strings.Contains(string(b), `"invitation_series":"GM-UBND"`) {
			t.Errorf("delegates: %s", b)
		}
	})
}

// TestRSVPPageOfCancelledCeremony: once the ceremony is cancelled, its RSVP links answer politely
// that it was cancelled (no form, no letter), an answer changes nothing (409), and sending its
// invitations is refused with a Vietnamese message (409).
func TestRSVPPageOfCancelledCeremony(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		prov := e.tokens["province_admin"]
		c := e.ceremony()
		path := fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d", c.id, c.baToPoint)
		good := "Họ tên,Chức vụ,E-mail\nTrần Văn Một,Phó Chủ tịch,mot@quangngai.gov.vn\n"
		if resp, b := e.do("POST", path+"/delegates/import", prov, "text/csv", good); resp.StatusCode != http.StatusOK {
			t.Fatalf("import: %d %s", resp.StatusCode, b)
		}
		if code := e.json("POST", path+"/invitations/send", prov, nil, nil); code != http.StatusOK {
			t.Fatalf("send: %d", code)
		}
		list, _ := e.web.Notify.List(e.sys, notify.Filter{Kind: notify.CeremonyInvitation, Limit: 10})
		if len(list) != 1 {
			t.Fatalf("messages %d", len(list))
		}
		link := regexp.MustCompile(`/rsvp/[A-Za-z0-9_-]{32}`).FindString(list[0].Link)
		if _, err := e.web.Ceremony.SetStatus(e.sys, c.id, ceremony.Cancelled); err != nil {
			t.Fatal(err)
		}
		const notice = "Buổi lễ này đã hủy, Ông/Bà không cần trả lời giấy mời"
		resp, b := e.do("GET", link, "", "", "")
		if page := string(b); resp.StatusCode != 200 || !strings.Contains(page, notice) || strings.Contains(page, `id="rsvp-form"`) || strings.Contains(page, `id="rsvp-pdf"`) {
			t.Errorf("page of a cancelled ceremony: %d %s", resp.StatusCode, stripTags(page))
		}
		resp, b = e.do("POST", link, "", "application/x-www-form-urlencoded", "rsvp=attend")
		if page := string(b); resp.StatusCode != http.StatusConflict || strings.Count(page, notice) != 1 || strings.Contains(page, `id="rsvp-form"`) {
			t.Errorf("answer to a cancelled ceremony: %d %s", resp.StatusCode, stripTags(page))
		}
		resp, b = e.do("POST", path+"/invitations/send", prov, "application/json", "")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "Buổi lễ đã hủy nên không gửi giấy mời") {
			t.Errorf("send for a cancelled ceremony: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do("GET", fmt.Sprintf("/api/v1/ceremonies/%d/bridge-points/%d/delegates", c.id, c.baToPoint), prov, "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"rsvp":""`) {
			t.Errorf("delegates: %s", b)
		}
	})
}
