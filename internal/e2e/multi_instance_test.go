package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lantoa/lantoa/internal/app"
	"github.com/lantoa/lantoa/internal/demo"
	"github.com/lantoa/lantoa/internal/platform/db/dbtest"
)

// TestMultiInstanceBehindNginx is the multi-instance deployment of docs/operations.md in small: one
// PostgreSQL database (a throwaway schema), two `lantoa serve` instances on loopback ports and
// nginx in front of them with the upstream and location blocks of deploy/nginx.conf. Everything
// goes through the proxy: a login through the form (the session, kept in the database, is honoured
// by the other instance), an exam answer, an outreach record replayed on the other instance, and a
// live ceremony event whose subscriber and launcher are on different instances. Every response
// names its instance (X-Lantoa-Instance); the test checks that both served traffic.
//
// It is skipped without nginx or PostgreSQL, and fails for it under CI=true.
func TestMultiInstanceBehindNginx(t *testing.T) {
	nginx := requireNginx(t)
	source := dbtest.PostgresURL(t)
	instance := func(name string, demoData bool) ServerOption {
		return WithConfig(func(c *app.Config) {
			c.DB, c.Instance, c.TrustProxy, c.Demo = source, name, true, demoData
		})
	}
	// The first instance migrates and loads the demo data; the second starts on the same database.
	a := StartServer(t, instance("a", true))
	b := StartServer(t, instance("b", false))
	p := startNginx(t, nginx, "../../deploy/nginx.conf", hostPort(t, a.URL), hostPort(t, b.URL))

	t.Run("round robin", func(t *testing.T) {
		// Without a pin, nginx spreads requests over both instances.
		for range 6 {
			if resp := p.do(t, "", "GET", "/api/v1/time", "", nil, nil); resp.StatusCode != 200 {
				t.Fatalf("GET /api/v1/time through nginx: %d", resp.StatusCode)
			}
		}
		if n := p.servedBy(); n["a"] == 0 || n["b"] == 0 {
			t.Fatalf("round robin: instances served %v, want both", n)
		}
	})

	t.Run("login form, session on the other instance", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		form := url.Values{"username": {"ubnd.bato"}, "password": {demo.Password}, "next": {"/account"}}
		resp := p.do(t, "a", "POST", "/login", form.Encode(), jar, http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"Origin": {p.url}, "Sec-Fetch-Site": {"same-origin"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
			t.Fatalf("POST /login on a: %d, Location %q, want 303 to /account", resp.StatusCode, resp.Header.Get("Location"))
		}
		if !hasSessionCookie(jar, p.url) {
			t.Fatal("POST /login set no session cookie")
		}
		resp = p.do(t, "b", "GET", "/account", "", jar, nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-Lantoa-Instance") != "b" || !strings.Contains(resp.body, "ubnd.bato") {
			t.Fatalf("GET /account on b: %d from %q, signed in: %v", resp.StatusCode, resp.Header.Get("X-Lantoa-Instance"), strings.Contains(resp.body, "ubnd.bato"))
		}
		// Signing out on b ends the session for a too.
		if resp := p.do(t, "b", "POST", "/logout", "", jar, http.Header{"Origin": {p.url}, "Sec-Fetch-Site": {"same-origin"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /logout on b: %d", resp.StatusCode)
		}
		if resp := p.do(t, "a", "GET", "/account", "", jar, nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("GET /account on a after logout on b: %d %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("exam answer", func(t *testing.T) {
		a.CreateUser(t, "hocvien.multi", "HocVien-Multi-2024", "learner", "535")
		token := a.Token(t, "hocvien.multi")
		var courses struct {
			Items []struct {
				ID    int64  `json:"id"`
				Title string `json:"title"`
			} `json:"items"`
		}
		p.json(t, "b", "GET", "/api/v1/courses?q="+url.QueryEscape(demo.DemoCourseTitle), token, "", 200, &courses)
		if len(courses.Items) == 0 {
			t.Fatalf("the demo course %q is not listed", demo.DemoCourseTitle)
		}
		course := courses.Items[0].ID
		p.json(t, "a", "POST", fmt.Sprintf("/api/v1/courses/%d/enrol", course), token, "", 200, nil)
		var attempt struct {
			ID        int64 `json:"id"`
			Questions []struct {
				ID      int64 `json:"id"`
				Options []struct {
					ID int64 `json:"id"`
				} `json:"options"`
				Choices []int64 `json:"choices"`
			} `json:"questions"`
		}
		p.json(t, "b", "POST", fmt.Sprintf("/api/v1/courses/%d/attempts", course), token, "", 201, &attempt)
		if len(attempt.Questions) == 0 || len(attempt.Questions[0].Options) == 0 {
			t.Fatalf("attempt %d has no question with options", attempt.ID)
		}
		q, choice := attempt.Questions[0].ID, attempt.Questions[0].Options[0].ID
		p.json(t, "a", "PUT", fmt.Sprintf("/api/v1/attempts/%d/answers/%d", attempt.ID, q), token, fmt.Sprintf(`{"choices":[%d]}`, choice), 200, nil)
		attempt.Questions = nil
		p.json(t, "b", "GET", fmt.Sprintf("/api/v1/attempts/%d", attempt.ID), token, "", 200, &attempt)
		for _, qq := range attempt.Questions {
			if qq.ID == q {
				if len(qq.Choices) != 1 || qq.Choices[0] != choice {
					t.Fatalf("answer saved on a, read on b: choices %v, want [%d]", qq.Choices, choice)
				}
				return
			}
		}
		t.Fatalf("question %d is no longer in attempt %d", q, attempt.ID)
	})

	t.Run("outreach record replayed on the other instance", func(t *testing.T) {
		token := a.Token(t, "tocnscd.bato.1")
		body := fmt.Sprintf(`{"client_id":"6f1c2a4e-93b7-4d2e-8a41-%012d","citizen":{"name":"Đinh Văn Nhiều","birth_year":1968,"phone":"0905000111"},"skills":["dvc_quocgia"],"guided_at":%q}`,
			time.Now().UnixNano()%1_000_000_000_000, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
		var first, again struct {
			ID      int64 `json:"id"`
			Created bool  `json:"created"`
		}
		p.json(t, "a", "POST", "/api/v1/outreach/records", token, body, 201, &first)
		p.json(t, "b", "POST", "/api/v1/outreach/records", token, body, 200, &again)
		if first.ID == 0 || again.ID != first.ID || !first.Created || again.Created {
			t.Fatalf("record on a %+v, replay on b %+v: want the same id, created once", first, again)
		}
	})

	t.Run("pupil accounts uploaded on one instance, collected from the other", func(t *testing.T) {
		// The job that hashes the passwords runs on a; its progress and the sealed passwords are
		// in the database, so b answers the poll and the download with the key the upload gave.
		token := a.Token(t, "so.tttt")
		var schools struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		p.json(t, "b", "GET", "/api/v1/orgs?kind=school&q="+url.QueryEscape("THCS thị trấn Ba Tơ"), token, "", 200, &schools)
		if len(schools.Items) != 1 {
			t.Fatalf("demo school: %+v", schools)
		}
		roster := "ho_ten,ngay_sinh,lop,ten_nguoi_giam_ho,sdt_nguoi_giam_ho,dong_y_cua_nguoi_giam_ho\n" +
			"Đinh Thị Hoa,2010,8A,Đinh Văn Lực,0912345001,có\nHồ Văn Tới,2008,10B,,,\n"
		up := p.do(t, "a", "POST", fmt.Sprintf("/api/v1/orgs/%d/pupils/import", schools.Items[0].ID), roster, nil,
			http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"text/csv; charset=utf-8"}})
		var job struct {
			ID, Key, State string
			Total          int
		}
		if up.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(up.body), &job) != nil || job.ID == "" || job.Key == "" {
			t.Fatalf("upload on a: %d %s", up.StatusCode, up.body)
		}
		h := http.Header{"Authorization": {"Bearer " + token}, "X-Pupil-Job-Key": {job.Key}}
		for deadline := time.Now().Add(60 * time.Second); job.State != "done"; time.Sleep(200 * time.Millisecond) {
			resp := p.do(t, "b", "GET", "/api/v1/pupil-imports/"+job.ID, "", nil, h)
			if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.body), &job) != nil || job.State == "failed" || time.Now().After(deadline) {
				t.Fatalf("poll on b: %d %s", resp.StatusCode, resp.body)
			}
		}
		dl := p.do(t, "b", "GET", "/api/v1/pupil-imports/"+job.ID+"/credentials/export?format=xlsx&k="+url.QueryEscape(job.Key), "", nil,
			http.Header{"Authorization": {"Bearer " + token}})
		if dl.StatusCode != 200 || !strings.HasPrefix(dl.body, "PK") {
			t.Fatalf("download on b: %d %.200s", dl.StatusCode, dl.body)
		}
		if wrong := p.do(t, "b", "GET", "/api/v1/pupil-imports/"+job.ID+"/credentials/export?format=xlsx&k=AAAA", "", nil,
			http.Header{"Authorization": {"Bearer " + token}}); wrong.StatusCode == 200 {
			t.Fatalf("download with a wrong key: %d", wrong.StatusCode)
		}
	})

	t.Run("live ceremony event across instances", func(t *testing.T) {
		token := a.Token(t, "so.tttt")
		var c struct {
			ID int64 `json:"id"`
		}
		starts := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)
		p.json(t, "a", "POST", "/api/v1/ceremonies", token, `{"title":"Lễ phát động (hai máy chủ)","starts_at":"`+starts+`"}`, 201, &c)
		path := fmt.Sprintf("/api/v1/ceremonies/%d", c.ID)

		events, instance := p.stream(t, "b", path+"/events", token)
		if instance != "b" {
			t.Fatalf("the stream was served by %q, want b", instance)
		}
		next := func() [2]string { t.Helper(); return nextEvent(t, events, "through nginx") }
		if ev := next(); ev[0] != "clock" {
			t.Fatalf("first event: %v, want clock", ev)
		}
		var launch struct {
			LaunchAt string `json:"launch_at"`
		}
		p.json(t, "a", "POST", path+"/launch", token, "{}", 200, &launch)
		if launch.LaunchAt == "" {
			t.Fatal("the launch answered no moment")
		}
		awaitLaunch(t, next, launch.LaunchAt, "b")
	})

	if n := p.servedBy(); n["a"] == 0 || n["b"] == 0 || n[""] != 0 {
		t.Errorf("responses by instance: %v; want both a and b, and none unnamed", n)
	} else {
		t.Logf("responses through nginx by instance: %v", n)
	}
}

// requireNginx finds nginx ($LANTOA_TEST_NGINX, else nginx on PATH or in /usr/sbin), or skips the
// test (fails it under CI=true).
func requireNginx(t *testing.T) string {
	t.Helper()
	candidates := []string{"nginx", "/usr/sbin/nginx"}
	if p := os.Getenv("LANTOA_TEST_NGINX"); p != "" {
		candidates = []string{p}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "multi-instance test skipped: install nginx (Debian: nginx-light) or set LANTOA_TEST_NGINX"
	if os.Getenv("CI") == "true" {
		t.Fatal(strings.Replace(msg, "skipped", "cannot run on CI", 1))
	}
	t.Skip(msg)
	return ""
}

func hostPort(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// nginxConfig renders the test's nginx.conf from the production one: the upstream block keeps its
// directives (keepalive) with the two instances as servers, plus two single-instance upstreams
// that the X-Lantoa-Pin request header selects; the HTTPS server block keeps every directive and
// location except listen, server_name and the certificates, and listens on loopback over plain
// HTTP. The only rewrite of a location is its proxy_pass target, so that the pin works: the
// locations, buffering and timeouts under test are those operators deploy.
func nginxConfig(prod, dir, listen, a, b string) (string, error) {
	upstream, ok := block(prod, regexp.MustCompile(`(?m)^upstream\s+lantoa\s*\{`))
	if !ok {
		return "", fmt.Errorf("no `upstream lantoa {` block")
	}
	server, ok := block(prod, regexp.MustCompile(`(?m)^server\s*\{[^}]*?listen\s+443`))
	if !ok {
		return "", fmt.Errorf("no `server { listen 443 …` block")
	}
	keep := func(body string, drop ...string) string {
		var out []string
		depth := 0
		for line := range strings.SplitSeq(body, "\n") {
			trimmed := strings.TrimSpace(line)
			skip := false
			if depth == 0 {
				for _, d := range drop {
					if strings.HasPrefix(trimmed, d+" ") || strings.HasPrefix(trimmed, d+"\t") {
						skip = true
					}
				}
			}
			depth += strings.Count(trimmed, "{") - strings.Count(trimmed, "}")
			if !skip && trimmed != "" && !strings.HasPrefix(trimmed, "#") {
				out = append(out, "    "+trimmed)
			}
		}
		return strings.Join(out, "\n")
	}
	upDirectives := keep(upstream, "server")
	serverBody := keep(server, "listen", "server_name", "ssl_certificate", "ssl_certificate_key")
	if n := strings.Count(serverBody, "proxy_pass http://lantoa;"); n == 0 {
		return "", fmt.Errorf("the server block has no `proxy_pass http://lantoa;`")
	}
	if !strings.Contains(serverBody, "/events") || !strings.Contains(serverBody, "proxy_buffering off;") {
		return "", fmt.Errorf("the server block has no unbuffered location for the event streams")
	}
	serverBody = strings.ReplaceAll(serverBody, "proxy_pass http://lantoa;", "proxy_pass http://$lantoa_upstream;")
	tmp := filepath.Join(dir, "tmp")
	return fmt.Sprintf(`# rendered by internal/e2e/multi_instance_test.go from deploy/nginx.conf
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    upstream lantoa {
        server %[3]s;
        server %[4]s;
%[5]s
    }
    upstream lantoa_a {
        server %[3]s;
%[5]s
    }
    upstream lantoa_b {
        server %[4]s;
%[5]s
    }
    map $http_x_lantoa_pin $lantoa_upstream {
        default lantoa;
        a lantoa_a;
        b lantoa_b;
    }
    server {
        listen %[6]s;
%[7]s
    }
}
`, dir, tmp, a, b, upDirectives, listen, serverBody), nil
}

// block returns the text between the braces of the block whose opening start matches.
func block(conf string, start *regexp.Regexp) (string, bool) {
	loc := start.FindStringIndex(conf)
	if loc == nil {
		return "", false
	}
	open := strings.Index(conf[loc[0]:], "{") + loc[0]
	depth := 0
	for i := open; i < len(conf); i++ {
		switch conf[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return conf[open+1 : i], true
			}
		}
	}
	return "", false
}

func TestNginxConfigFromDeploy(t *testing.T) {
	prod, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := nginxConfig(string(prod), "/tmp/x", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
	if err != nil {
		t.Fatalf("deploy/nginx.conf no longer has what the multi-instance test renders: %v", err)
	}
	flat := strings.Join(strings.Fields(conf), " ")
	for _, want := range []string{"proxy_set_header Host $host;", "location / {", "proxy_buffering off;", "keepalive 64;", "location /static/ {"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the rendered configuration lacks %q:\n%s", want, conf)
		}
	}
	for _, unwanted := range []string{"ssl_certificate", "listen 443", "proxy_pass http://lantoa;"} {
		if strings.Contains(conf, unwanted) {
			t.Errorf("the rendered configuration still has %q", unwanted)
		}
	}
}

// proxy is nginx in front of the instances.
type proxy struct {
	url    string
	client *http.Client

	mu     sync.Mutex
	served map[string]int
}

func (p *proxy) count(resp *http.Response) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.served[resp.Header.Get("X-Lantoa-Instance")]++
}

func (p *proxy) servedBy() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int{}
	for k, v := range p.served {
		m[k] = v
	}
	return m
}

func startNginx(t *testing.T, nginx, prodPath, a, b string) *proxy {
	t.Helper()
	prod, err := os.ReadFile(prodPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{"body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if err := os.MkdirAll(filepath.Join(dir, "tmp", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var lastErr string
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listen := ln.Addr().String()
		ln.Close()
		conf, err := nginxConfig(string(prod), dir, listen, a, b)
		if err != nil {
			t.Fatalf("deploy/nginx.conf: %v", err)
		}
		confPath := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(nginx, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		p := &proxy{url: "http://" + listen, served: map[string]int{},
			client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
				lastErr = out.String() + string(logs)
			default:
			}
			if lastErr != "" {
				break
			}
			resp, err := http.Get(p.url + "/healthz")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Cleanup(func() {
						_ = cmd.Process.Signal(os.Interrupt)
						select {
						case <-exited:
						case <-time.After(10 * time.Second):
							_ = cmd.Process.Kill()
							<-exited
						}
						if t.Failed() {
							logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
							t.Logf("nginx configuration:\n%s\nnginx error log:\n%s", conf, logs)
						}
					})
					return p
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lastErr == "" {
			_ = cmd.Process.Kill()
			<-exited
			t.Fatalf("nginx did not answer /healthz within 10 s\n%s", conf)
		}
		if !strings.Contains(lastErr, "Address already in use") {
			t.Fatalf("nginx did not start:\n%s\nconfiguration:\n%s", lastErr, conf)
		}
	}
	t.Fatalf("nginx found no free port: %s", lastErr)
	return nil
}

type proxyResponse struct {
	*http.Response
	body string
}

// do sends one request through nginx, pinned to instance pin ("a", "b") or to either (""), and
// reads the whole answer.
func (p *proxy) do(t *testing.T, pin, method, path, body string, jar http.CookieJar, h http.Header) proxyResponse {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if pin != "" {
		req.Header.Set("X-Lantoa-Pin", pin)
	}
	if jar != nil {
		for _, c := range jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s through nginx: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s through nginx: %v", method, path, err)
	}
	if jar != nil {
		jar.SetCookies(req.URL, resp.Cookies())
	}
	p.count(resp)
	if pin != "" && resp.Header.Get("X-Lantoa-Instance") != pin {
		t.Fatalf("%s %s pinned to %s was answered by %q", method, path, pin, resp.Header.Get("X-Lantoa-Instance"))
	}
	return proxyResponse{Response: resp, body: string(data)}
}

// json calls the API with a bearer token and decodes the answer into out when it is not nil.
func (p *proxy) json(t *testing.T, pin, method, path, token, body string, want int, out any) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	resp := p.do(t, pin, method, path, body, nil, h)
	if resp.StatusCode != want {
		t.Fatalf("%s %s on %s: %d, want %d: %s", method, path, pin, resp.StatusCode, want, resp.body)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(resp.body), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, resp.body)
		}
	}
}

// stream opens a Server-Sent Events stream through nginx and returns its events (name, data) and
// the instance that serves it.
func (p *proxy) stream(t *testing.T, pin, path, token string) (<-chan [2]string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Lantoa-Pin", pin)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s through nginx: %d", path, resp.StatusCode)
	}
	p.count(resp)
	events := make(chan [2]string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(line, "data: "); ok {
				select {
				case events <- [2]string{name, d}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return events, resp.Header.Get("X-Lantoa-Instance")
}

func hasSessionCookie(jar http.CookieJar, base string) bool {
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "lantoa_session" && c.Value != "" {
			return true
		}
	}
	return false
}
