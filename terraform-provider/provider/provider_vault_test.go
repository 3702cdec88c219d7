package provider

import "testing"

// The provider block's Vault settings take precedence over the
// environment, field by field, as the CLI's vault block does for address.
func TestVaultSettingsOverrideEnvironment(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "env-token")
	t.Setenv("VAULT_NAMESPACE", "env-ns")
	t.Setenv("HOME", t.TempDir()) // no ~/.vault-token

	for _, tc := range []struct {
		name, token, namespace string
		wantToken, wantNS      string
	}{
		{"environment", "", "", "env-token", "env-ns"},
		{"block token", "block-token", "", "block-token", "env-ns"},
		{"block namespace", "", "block-ns", "env-token", "block-ns"},
		{"both", "block-token", "block-ns", "block-token", "block-ns"},
	} {
		r, err := newResolver("http://127.0.0.1:1", tc.token, tc.namespace)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.Address() != "http://127.0.0.1:1" || r.Token().Reveal() != tc.wantToken || r.Namespace() != tc.wantNS {
			t.Errorf("%s: address %s, namespace %q, token from the %s", tc.name, r.Address(), r.Namespace(),
				map[bool]string{true: "expected place", false: "wrong place"}[r.Token().Reveal() == tc.wantToken])
		}
	}

	t.Setenv("VAULT_TOKEN", "")
	if _, err := newResolver("http://127.0.0.1:1", "", ""); err == nil {
		t.Error("no token anywhere: want an error")
	}
}
