package state

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
// N in the Terraform marker is the key block's value_wo_version (at least
// 1): the value came from a write-only argument, so no Vault path or
// variable names it, and the version is all the provider can record.
//
// PATH, KEY and NAME escape '%', '#', '@', '(' and ')' as %XX so that any
// path round-trips; ordinary Vault paths need no escaping and stay readable
// in the Glow UI.

var markerRE = regexp.MustCompile(`(?s)^(.*) \((vault:([^#()@]*)#([^#()@]*)(?:@v([1-9][0-9]{0,8}))?|env:([^#()@]+)|terraform:v([1-9][0-9]{0,18}))\)$`)

var markerEscaper = strings.NewReplacer("%", "%25", "#", "%23", "@", "%40", "(", "%28", ")", "%29")

// KeyName is the Glow key name that records source under label.
func KeyName(label string, source SecretSource) string {
	esc := markerEscaper.Replace
	switch {
	case source.Env != "":
		return label + " (env:" + esc(source.Env) + ")"
	case source.VaultPath != "":
		m := "vault:" + esc(source.VaultPath) + "#" + esc(source.VaultKey)
		if source.Version > 0 {
			m += "@v" + strconv.Itoa(source.Version)
		}
		return label + " (" + m + ")"
	case source.TerraformVersion > 0:
		return label + " (terraform:v" + strconv.FormatInt(source.TerraformVersion, 10) + ")"
	default:
		return label
	}
}

// ParseKeyName splits a Glow key name into its label and the source its
// marker records. ok is false when the name has no well-formed marker (a key
// made by hand); label is then the whole name.
func ParseKeyName(name string) (label string, source SecretSource, ok bool) {
	m := markerRE.FindStringSubmatch(name)
	if m == nil || m[1] == "" {
		return name, SecretSource{}, false
	}
	if m[6] != "" {
		env, err := unescape(m[6])
		if err != nil {
			return name, SecretSource{}, false
		}
		return m[1], SecretSource{Env: env}, true
	}
	if m[7] != "" {
		v, err := strconv.ParseInt(m[7], 10, 64) // 19 digits can overflow
		if err != nil {
			return name, SecretSource{}, false
		}
		return m[1], SecretSource{TerraformVersion: v}, true
	}
	path, err1 := unescape(m[3])
	key, err2 := unescape(m[4])
	if err1 != nil || err2 != nil || path == "" || key == "" {
		return name, SecretSource{}, false
	}
	src := SecretSource{VaultPath: path, VaultKey: key}
	if m[5] != "" {
		src.Version, _ = strconv.Atoi(m[5]) // at most 9 digits: cannot overflow
	}
	return m[1], src, true
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

func itoa(i int) string { return strconv.Itoa(i) }
