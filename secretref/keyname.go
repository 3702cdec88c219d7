package secretref

import (
	"regexp"
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

var markerRE = regexp.MustCompile(`(?s)^(.*) \((vault:([^#()@ ]*)#([^#()@ ]*)(?:@v([1-9][0-9]{0,8}))?|env:([^#()@ ]+)|terraform:v([1-9][0-9]{0,18}))(?: owner:(` + IdentityPattern + `))?\)$`)

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
func ParseOwnedKeyName(name string) (label string, source Source, owner string, ok bool) {
	m := markerRE.FindStringSubmatch(name)
	if m == nil || m[1] == "" {
		return name, Source{}, "", false
	}
	owner = m[8]
	if m[6] != "" {
		env, err := unescape(m[6])
		if err != nil {
			return name, Source{}, "", false
		}
		return m[1], Source{Env: env}, owner, true
	}
	if m[7] != "" {
		v, err := strconv.ParseInt(m[7], 10, 64) // 19 digits can overflow
		if err != nil {
			return name, Source{}, "", false
		}
		return m[1], Source{TerraformVersion: v}, owner, true
	}
	path, err1 := unescape(m[3])
	key, err2 := unescape(m[4])
	if err1 != nil || err2 != nil || path == "" || key == "" {
		return name, Source{}, "", false
	}
	src := Source{VaultPath: path, VaultKey: key}
	if m[5] != "" {
		src.Version, _ = strconv.Atoi(m[5]) // at most 9 digits: cannot overflow
	}
	return m[1], src, owner, true
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
