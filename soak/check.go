package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/api/glow"
	"github.com/switchboard-hq/switchboard/secretref"
)

// keyLabel is the label part of a key name Switchboard made:
// "primary (vault:secret/x#api_key@v3 owner:soak)" → "primary".
func keyLabel(name string) string {
	label, _, _, _ := secretref.ParseOwnedKeyName(name)
	return label
}

// glowCheck is what checkGlow found besides violations.
type glowCheck struct {
	// decrypts made, and keys not decrypted again because an earlier
	// decrypt found the value they must hold
	decrypts, cached int
	// declared maps each block label to the live provider matching it,
	// keyNames to the names of that provider's keys.
	declared map[string]glow.Provider
	keyNames map[string][]string
}

// checkGlow verifies the live Glow state against the model through the
// checker's own client: names unique per department, every declared
// provider present once with exactly its keys, and every key's decrypted
// value equal to the Vault version the configuration points to.
//
// A Glow key's value is written once, when the key is created, so a key
// already decrypted and found to hold the value the configuration still
// points to is not decrypted again (s.verified).
func (s *soak) checkGlow(ctx context.Context, m *model, view glowView) (violations []string, out glowCheck, err error) {
	live := view.Providers
	keyName := make(map[string]string, len(view.Keys))
	for _, k := range view.Keys {
		keyName[k.ID] = k.Name
	}
	out.declared, out.keyNames = map[string]glow.Provider{}, map[string][]string{}
	byDeptName := map[string][]string{}
	for _, p := range live {
		depts := p.DepartmentIDs
		if len(depts) == 0 {
			depts = []string{"(global)"}
		}
		for _, d := range depts {
			k := d + "\x00" + p.Name
			byDeptName[k] = append(byDeptName[k], p.ID)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byDeptName)) {
		if ids := byDeptName[k]; len(ids) > 1 {
			d, n, _ := strings.Cut(k, "\x00")
			violations = append(violations, fmt.Sprintf("department %s has %d providers named %q: %v", d, len(ids), n, ids))
		}
	}

	for _, l := range slices.Sorted(maps.Keys(m.Glow)) {
		g := m.Glow[l]
		var match []glow.Provider
		for _, p := range live {
			if p.Name == g.Name && slices.ContainsFunc(p.DepartmentIDs, func(d string) bool { return slices.Contains(g.Depts, d) }) {
				match = append(match, p)
			}
		}
		if len(match) != 1 {
			violations = append(violations, fmt.Sprintf("glow_provider.%s: %d live providers match, want 1", l, len(match)))
			continue
		}
		p := match[0]
		out.declared[l] = p
		seen := map[string]bool{}
		for _, kid := range p.KeyIDs {
			name, listed := keyName[kid]
			if !listed {
				violations = append(violations, fmt.Sprintf("glow_provider.%s: key %s is attached but not in Glow's key list", l, kid))
				continue
			}
			out.keyNames[l] = append(out.keyNames[l], name)
			label := keyLabel(name)
			r, declared := g.Keys[label]
			if !declared || seen[label] {
				violations = append(violations, fmt.Sprintf("glow_provider.%s: undeclared or repeated key %q", l, name))
				continue
			}
			seen[label] = true
			want, version := s.vault.expected(r)
			verified := r.Path + "#" + strconv.Itoa(version)
			if s.verified[kid] == verified {
				out.cached++
				continue
			}
			d, err := s.checker.Decrypt(ctx, p.ID, kid)
			if err != nil {
				return violations, out, fmt.Errorf("decrypt %s/%s: %w", p.ID, kid, err)
			}
			out.decrypts++
			if d.Value.Reveal() == want {
				s.verified[kid] = verified
			} else {
				// Name the version, never a value.
				got := "an unknown value"
				for i, v := range s.vault.values[r.Path] {
					if v == d.Value.Reveal() {
						got = fmt.Sprintf("version %d", i+1)
					}
				}
				violations = append(violations, fmt.Sprintf("glow_provider.%s key %q holds %s of %s, the configuration points to version %d",
					l, label, got, r.Path, version))
			}
		}
		for _, label := range slices.Sorted(maps.Keys(g.Keys)) {
			if !seen[label] {
				violations = append(violations, fmt.Sprintf("glow_provider.%s: key %q missing", l, label))
			}
		}
	}
	return violations, out, nil
}

// checkAudit: Switchboard decrypts nothing, and the checker's decrypts are
// in the log under its own actor (otherwise the first check proves
// nothing).
func (s *soak) checkAudit(ctx context.Context, newDecrypts int) ([]string, error) {
	entries, err := s.emu.audit(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var sb, chk int
	for _, e := range entries {
		switch e.ActorName {
		case switchboardActor:
			sb++
		case checkerActor:
			chk++
		}
	}
	var v []string
	if sb > 0 {
		v = append(v, fmt.Sprintf("the audit log has %d decrypts by Switchboard's actor %q", sb, switchboardActor))
	}
	if chk < s.auditChecker+newDecrypts {
		v = append(v, fmt.Sprintf("the audit log has %d decrypts by the checker, want at least %d", chk, s.auditChecker+newDecrypts))
	}
	s.auditChecker = chk
	s.auditSwitchboard = sb
	return v, nil
}

// secretsIn names the secrets (by kind, never by value) found in text.
func (s *soak) secretsIn(text string) []string {
	var found []string
	for _, v := range s.vault.all() {
		if strings.Contains(text, v) {
			found = append(found, "a Vault secret value")
		}
	}
	for name, t := range map[string]string{
		"the Vault token": s.vaultToken, "Switchboard's Glow token": s.spec.glowToken,
		"the checker's Glow token": s.spec.checkTok, "the Gateflow admin key": s.spec.adminKey,
	} {
		if strings.Contains(text, t) {
			found = append(found, name)
		}
	}
	return found
}
