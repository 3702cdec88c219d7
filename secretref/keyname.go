package secretref

import (
	"strconv"
	"strings"
)

// Glow returns a key's value only through decrypt, which is audited, so the
// planner never reads a key back to compare it. Instead the key's name
// records where its value came from, and rotation compares that record with
// the Vault metadata. A key Switchboard creates is named
//
//	LABEL (vault:PATH#KEY@vVERSION)
//	LABEL (vault:PATH#KEY)           KV v1: no versions
//	LABEL (env:NAME)                 env() secret
//	LABEL (terraform:vN)             written by terraform-provider-switchboard
//
// A key the CLI creates also names the owning configuration after the
// origin (`LABEL (vault:PATH#KEY@vN owner:OWNER)`), so that a key an
// interrupted apply left attached to nothing can be attributed and deleted
// by its owner alone (docs/ownership.md). Names without it, written before
// owners existed or by the Terraform provider, still parse.
//
// N in the Terraform marker is the key block's value_wo_version (at least
// 1): the value came from a write-only argument, so no Vault path or
// variable names it, and the version is all the provider can record.
//
// PATH, KEY and NAME escape '%', '#', '@', '(' and ')' as %XX so that any
// path round-trips; ordinary Vault paths need no escaping and stay readable
// in the Glow UI.

var markerEscaper = strings.NewReplacer("%", "%25", "#", "%23", "@", "%40", "(", "%28", ")", "%29", " ", "%20")

// KeyName is the Glow key name that records source under label.
func KeyName(label string, source Source) string { return OwnedKeyName(label, source, "") }

// OwnedKeyName is KeyName with the owning configuration recorded; an empty
// owner is left out. A source of unknown origin gets no marker at all.
func OwnedKeyName(label string, source Source, owner string) string {
	esc := markerEscaper.Replace
	var m string
	switch {
	case source.Env != "":
		m = "env:" + esc(source.Env)
	case source.VaultPath != "":
		m = "vault:" + esc(source.VaultPath) + "#" + esc(source.VaultKey)
		if source.Version > 0 {
			m += "@v" + strconv.Itoa(source.Version)
		}
	case source.TerraformVersion > 0:
		m = "terraform:v" + strconv.FormatInt(source.TerraformVersion, 10)
	default:
		return label
	}
	if owner != "" {
		m += " owner:" + owner
	}
	return label + " (" + m + ")"
}

// ParseKeyName splits a Glow key name into its label and the source its
// marker records. ok is false when the name has no well-formed marker (a key
// made by hand); label is then the whole name.
func ParseKeyName(name string) (label string, source Source, ok bool) {
	label, source, _, ok = ParseOwnedKeyName(name)
	return label, source, ok
}

// ParseOwnedKeyName is ParseKeyName that also returns the owner the name
// records ("" for names written without one).
//
// It is written out by hand rather than as a regexp: the plan parses the
// name of every live key, and at 100,000 keys the regexp took 2% of the
// plan's CPU. markerPattern in the tests states the grammar and
// FuzzParseOwnedKeyName holds the two to the same answers.
func ParseOwnedKeyName(name string) (label string, source Source, owner string, ok bool) {
	fail := func() (string, Source, string, bool) { return name, Source{}, "", false }
	// No part of a marker contains '(' or ')', so the marker opens at the
	// last '(' and closes at the final byte.
	open := strings.LastIndexByte(name, '(')
	if open < 2 || name[open-1] != ' ' || !strings.HasSuffix(name, ")") {
		return fail()
	}
	label, marker := name[:open-1], name[open+1:len(name)-1]
	// Nor does an origin contain a space: a space starts the owner.
	origin := marker
	if sp := strings.IndexByte(marker, ' '); sp >= 0 {
		origin = marker[:sp]
		id, found := strings.CutPrefix(marker[sp:], " owner:")
		if !found || !isIdentity(id) {
			return fail()
		}
		owner = id
	}
	switch {
	case strings.HasPrefix(origin, "env:"):
		raw := origin[len("env:"):]
		if raw == "" || !markerPart(raw) {
			return fail()
		}
		env, err := unescape(raw)
		if err != nil {
			return fail()
		}
		return label, Source{Env: env}, owner, true
	case strings.HasPrefix(origin, "terraform:v"):
		digits := origin[len("terraform:v"):]
		if !versionDigits(digits, 19) {
			return fail()
		}
		v, err := strconv.ParseInt(digits, 10, 64) // 19 digits can overflow
		if err != nil {
			return fail()
		}
		return label, Source{TerraformVersion: v}, owner, true
	case strings.HasPrefix(origin, "vault:"):
		rawPath, rest, found := strings.Cut(origin[len("vault:"):], "#")
		if !found {
			return fail()
		}
		rawKey, digits, pinned := strings.Cut(rest, "@v")
		if !markerPart(rawPath) || !markerPart(rawKey) || (pinned && !versionDigits(digits, 9)) {
			return fail()
		}
		path, err1 := unescape(rawPath)
		key, err2 := unescape(rawKey)
		if err1 != nil || err2 != nil || path == "" || key == "" {
			return fail()
		}
		src := Source{VaultPath: path, VaultKey: key}
		if pinned {
			src.Version, _ = strconv.Atoi(digits) // at most 9 digits: cannot overflow
		}
		return label, src, owner, true
	}
	return fail()
}

// markerPart reports whether s can be an escaped path, key or variable
// name of a marker: none of the bytes the escaping removes.
func markerPart(s string) bool {
	return !strings.ContainsAny(s, "#()@ ")
}

// versionDigits reports whether s is a version of at most max digits
// without a leading zero.
func versionDigits(s string, max int) bool {
	if s == "" || len(s) > max || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isIdentity reports whether s is an owner identity (OWNER or
// OWNER/ENVIRONMENT) as IdentityPattern matches it.
func isIdentity(s string) bool {
	owner, env, scoped := strings.Cut(s, "/")
	return identityPart(owner) && (!scoped || identityPart(env))
}

func identityPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", strconv.ErrSyntax
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", err
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// IdentityPattern matches an owner identity (OWNER or OWNER/ENVIRONMENT)
// as key and endpoint names record it.
const IdentityPattern = `[A-Za-z0-9_.-]{1,64}(?:/[A-Za-z0-9_.-]{1,64})?`
