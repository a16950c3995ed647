// Package sso signs people in through the province's identity provider by OpenID Connect: the
// authorization code flow with PKCE, state and nonce (golang.org/x/oauth2), the ID token checked by
// github.com/coreos/go-oidc/v3 (signature, issuer, audience, expiry) and its nonce here. Staff
// accounts are linked to the provider's subject by an administrator beforehand; learners may be
// created at their first sign-in. Everything a sign-in under way needs lives in the database, so
// the provider may send the browser back to any instance.
package sso

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/lantoa/lantoa/internal/platform/authz"
)

// Provider is one configured identity provider (docs/sso.md describes the file).
type Provider struct {
	// ID names the provider in addresses (/login/sso/{id}) and in the identity links.
	ID string `json:"id"`
	// Name is shown on the sign-in button: "Đăng nhập bằng {Name}".
	Name         string `json:"name"`
	Issuer       string `json:"issuer"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientSecretEnv names an environment variable holding the secret, so that the file may be
	// kept in a repository without it.
	ClientSecretEnv string `json:"client_secret_env,omitempty"`
	// Scopes asked for; "openid" is always added. Default: openid profile email.
	Scopes []string `json:"scopes,omitempty"`
	Claims Claims   `json:"claims"`
	// Roles lists the roles whose holders may sign in this way; empty is every role.
	Roles []authz.Role `json:"roles,omitempty"`
	// CreateLearners lets a person without an account create a learner account at the first
	// sign-in (then asked for their unit or organisation).
	CreateLearners bool `json:"create_learners,omitempty"`
	// RedirectURL is the callback address registered at the provider; empty is the site's public
	// address + /login/sso/{id}/callback.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// Claims maps the provider's claims onto the account's fields.
type Claims struct {
	Username      string `json:"username,omitempty"`       // default preferred_username
	Email         string `json:"email,omitempty"`          // default email
	EmailVerified string `json:"email_verified,omitempty"` // default email_verified
	Phone         string `json:"phone,omitempty"`          // default phone_number
	PhoneVerified string `json:"phone_verified,omitempty"` // default phone_number_verified
	Name          string `json:"name,omitempty"`           // default name
}

func (c Claims) withDefaults() Claims {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	return Claims{Username: def(c.Username, "preferred_username"), Email: def(c.Email, "email"),
		EmailVerified: def(c.EmailVerified, "email_verified"), Phone: def(c.Phone, "phone_number"),
		PhoneVerified: def(c.PhoneVerified, "phone_number_verified"), Name: def(c.Name, "name")}
}

var providerIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// LoadFile reads the providers from a JSON file: {"providers": [ … ]}.
func LoadFile(path string, getenv func(string) string) ([]Provider, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Providers []Provider `json:"providers"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range f.Providers {
		p := &f.Providers[i]
		if p.ClientSecret == "" && p.ClientSecretEnv != "" {
			p.ClientSecret = getenv(p.ClientSecretEnv)
		}
	}
	if err := Validate(f.Providers); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.Providers, nil
}

// Validate checks a configuration at start, so that a typo stops the server rather than the
// first person who presses the button.
func Validate(ps []Provider) error {
	seen := map[string]bool{}
	for _, p := range ps {
		switch {
		case !providerIDRe.MatchString(p.ID) || p.ID == "signup": // /login/sso/signup is the learners' form
			return fmt.Errorf("provider %q: id phải gồm chữ thường, số, gạch ngang / id must be lower-case letters, digits, hyphens", p.ID)
		case seen[p.ID]:
			return fmt.Errorf("provider %q: id trùng / duplicate id", p.ID)
		case p.Name == "" || p.Issuer == "" || p.ClientID == "":
			return fmt.Errorf("provider %q: cần name, issuer, client_id / name, issuer and client_id are required", p.ID)
		case !strings.HasPrefix(p.Issuer, "https://") && !strings.HasPrefix(p.Issuer, "http://"):
			return fmt.Errorf("provider %q: issuer phải là địa chỉ http(s) / issuer must be an http(s) URL", p.ID)
		}
		for _, r := range p.Roles {
			if !r.Valid() {
				return fmt.Errorf("provider %q: vai trò %q không có / unknown role %q", p.ID, r, r)
			}
		}
		if p.CreateLearners && len(p.Roles) > 0 && !slices.Contains(p.Roles, authz.Learner) {
			return fmt.Errorf("provider %q: create_learners cần vai trò learner trong roles / create_learners needs learner among roles", p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// allows tells whether a holder of these grants may sign in through p.
func (p Provider) allows(grants []authz.Grant) bool {
	if len(p.Roles) == 0 {
		return true
	}
	for _, g := range grants {
		if slices.Contains(p.Roles, g.Role) {
			return true
		}
	}
	return false
}

func (p Provider) scopes() []string {
	s := p.Scopes
	if len(s) == 0 {
		s = []string{"profile", "email"}
	}
	if !slices.Contains(s, "openid") {
		s = append([]string{"openid"}, s...)
	}
	return s
}

// mfaMethods are the RFC 8176 authentication method references that mean a second factor (or a
// factor stronger than a password) was used at the provider.
var mfaMethods = []string{"mfa", "otp", "hwk", "swk", "sms", "totp", "sc", "fido"}

// AssertsMFA tells whether the provider says, in the ID token's amr claim, that the person used more
// than a password. A provider that sends no amr asserts nothing.
func AssertsMFA(amr []string) bool {
	for _, m := range amr {
		if slices.Contains(mfaMethods, strings.ToLower(strings.TrimSpace(m))) {
			return true
		}
	}
	return false
}
