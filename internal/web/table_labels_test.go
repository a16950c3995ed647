package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/schema"
)

// Below 600 px app.css hides a table's headings and prints each cell's data-label before it: a
// cell without one is a bare number on a phone. These tests hold every table to that.

// tdTag is a <td …> start tag in a template; template actions may hold any character.
var tdTag = regexp.MustCompile(`<td\b(?:[^>{]|\{\{.*?\}\})*>`)

// TestEveryTemplateCellHasALabel reads the templates themselves, so that a table no test fills
// with data cannot forget its labels either. A cell spanning columns (an empty-list message)
// belongs to no single column.
func TestEveryTemplateCellHasALabel(t *testing.T) {
	files, err := filepath.Glob("templates/*/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	tags := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tdTag.FindAllString(string(b), -1) {
			tags++
			if !strings.Contains(tag, "data-label=") && !strings.Contains(tag, "colspan=") {
				t.Errorf("%s: %s has no data-label", f, tag)
			}
		}
	}
	if tags < 100 {
		t.Errorf("only %d <td> tags found in %d templates: is the pattern still right?", tags, len(files))
	}
	// Rows built by scripts: each script that makes cells labels them.
	scripts, _ := filepath.Glob("static/*.js")
	for _, f := range scripts {
		b, _ := os.ReadFile(f)
		s := string(b)
		if made := strings.Count(s, `createElement("td")`); made > strings.Count(s, `setAttribute("data-label"`) {
			t.Errorf("%s makes %d cells but labels fewer", f, made)
		}
	}
}

// TestPhoneTableLabelsMatchTheirColumns renders the pages that have tables, as the demo's roles
// see them with the demo's data, and checks every data cell: its data-label is its column's
// heading, word for word. The markup does not depend on the database engine: SQLite only.
func TestPhoneTableLabelsMatchTheirColumns(t *testing.T) {
	d := dbtest.SQLite(t, schema.All())
	a := build(t, app.BuildConfig{DB: d})
	if _, err := demo.Load(context.Background(), demo.Services{Units: a.Units, Orgs: a.Orgs, Accounts: a.Accounts, Training: a.Training,
		Outreach: a.Outreach, Reports: a.Reports, Portal: a.Portal, Ceremony: a.Ceremony}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: httptest.NewServer(a.Web)}
	t.Cleanup(e.srv.Close)

	// Per user, the pages to open; "→pattern" opens the first link of the previous page that
	// matches the pattern (the demo's ids are not fixed).
	visits := map[string][]string{
		"so.tttt": {"/", "/audit", "/users", "/orgs", "/units/51", "/dashboard/units/51", "/reports",
			"→/reports/periods/\\d+", "→/reports/periods/\\d+/summary", "/outreach/progress?unit=51", "/outreach/teams", "→/outreach/teams/\\d+",
			"/outreach/admin", "/courses", "→/courses/\\d+", "→/courses/\\d+/figures", "/admin/outbox", "/communication",
			"/editor/posts", "/account/notifications", "/ceremonies", "→/ceremonies/\\d+", "→/ceremonies/\\d+/control",
			"→/ceremonies/\\d+/points/\\d+"},
		"ubnd.bato":      {"/dashboard/units/535", "/outreach/progress?unit=535", "/reports", "→/reports/periods/\\d+", "→/reports/\\d+"},
		"tinhdoan":       {"/dashboard"},
		"tocnscd.bato.1": {"/outreach/visits"},
		"hocvien.bato":   {"/certificates"},
	}
	filled := map[string]int{} // "step #table" → rows checked
	for _, user := range slices.Sorted(func(yield func(string) bool) {
		for u := range visits {
			if !yield(u) {
				return
			}
		}
	}) {
		b := e.browser()
		if resp := b.login(user, demo.Password); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login as %s: %d", user, resp.StatusCode)
		}
		prev := ""
		for _, step := range visits[user] {
			path := step
			if pattern, ok := strings.CutPrefix(step, "→"); ok {
				m := regexp.MustCompile(`href="(` + pattern + `)"`).FindStringSubmatch(prev)
				if m == nil {
					t.Errorf("%s: no link %s on the previous page", user, pattern)
					continue
				}
				path = m[1]
			}
			resp, body := b.get(path)
			for hops := 0; hops < 3 && resp.StatusCode/100 == 3; hops++ {
				path = resp.Header.Get("Location")
				resp, body = b.get(path)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s as %s: %d", path, user, resp.StatusCode)
				continue
			}
			prev = body
			for name, rows := range checkTableLabels(t, user+" "+path, body) {
				filled[step+" "+name] += rows
			}
		}
	}
	// The check must have seen data: these tables have rows in the demo. A table that lost its
	// rows (or its id) would otherwise pass unseen.
	want := []string{"/audit #audit", "/users #users", "/orgs #orgs", "/units/51 #children", "/dashboard/units/51 #children",
		"/outreach/teams #teams", "/outreach/admin #campaigns", "/outreach/admin #skills", "/courses #courses",
		"/ceremonies #ceremonies", "/dashboard/units/535 #children", "/outreach/progress?unit=51 #children",
		"/outreach/progress?unit=51 #behind", "/outreach/progress?unit=51 table 2", "/ #map-table", "/communication #comms-counts",
		"/communication #comms-items", "/editor/posts #editor-posts", "/reports #periods", "/account/notifications #notify-prefs",
		`→/reports/periods/\d+ #status`, `→/reports/periods/\d+/summary table 1`, `→/reports/\d+ table 1`,
		`→/outreach/teams/\d+ #members`, `→/courses/\d+/figures #figures`, `→/ceremonies/\d+ #my-points`,
		`→/ceremonies/\d+/control #points`, `→/ceremonies/\d+/points/\d+ #delegates`, "/certificates #certificates", "/dashboard #org-children"}
	for _, w := range want {
		if filled[w] == 0 {
			t.Errorf("no labelled rows checked in %s", w)
		}
	}
	var seen []string
	for k, n := range filled {
		seen = append(seen, k+"="+strconv.Itoa(n))
	}
	slices.Sort(seen)
	t.Logf("tables checked: %s", strings.Join(seen, ", "))
}

// checkTableLabels checks every table of a page and returns, per table ("#id", or "table N"),
// how many body rows had a labelled cell.
func checkTableLabels(t *testing.T, where, page string) map[string]int {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	out := map[string]int{}
	n := 0
	for table := range doc.Descendants() {
		if table.DataAtom != atom.Table {
			continue
		}
		n++
		name := "table " + strconv.Itoa(n)
		if id := attr(table, "id"); id != "" {
			name = "#" + id
		}
		var heads []string
		rows := 0
		for tr := range table.Descendants() {
			if tr.DataAtom != atom.Tr || tr.Parent == nil {
				continue
			}
			if tr.Parent.DataAtom == atom.Thead {
				if heads == nil {
					for c := range tr.ChildNodes() {
						if c.DataAtom == atom.Th {
							for range span(c) {
								heads = append(heads, text(c))
							}
						}
					}
				}
				continue
			}
			col, labelled := 0, false
			for c := range tr.ChildNodes() {
				if c.DataAtom != atom.Td && c.DataAtom != atom.Th {
					continue
				}
				w := span(c)
				switch {
				case c.DataAtom == atom.Th:
					// A row header names the row: it is the card's title on a phone.
				case w > 1 && w >= len(heads):
					// A message across the whole row, such as "nothing yet".
				case heads == nil:
					t.Errorf("%s %s: data cells under no column headings (%s)", where, name, text(c))
				case col >= len(heads):
					t.Errorf("%s %s: a cell beyond the %d columns (%s)", where, name, len(heads), text(c))
				case heads[col] == "":
					t.Errorf("%s %s: column %d has an empty heading", where, name, col+1)
				case strings.Join(strings.Fields(attr(c, "data-label")), " ") != heads[col]:
					t.Errorf("%s %s: cell %q in column %q is labelled %q", where, name, text(c), heads[col], attr(c, "data-label"))
				default:
					labelled = true
				}
				col += w
			}
			if labelled {
				rows++
			}
		}
		out[name] += rows
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// span is the columns a cell covers (its colspan, at least 1).
func span(n *html.Node) int {
	w, err := strconv.Atoi(attr(n, "colspan"))
	if err != nil || w < 1 {
		return 1
	}
	return w
}

// text is a node's text as a screen reader and data-label see it: every text node, spaces folded.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
