package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

type wsRow struct{ id, status, href string }

var wsTaskRow = regexp.MustCompile(`<li class="ws-task" data-task="([^"]+)"(?: data-status="([^"]+)")?>\s*<a class="ws-task-link" href="([^"]+)">`)

// wsSection returns the HTML of one section of the workspace, "" when the page has none.
func wsSection(body, id string) string {
	i := strings.Index(body, `<section class="ws-section" id="ws-`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	return body[i : i+j]
}

func wsTasks(section string) []wsRow {
	var out []wsRow
	for _, m := range wsTaskRow.FindAllStringSubmatch(section, -1) {
		out = append(out, wsRow{m[1], m[2], strings.ReplaceAll(m[3], "&amp;", "&")})
	}
	return out
}

func wsFind(rows []wsRow, id string) (wsRow, bool) {
	for _, r := range rows {
		if r.id == id {
			return r, true
		}
	}
	return wsRow{}, false
}

// Each role lands on its workspace after signing in and finds there its own task list, each
// task linking to the work, in its scope only.
func TestWorkspaceTaskLists(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cer := e.ceremony()
		page := func(user string) string {
			t.Helper()
			b := e.browser()
			resp := b.login(strings.ReplaceAll(user, "_", "."), testPassword)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/workspace" {
				t.Fatalf("%s: login leads to %d %s", user, resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body := b.get("/workspace")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: /workspace %d", user, resp.StatusCode)
			}
			return body
		}
		readiness := fmt.Sprintf("/ceremonies/%d/readiness", cer.id)

		// The province: its ceremony's readiness first (it starts in minutes, nothing is ready),
		// with chase links to points of every district; the campaign, the reports, the training,
		// the outbox.
		body := page("province_admin")
		prov := wsTasks(wsSection(body, "province"))
		if len(prov) != 6 || prov[0].id != "ceremony" || prov[0].href != readiness || prov[0].status != "todo" {
			t.Fatalf("province tasks: %+v", prov)
		}
		for id, href := range map[string]string{"campaign": "/outreach/progress", "reports": "/reports", "training": "/dashboard/units/51", "outbox": "/admin/outbox",
			"events": "/launch-events?unit=51"} {
			if r, ok := wsFind(prov, id); !ok || r.href != href {
				t.Errorf("province task %s: %+v", id, r)
			}
		}
		if !strings.Contains(body, "Cần làm") || !strings.Contains(body, "Tạo kỳ báo cáo") || !strings.Contains(body, "Chưa có kỳ báo cáo") {
			t.Errorf("province: no status tag or report empty state")
		}
		if !regexp.MustCompile(`\d+/\d+ điểm cầu sẵn sàng`).MatchString(body) || !strings.Contains(body, "còn 0 ngày") && !strings.Contains(body, "Hạn hôm nay") {
			t.Errorf("province: readiness or deadline missing")
		}
		chase := regexp.MustCompile(`href="/ceremonies/\d+/readiness\?district=(\d+)#point-\d+">Đôn đốc</a>`).FindAllStringSubmatch(body, -1)
		if len(chase) != 5 {
			t.Errorf("province: %d chase links, want the first 5 points not ready", len(chase))
		}
		if wsSection(body, "editor") == "" || wsSection(body, "unit-535") != "" {
			t.Errorf("province: sections of other roles")
		}

		// A district: its own points only, its teams, its training; never another district's.
		for _, c := range []struct{ user, code, other string }{{"unit_admin_bato", "535", "530"}, {"unit_admin_sontay", "530", "535"}} {
			body := page(c.user)
			sec := wsSection(body, "unit-"+c.code)
			rows := wsTasks(sec)
			if len(rows) == 0 || rows[0].id != "ceremony" || rows[0].href != readiness {
				t.Fatalf("%s tasks: %+v", c.user, rows)
			}
			if r, ok := wsFind(rows, "campaign"); !ok || r.href != "/outreach/progress?unit="+c.code {
				t.Errorf("%s campaign: %+v", c.user, r)
			}
			if r, ok := wsFind(rows, "training"); !ok || r.href != "/dashboard/units/"+c.code {
				t.Errorf("%s training: %+v", c.user, r)
			}
			if wsSection(body, "province") != "" || wsSection(body, "unit-"+c.other) != "" || strings.Contains(body, "district="+c.other) {
				t.Errorf("%s sees outside their district", c.user)
			}
			for _, m := range regexp.MustCompile(`district=(\d+)#`).FindAllStringSubmatch(sec, -1) {
				if m[1] != c.code {
					t.Errorf("%s: chase link into %s", c.user, m[1])
				}
			}
		}

		// A team member: one big button to the form, the count against the target.
		body = page("team_member")
		team := wsTasks(wsSection(body, "team"))
		if !strings.Contains(body, `<a class="button ws-primary" id="ws-primary" href="/outreach/form">Ghi nhận người dân</a>`) ||
			len(team) != 2 || team[0].id != "citizens" || team[0].href != "/outreach/form" || !strings.Contains(body, "Đã hướng dẫn 0/7 người dân") ||
			!strings.Contains(body, `id="ws-pending"`) {
			t.Errorf("team member: %+v", team)
		}

		// A bridge operator: their point's checklist and going on air, nothing else.
		body = page("bridge_operator")
		bridge := wsTasks(wsSection(body, "bridge"))
		point := fmt.Sprintf("/ceremonies/%d/points/%d", cer.id, cer.baToPoint)
		if len(bridge) != 2 || bridge[0].id != "checklist" || bridge[0].href != point || bridge[1].href != point+"#on-air" {
			t.Errorf("bridge operator: %+v", bridge)
		}

		// A learner not yet enrolled is told what to do.
		body = page("learner")
		if sec := wsSection(body, "learner"); !strings.Contains(sec, `Bạn chưa đăng ký khóa học nào — <a href="/courses">Xem các khóa học</a>`) {
			t.Errorf("learner: %s", sec)
		}

		// Enrolled (in Huyện đoàn Ba Tơ, a member of Tỉnh đoàn), the learner finds the course; the
		// Tỉnh đoàn's coordinator finds the learner in the staff's completion, linking into the
		// organisation's dashboard.
		course := e.course(false)
		if _, err := e.training.Enrol(e.learnerCtx(), course.ID); err != nil {
			t.Fatal(err)
		}
		learning := wsTasks(wsSection(page("learner"), "learner"))
		if len(learning) != 1 || learning[0].id != "course" || learning[0].href != fmt.Sprintf("/courses/%d", course.ID) || learning[0].status != "todo" {
			t.Errorf("enrolled learner: %+v", learning)
		}
		body = page("org_admin_tinhdoan")
		org := wsTasks(wsSection(body, fmt.Sprintf("org-%d", e.orgIDs["tinhdoan"])))
		if len(org) != 2 || org[0].href != fmt.Sprintf("/dashboard/orgs/%d", e.orgIDs["tinhdoan"]) || !strings.Contains(body, "0/1 học viên đạt (0%)") ||
			org[1].href != fmt.Sprintf("/launch-events?org=%d", e.orgIDs["tinhdoan"]) {
			t.Errorf("org admin: %+v", org)
		}
		// A school's coordinator is led to the pupils' accounts (no menu holds that page); a union's
		// is not.
		if _, ok := wsFind(org, "pupils"); ok {
			t.Errorf("a union's coordinator is offered pupils' accounts")
		}
		school := e.fresh(accounts.NewUser{Role: authz.OrgAdmin, OrgID: e.orgIDs["thpt-sontay"]})
		rows := wsTasks(wsSection(page(school.Username), fmt.Sprintf("org-%d", e.orgIDs["thpt-sontay"])))
		if r, ok := wsFind(rows, "pupils"); !ok || r.href != fmt.Sprintf("/schools/%d/pupils", e.orgIDs["thpt-sontay"]) {
			t.Errorf("school coordinator: %+v", rows)
		}
		if body := page("unit_admin_sontay"); strings.Contains(body, "0/1 học viên đạt") {
			t.Errorf("Sơn Tây counts Ba Tơ's learner")
		}

		// The national administrator: every province.
		body = page("national_admin")
		nat := wsTasks(wsSection(body, "national"))
		if r, ok := wsFind(nat, "province"); !ok || len(nat) != 2 || !strings.Contains(body, `href="/dashboard/units/51"`) || !strings.Contains(body, `href="/dashboard/units/01"`) {
			t.Errorf("national admin: %+v %+v", nat, r)
		}

		// An explicit next still wins over the workspace.
		b := e.browser()
		if resp, _ := b.post("/login", map[string][]string{"username": {"learner"}, "password": {testPassword}, "next": {"/courses"}}); resp.Header.Get("Location") != "/courses" {
			t.Errorf("login with next: %s", resp.Header.Get("Location"))
		}
	})
}
