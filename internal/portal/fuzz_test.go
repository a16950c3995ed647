package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lantoa/lantoa/internal/accounts"
	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
	"github.com/lantoa/lantoa/internal/portal"
	"github.com/lantoa/lantoa/internal/schema"
	"github.com/lantoa/lantoa/internal/units"
)

// dangerousElements may never come out of the sanitiser, whatever went in.
var dangerousElements = map[string]bool{"script": true, "style": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "form": true, "input": true, "button": true, "textarea": true, "select": true, "svg": true, "math": true, "link": true,
	"meta": true, "base": true, "template": true, "noscript": true, "xmp": true, "plaintext": true, "noembed": true, "noframes": true}

var safeMediaSrc = regexp.MustCompile(`^/media/[0-9]+$`)

// checkSafeHTML parses out as a browser does and fails on any script-bearing construct: a dangerous
// element, an on* event-handler attribute, a style attribute, a URL attribute whose scheme is not
// http, https or mailto (or a relative path), or an image from anywhere but this portal's media.
func checkSafeHTML(t *testing.T, in, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		name := strings.ToLower(tok.Data)
		if dangerousElements[name] {
			t.Fatalf("Sanitize(%q) kept <%s>: %q", in, name, out)
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
				t.Fatalf("Sanitize(%q) kept the attribute %s on <%s>: %q", in, key, name, out)
			}
			if key == "href" || key == "src" || key == "action" || key == "xlink:href" || key == "background" || key == "poster" {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' || r == 0x7f {
						return -1
					}
					return r
				}, a.Val))
				if i := strings.IndexAny(v, ":/?#"); i >= 0 && v[i] == ':' {
					scheme := v[:i]
					if scheme != "http" && scheme != "https" && scheme != "mailto" {
						t.Fatalf("Sanitize(%q) kept the URL %q (scheme %s): %q", in, a.Val, scheme, out)
					}
				}
				if name == "img" && key == "src" && !safeMediaSrc.MatchString(a.Val) {
					t.Fatalf("Sanitize(%q) kept an image from %q: %q", in, a.Val, out)
				}
			}
		}
	}
}

// FuzzSanitize: whatever HTML an editor (or an attacker with an editor's token) sends, what is
// stored has no script, no event handler and no foreign image, and sanitising it again changes
// nothing (what is stored is already what would be stored).
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		`<p>Xin chào <strong>Quảng Ngãi</strong></p><img src="/media/3" alt="ảnh">`,
		`<img src=x onerror=alert(1)><svg/onload=alert(1)>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a><a href=" javascript:alert(1)">y</a>`,
		`<scr<script>ipt>alert(1)</script><IMG SRC="/media/1" ONERROR="x">`,
		`<table><tr><th scope="row" onclick="x">a</th><td colspan="2x">b</td></tr></table>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a><iframe srcdoc="<script>x</script>">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := portal.Sanitize(in)
		checkSafeHTML(t, in, out)
		if again := portal.Sanitize(out); again != out {
			t.Fatalf("Sanitize is not stable on %q:\n once: %q\ntwice: %q", in, out, again)
		}
	})
}

// FuzzPostJSON decodes arbitrary bodies of POST /api/v1/posts (strictly, as the web layer does) and
// stores them as the province administrator: no panic; a refusal is a user-facing apperr and stores
// nothing; a stored post's body passes the same checks as Sanitize's output.
func FuzzPostJSON(f *testing.F) {
	f.Add(`{"title":"Phát động phong trào","summary":"Tóm tắt","body_html":"<p>Nội dung<script>alert(1)</script></p>","category":"news"}`)
	f.Add(`{"title":"","body_html":"<img src=/media/1 onerror=x>"}`)
	f.Add(`{"title":"Lịch","body_html":"<p>x</p>","status":"draft","publish_at":"2026-13-45T99:00:00Z"}`)
	// An organisation that does not exist is refused (it used to reach the database as a
	// FOREIGN KEY error and answer 500).
	f.Add(`{"title":"Tổ chức","body_html":"<p>x</p>","org_id":999999}`)
	f.Add(`{"title":"Tổ chức","body_html":"<p>x</p>","org_id":-1}`)
	f.Add(`{"title":"x","body_html":"<a href=\"javascript:alert(1)\">y</a>","category":"không có"}`)
	f.Add(`{"title":1}`)
	d := dbtest.SQLite(f, schema.All())
	sys := authz.WithActor(context.Background(), authz.System)
	if _, err := units.NewService(d).SeedQuangNgai(sys); err != nil {
		f.Fatal(err)
	}
	svc := portal.NewService(d)
	u, err := accounts.NewService(d).CreateUser(sys, accounts.NewUser{Username: "so.tttt", Password: "mật khẩu thử nghiệm 2023", Role: authz.ProvinceAdmin, UnitCode: "51"})
	if err != nil {
		f.Fatal(err)
	}
	admin := authz.WithActor(context.Background(), &authz.Actor{UserID: u.ID, Username: u.Username, Grants: u.Grants})
	count := func(t *testing.T) int {
		var n int
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM portal_posts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in portal.PostInput
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return // refused by the web layer's decoder before the service sees it
		}
		before := count(t)
		p, err := svc.CreatePost(admin, in)
		after := count(t)
		if err != nil {
			if ae := apperr.As(err); ae == nil || ae.Kind == apperr.Internal || ae.Key == "" {
				t.Fatalf("refusal is not a user-facing apperr: %#v (%v)", err, err)
			}
			if after != before {
				t.Fatalf("a refused post was stored (%d → %d)", before, after)
			}
			return
		}
		if after != before+1 {
			t.Fatalf("one post created, table grew by %d", after-before)
		}
		var stored string
		if err := d.Reader().QueryRowContext(context.Background(), "SELECT body_html FROM portal_posts WHERE id = ?", p.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		checkSafeHTML(t, in.BodyHTML, stored)
		checkSafeHTML(t, in.BodyHTML, p.BodyHTML)
	})
}
