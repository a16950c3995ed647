// Package oidctest runs a real OpenID provider for the tests of single sign-on: the example
// provider of github.com/zitadel/oidc/v3 (example/server, pinned as a tool in go.mod), a complete
// OpenID Connect implementation with discovery, signed ID tokens, PKCE, nonce and a login page.
// Nothing here imitates the protocol: the tests speak to that program over HTTP.
//
// The program is the binary named by LANTOA_TEST_OIDC_PROVIDER (.ci/run builds it), or else built
// from the module cache with `go build`. When neither works the test is skipped with the reason,
// and under CI=true it fails.
package oidctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Package is the provider's Go package, a tool dependency of the module.
const Package = "github.com/zitadel/oidc/v3/example/server"

// User is a person the provider knows (its users file's format).
type User struct {
	ID            string `json:"ID"`
	Username      string `json:"Username"`
	Password      string `json:"Password"`
	FirstName     string `json:"FirstName"`
	LastName      string `json:"LastName"`
	Email         string `json:"Email"`
	EmailVerified bool   `json:"EmailVerified"`
	Phone         string `json:"Phone"`
	PhoneVerified bool   `json:"PhoneVerified"`
	// PreferredLanguage is a BCP 47 tag.
	PreferredLanguage string `json:"PreferredLanguage"`
	IsAdmin           bool   `json:"IsAdmin"`
}

// The provider's registered clients (example/server/main.go): a confidential web client and a
// second one, whose tokens carry another audience.
const (
	ClientID      = "web"
	ClientSecret  = "secret"
	OtherClientID = "api"
	OtherSecret   = "secret"
)

// Provider is a running provider.
type Provider struct {
	Issuer string
	Port   int
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// binary returns the provider's program, building it once per test process.
func binary() (string, error) {
	if p := os.Getenv("LANTOA_TEST_OIDC_PROVIDER"); p != "" {
		if _, err := os.Stat(p); err != nil { // #nosec G703 -- the tester names the program to run
			return "", fmt.Errorf("LANTOA_TEST_OIDC_PROVIDER=%s: %w", p, err)
		}
		return p, nil
	}
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("no go command to build %s: %w", Package, err)
			return
		}
		dir, err := os.MkdirTemp("", "lantoa-oidc-op-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "oidc-op")
		cmd := exec.Command(goBin, "build", "-o", buildBin, Package)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build %s: %v\n%s", Package, err, out)
		}
	})
	return buildBin, buildErr
}

// FreePort returns a TCP port that was free a moment ago, for a provider whose issuer address must
// be known before it starts (the application is configured with it first).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// IssuerAt is the issuer of a provider on port.
func IssuerAt(port int) string { return fmt.Sprintf("http://localhost:%d/", port) }

// Start runs the provider on port with these users, accepting these redirect addresses for both
// clients, until the test ends.
func Start(t testing.TB, port int, users []User, redirectURIs ...string) *Provider {
	t.Helper()
	p, stop, logs, err := Run(port, users, redirectURIs...)
	if errors.Is(err, errNoProvider) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the OpenID provider is required under CI: %v", err)
		}
		t.Skipf("no OpenID provider to test against (set LANTOA_TEST_OIDC_PROVIDER or let `go build %s` work): %v", Package, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("OpenID provider's log:\n%s", tail(logs(), 4000))
		}
	})
	return p
}

var errNoProvider = errors.New("no OpenID provider program")

// Run is Start for programs that are not tests (the bench drivers): it returns the running
// provider, a function that stops it, and one that returns its log so far.
func Run(port int, users []User, redirectURIs ...string) (*Provider, func(), func() string, error) {
	bin, err := binary()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", errNoProvider, err)
	}
	byID := map[string]User{}
	for _, u := range users {
		if u.PreferredLanguage == "" {
			u.PreferredLanguage = "vi"
		}
		byID[u.ID] = u
	}
	data, err := json.Marshal(byID)
	if err != nil {
		return nil, nil, nil, err
	}
	dir, err := os.MkdirTemp("", "lantoa-oidc-users-")
	if err != nil {
		return nil, nil, nil, err
	}
	usersFile := filepath.Join(dir, "users.json")
	if err := os.WriteFile(usersFile, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "USERS_FILE="+usersFile, "REDIRECT_URI="+strings.Join(redirectURIs, ","))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, nil, nil, fmt.Errorf("start the OpenID provider: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		cancel()
		<-done
		os.RemoveAll(dir)
	}
	p := &Provider{Issuer: IssuerAt(port), Port: port}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.Issuer + ".well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, stop, logs.String, nil
			}
		}
		select {
		case <-done:
			stop()
			return nil, nil, nil, fmt.Errorf("the OpenID provider stopped at start:\n%s", tail(logs.String(), 4000))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, nil, fmt.Errorf("the OpenID provider did not answer within 20 s:\n%s", tail(logs.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer is the provider's log, written by its process's copier and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var hiddenID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// SignIn follows startURL (an address that redirects to the provider's authorization endpoint)
// with client, fills the provider's login form as a person would, and follows the redirects that
// come back. client's CheckRedirect decides where the journey stops.
func SignIn(client *http.Client, startURL, username, password string) (*http.Response, error) {
	resp, err := client.Get(startURL)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := hiddenID.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no login form at %s (%d): %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	form := url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}}
	loginURL, err := resp.Request.URL.Parse("/login/username")
	if err != nil {
		return nil, err
	}
	return client.PostForm(loginURL.String(), form)
}

// Code signs in at the provider's authorization request authURL (whose redirect_uri is redirectURI)
// without following the way back, and returns the authorization code and state the provider sends.
func Code(client *http.Client, authURL, username, password, redirectURI string) (code, state string, err error) {
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := SignIn(&c, authURL, username, password)
	if err != nil {
		return "", "", err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return "", "", fmt.Errorf("the provider did not send the browser back (%d): %w", resp.StatusCode, err)
	}
	q := loc.Query()
	if q.Get("code") == "" {
		return "", "", errors.New("no code in " + loc.String())
	}
	return q.Get("code"), q.Get("state"), nil
}
