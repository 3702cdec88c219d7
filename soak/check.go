package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/api"
	"github.com/switchboard-hq/switchboard/api/glow"
)

// keyLabel is the label part of a key name Switchboard made:
// "primary (vault:secret/x#api_key@v3)" → "primary".
func keyLabel(name string) string {
	if i := strings.Index(name, " ("); i >= 0 {
		return name[:i]
	}
	return name
}

// checkGlow verifies the live Glow state against the model through the
// checker's own client: names unique per department, every declared
// provider present once with exactly its keys, and every key's decrypted
// value equal to the Vault version the configuration points to. It returns
// the violations and the number of successful decrypts it made.
func (s *soak) checkGlow(ctx context.Context, m *model) (violations []string, decrypts int, err error) {
	live, err := api.Collect(s.checker.Search(ctx, glow.SearchRequest{}))
	if err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
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
	for _, k := range sortedKeys(byDeptName) {
		if ids := byDeptName[k]; len(ids) > 1 {
			d, n, _ := strings.Cut(k, "\x00")
			violations = append(violations, fmt.Sprintf("department %s has %d providers named %q: %v", d, len(ids), n, ids))
		}
	}

	for _, l := range sortedKeys(m.Glow) {
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
		detail, err := s.checker.GetProvider(ctx, p.ID)
		if err != nil {
			return violations, decrypts, fmt.Errorf("get %s: %w", p.ID, err)
		}
		seen := map[string]bool{}
		for _, k := range detail.Keys.Current {
			label := keyLabel(k.Name)
			r, declared := g.Keys[label]
			if !declared || seen[label] {
				violations = append(violations, fmt.Sprintf("glow_provider.%s: undeclared or repeated key %q", l, k.Name))
				continue
			}
			seen[label] = true
			d, err := s.checker.Decrypt(ctx, p.ID, k.ID)
			if err != nil {
				return violations, decrypts, fmt.Errorf("decrypt %s/%s: %w", p.ID, k.ID, err)
			}
			decrypts++
			want, version := s.vault.expected(r)
			if d.Value.Reveal() != want {
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
		for _, label := range sortedKeys(g.Keys) {
			if !seen[label] {
				violations = append(violations, fmt.Sprintf("glow_provider.%s: key %q missing", l, label))
			}
		}
	}
	return violations, decrypts, nil
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
