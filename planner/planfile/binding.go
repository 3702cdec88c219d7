package planfile

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/planner/objects"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// Binding is what a plan was made against. Apply compares it with what it
// points at and refuses before its first write when anything that decides
// which objects the plan sees differs: the Glow and Gateflow URLs, the
// Vault address and namespace, the Glow token's department scope, the owner
// and the variables. The tokens' identities are recorded to show who
// planned but not compared: the shipped workflow plans with read-only
// credentials and applies with write credentials, by design.
type Binding struct {
	Glow     *ServiceBinding `json:"glow,omitempty"`
	Gateflow *ServiceBinding `json:"gateflow,omitempty"`
	Vault    *VaultBinding   `json:"vault,omitempty"`
	Owner    string          `json:"owner,omitempty"`
	// Variables are every declared variable's final value: non-sensitive
	// values as they are, sensitive ones as a salted digest.
	Variables []Variable `json:"variables,omitempty"`
	// Salt keys the digests of this file's sensitive variables, so that a
	// digest cannot be looked up in a table made from other plan files.
	Salt string `json:"salt,omitempty"`
}

// ServiceBinding is one service the plan read.
type ServiceBinding struct {
	URL string `json:"url"`
	// Actor and Scope are what Glow says of its token (POST /token/self):
	// who it acts as and, for a department-scoped token, its departments.
	// ScopeKnown is false when Glow does not say.
	Actor      string   `json:"actor,omitempty"`
	ScopeKnown bool     `json:"scope_known,omitempty"`
	Scoped     bool     `json:"scoped,omitempty"`
	Scope      []string `json:"scope,omitempty"`
}

// VaultBinding is the Vault the plan resolved references in.
type VaultBinding struct {
	Address   string `json:"address"`
	Namespace string `json:"namespace,omitempty"`
	// Identity is the token's display name, for the record.
	Identity string `json:"identity,omitempty"`
}

// Variable is one variable's value in the binding.
type Variable struct {
	Name      string `json:"name"`
	Sensitive bool   `json:"sensitive,omitempty"`
	// Value is a non-sensitive variable's value as JSON with its type (what
	// config records and replays).
	Plain string `json:"value,omitempty"`
	// Digest is a sensitive variable's HMAC-SHA256 under Binding.Salt.
	Digest string `json:"digest,omitempty"`
	// CredentialOnly marks a variable that only feeds the glow token or the
	// gateflow admin key: a credential of the run, which plan and apply may
	// set differently, so it is not compared.
	CredentialOnly bool `json:"credential_only,omitempty"`
}

// NewSalt returns a fresh salt for a binding's digests.
func NewSalt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Digest is the digest of a sensitive variable's value under salt.
func Digest(salt string, value sensitive.String) string {
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(value.Reveal()))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// NormalizeURL is the form URLs are compared in: lower-case scheme and
// host, no default port, no trailing slash, a clean path. Two spellings
// of one instance compare equal; anything else is another instance.
func NormalizeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	u.Host = host
	if port != "" {
		u.Host = host + ":" + port
	}
	if strings.Contains(host, ":") { // IPv6 literal
		u.Host = "[" + host + "]"
		if port != "" {
			u.Host += ":" + port
		}
	}
	p := u.Path
	if p != "" {
		p = path.Clean(p)
		if p == "/" || p == "." {
			p = ""
		}
	}
	u.Path, u.RawPath = p, ""
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// Differences lists every way current differs from the recorded binding
// b, in words a user can act on. sameSensitive tells whether a sensitive
// variable's value at apply has b's digest.
func (b Binding) Differences(current Binding, sameSensitive func(name, digest string) bool) []string {
	var out []string
	service := func(name string, was, now *ServiceBinding) {
		switch {
		case was == nil && now == nil:
		case was == nil:
			out = append(out, fmt.Sprintf("this plan was made without %s; this apply points at %s", name, now.URL))
		case now == nil:
			out = append(out, fmt.Sprintf("this plan was made against %s %s; this apply has no %s", name, was.URL, name))
		case was.URL != now.URL:
			out = append(out, fmt.Sprintf("this plan was made against %s %s; this apply points at %s", name, was.URL, now.URL))
		case was.ScopeKnown && now.ScopeKnown && (was.Scoped != now.Scoped || !slices.Equal(was.Scope, now.Scope)):
			out = append(out, fmt.Sprintf("this plan was made with a %s token that sees %s; this apply's token sees %s",
				name, scopeWords(was), scopeWords(now)))
		}
	}
	service("Glow", b.Glow, current.Glow)
	service("Gateflow", b.Gateflow, current.Gateflow)
	switch was, now := b.Vault, current.Vault; {
	case was == nil && now == nil:
	case was == nil:
		out = append(out, fmt.Sprintf("this plan was made without Vault; this apply points at Vault %s", now.Address))
	case now == nil:
		out = append(out, fmt.Sprintf("this plan was made against Vault %s; this apply has no Vault", was.Address))
	case was.Address != now.Address:
		out = append(out, fmt.Sprintf("this plan was made against Vault %s; this apply points at Vault %s", was.Address, now.Address))
	case was.Namespace != now.Namespace:
		out = append(out, fmt.Sprintf("this plan was made in Vault namespace %q; this apply uses namespace %q", was.Namespace, now.Namespace))
	}
	if b.Owner != current.Owner {
		out = append(out, fmt.Sprintf("this plan was made for %s; this apply's configuration is %s", objects.DescribeOwner(b.Owner), objects.DescribeOwner(current.Owner)))
	}
	now := map[string]Variable{}
	for _, v := range current.Variables {
		now[v.Name] = v
	}
	for _, was := range b.Variables {
		v, ok := now[was.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("this plan set var.%s; this apply's configuration does not declare it", was.Name))
		case was.CredentialOnly:
		case was.Sensitive && !sameSensitive(was.Name, was.Digest):
			out = append(out, fmt.Sprintf("this plan was made with another value of var.%s (sensitive: only its digest is recorded)", was.Name))
		case !was.Sensitive && was.Plain != v.Plain:
			out = append(out, fmt.Sprintf("this plan was made with var.%s = %s; this apply sets %s", was.Name, ShowValue(was.Plain), ShowValue(v.Plain)))
		}
		delete(now, was.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(now)) {
		out = append(out, fmt.Sprintf("this apply's configuration declares var.%s, which the plan did not have", name))
	}
	return out
}

// ShowValue is a recorded variable value as a user reads it: the value
// part of config's {"value": …, "type": …} encoding.
func ShowValue(plain string) string {
	var v struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(plain), &v); err != nil || v.Value == nil {
		return plain
	}
	return string(v.Value)
}

func scopeWords(s *ServiceBinding) string {
	if !s.Scoped {
		return "every department"
	}
	return "departments " + strings.Join(s.Scope, ", ")
}

// Lines describe the binding for the header `show` prints.
func (b Binding) Lines() []string {
	var out []string
	if g := b.Glow; g != nil {
		s := "Glow:     " + g.URL
		if g.Actor != "" {
			s += fmt.Sprintf(" (token acting as %q", g.Actor)
			if g.ScopeKnown {
				s += ", sees " + scopeWords(g)
			}
			s += ")"
		}
		out = append(out, s)
	}
	if g := b.Gateflow; g != nil {
		out = append(out, "Gateflow: "+g.URL)
	}
	if v := b.Vault; v != nil {
		s := "Vault:    " + v.Address
		if v.Namespace != "" {
			s += " (namespace " + v.Namespace + ")"
		}
		if v.Identity != "" {
			s += fmt.Sprintf(" (token %q)", v.Identity)
		}
		out = append(out, s)
	}
	if b.Owner != "" {
		if owner, env := objects.SplitIdentity(b.Owner); env != "" {
			out = append(out, fmt.Sprintf("Owner:    %q (environment %q)", owner, env))
		} else {
			out = append(out, fmt.Sprintf("Owner:    %q", b.Owner))
		}
	}
	for _, v := range b.Variables {
		switch {
		case v.Sensitive && v.CredentialOnly:
			out = append(out, fmt.Sprintf("var.%s:  (sensitive, a credential: not recorded)", v.Name))
		case v.Sensitive:
			out = append(out, fmt.Sprintf("var.%s:  (sensitive: digest only)", v.Name))
		default:
			out = append(out, fmt.Sprintf("var.%s:  %s", v.Name, ShowValue(v.Plain)))
		}
	}
	return out
}
