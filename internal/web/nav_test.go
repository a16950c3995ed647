package web_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lantoa/lantoa/internal/platform/db"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

var (
	mainNav    = regexp.MustCompile(`(?s)<nav aria-label="Điều hướng chính">(.*?)</nav>`)
	sectionNav = regexp.MustCompile(`(?s)<nav class="subnav" aria-label="Mục trong phần này">(.*?)</nav>`)
	navLink    = regexp.MustCompile(`<a href="([^"]+)"([^>]*)>([^<]+)</a>`)
)

type navEntry struct{ href, label, attrs string }

func navEntries(re *regexp.Regexp, page string) []navEntry {
	m := re.FindStringSubmatch(page)
	if m == nil {
		return nil
	}
	var out []navEntry
	for _, l := range navLink.FindAllStringSubmatch(m[1], -1) {
		out = append(out, navEntry{href: l[1], attrs: l[2], label: l[3]})
	}
	return out
}

// TestNavigationByRole: every role's menu has at most seven entries, none twice (the menu once had
// two "Lễ phát động"), and the page the viewer is on is marked in the menu and in its section's menu.
func TestNavigationByRole(t *testing.T) {
	dbtest.Each(t, schema.All(), func(t *testing.T, d *db.DB) {
		e := newQuangNgaiEnv(t, d)
		cases := []struct {
			user, path  string
			group       string   // the entry marked current in the main menu
			section     []string // the section menu's links, in order; nil when the page has none
			sectionHere string   // the section entry marked as the current page
		}{
			{"", "/courses", "Học tập", nil, ""},
			{"province.admin", "/users", "Quản trị", []string{"/units", "/orgs", "/users", "/audit"}, "/users"},
			{"province.admin", "/units/535", "Quản trị", []string{"/units", "/orgs", "/users", "/audit"}, "/units"},
			{"province.admin", "/outreach/progress", "Tổ CNSCĐ", []string{"/outreach/progress", "/outreach/teams"}, "/outreach/progress"},
			{"province.admin", "/dashboard/units/51", "Báo cáo, số liệu", []string{"/reports", "/dashboard", "/public-services"}, "/dashboard"},
			{"unit.admin.bato", "/reports", "Báo cáo, số liệu", []string{"/reports", "/dashboard", "/public-services"}, "/reports"},
			{"team.member", "/outreach/form", "Tổ CNSCĐ", []string{"/outreach/form", "/outreach/progress"}, "/outreach/form"},
			{"bridge.operator", "/ceremonies", "Lễ phát động", []string{"/ceremonies", "/le-phat-dong", "/su-kien"}, "/ceremonies"},
			{"learner", "/workspace", "Trang làm việc", nil, ""},
			{"national.admin", "/account", "", nil, ""},
		}
		for _, c := range cases {
			b := e.browser()
			if c.user != "" {
				if resp := b.login(c.user, testPassword); resp.StatusCode != 303 {
					t.Fatalf("login %s: %d", c.user, resp.StatusCode)
				}
			}
			resp, page := b.get(c.path)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %d", c.user, c.path, resp.StatusCode)
				continue
			}
			entries := navEntries(mainNav, page)
			if len(entries) == 0 || len(entries) > 7 {
				t.Errorf("%s: %d menu entries, want 1 to 7: %v", c.user, len(entries), entries)
			}
			var labels, hrefs, current []string
			for _, en := range entries {
				labels, hrefs = append(labels, en.label), append(hrefs, en.href)
				if strings.Contains(en.attrs, "aria-current") {
					current = append(current, en.label)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(labels)))) != len(labels) || len(slices.Compact(slices.Sorted(slices.Values(hrefs)))) != len(hrefs) {
				t.Errorf("%s: an entry appears twice: %v %v", c.user, labels, hrefs)
			}
			if c.group == "" && len(current) != 0 || c.group != "" && !slices.Equal(current, []string{c.group}) {
				t.Errorf("%s %s: current menu entry %v, want %q", c.user, c.path, current, c.group)
			}
			var section []string
			here := ""
			for _, en := range navEntries(sectionNav, page) {
				section = append(section, en.href)
				if strings.Contains(en.attrs, `aria-current="page"`) {
					here = en.href
				}
			}
			if !slices.Equal(section, c.section) || here != c.sectionHere {
				t.Errorf("%s %s: section menu %v (here %q), want %v (here %q)", c.user, c.path, section, here, c.section, c.sectionHere)
			}
			if c.user != "" && !strings.Contains(page, `<a href="/account" class="who" data-testid="who">`) {
				t.Errorf("%s: the name in the header does not lead to the account", c.user)
			}
		}
	})
}
