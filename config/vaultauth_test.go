package config

import (
	"testing"

	"github.com/switchboard-hq/switchboard/secretref"
)

func TestVaultAuthBlocks(t *testing.T) {
	env := envOf(map[string]string{"ROLE": "switchboard-apply", "VAULT_AGENT_ADDR": "http://127.0.0.1:8100"})
	dir := writeDir(t, map[string]string{"main.hcl": `
vault {
  address = "https://vault.example.com"
  auth_login_jwt {
    mount                   = "github/"
    role                    = env("ROLE")
    github_actions_audience = "https://github.com/ORG"
  }
}
`})
	cfg := mustLoad(t, dir, LoadOptions{Env: env})
	a := cfg.Vault.Auth
	if a == nil {
		t.Fatalf("auth_login_jwt = nil, want a login")
	}
	for _, c := range []struct{ field, got, want string }{
		{"Method", string(a.Method), string(secretref.VaultAuthJWT)},
		{"Mount", a.Mount, "github"},
		{"Role", a.Role, "switchboard-apply"},
		{"GitHubAudience", a.GitHubAudience, "https://github.com/ORG"},
	} {
		if c.got != c.want {
			t.Errorf("auth_login_jwt %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if cfg.Vault.AgentAddress != "http://127.0.0.1:8100" {
		t.Errorf("agent address from VAULT_AGENT_ADDR = %q", cfg.Vault.AgentAddress)
	}
	// A role from env() is not a use of a variable and is accepted
	// without nonsensitive(): plan and apply log in as different roles.
	for _, v := range cfg.Variables {
		if !v.CredentialOnly {
			t.Errorf("var.%s counts as used", v.Name)
		}
	}

	dir = writeDir(t, map[string]string{"main.hcl": `
vault {
  auth_login_approle {
    role_id        = "r-1"
    secret_id_file = "/run/secrets/sid"
  }
}
`})
	a = mustLoad(t, dir, LoadOptions{Env: noEnv}).Vault.Auth
	for _, c := range []struct{ field, got, want string }{
		{"Method", string(a.Method), string(secretref.VaultAuthAppRole)},
		{"Mount", a.Mount, "approle"},
		{"RoleID", a.RoleID, "r-1"},
		{"SecretFile", a.SecretFile, "/run/secrets/sid"},
	} {
		if c.got != c.want {
			t.Errorf("auth_login_approle %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	dir = writeDir(t, map[string]string{"main.hcl": `
vault {
  auth_login_kubernetes {
    role = "switchboard"
  }
}
`})
	a = mustLoad(t, dir, LoadOptions{Env: noEnv}).Vault.Auth
	if a.Method != secretref.VaultAuthKubernetes || a.SecretFile != secretref.DefaultServiceAccountTokenFile {
		t.Fatalf("auth_login_kubernetes = %+v", a)
	}
}

func TestVaultAuthErrors(t *testing.T) {
	src := `
vault {
  auth_login_approle {
    role_id   = "r-1"
    secret_id = env("SID")
  }
  auth_login_jwt {
    role     = "plan"
    jwt_env  = "JWT"
    jwt_file = "/tmp/jwt"
  }
}
`
	_, diags := Load(writeDir(t, map[string]string{"main.hcl": src}), LoadOptions{Env: noEnv})
	checkDiagsAt(t, src, diags,
		diagAtText{"Missing login secret", `set "secret_id_env" or "secret_id_file"`, "auth_login_approle", 0},
		diagAtText{"Secret written in the configuration", `secret_id_env = "NAME"`, "secret_id", 0},
		diagAtText{"More than one Vault login", "keep one auth_login_* block", "auth_login_jwt", 0},
	)

	src = `
vault {
  auth_login_jwt {
    role     = vault("secret/x", "role")
    jwt_env  = "JWT"
    jwt_file = "/tmp/jwt"
  }
}
`
	_, diags = Load(writeDir(t, map[string]string{"main.hcl": src}), LoadOptions{Env: noEnv})
	checkDiagsAt(t, src, diags,
		diagAtText{"Invalid use of vault()", "only after it has logged in", `vault("secret/x"`, 0},
		diagAtText{"Conflicting login secrets", `"jwt_env" and "jwt_file"`, "jwt_file", 0},
	)
}
