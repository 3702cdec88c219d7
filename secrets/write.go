package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/switchboard-hq/switchboard/secretref"
	"github.com/switchboard-hq/switchboard/sensitive"
)

// ErrExists means WriteNew found a secret already stored at the path, and left it
// as it was.
var ErrExists = errors.New("secret already exists")

// WriteNew stores {key: value} at path only if nothing is stored there yet,
// and returns the version written (1 on KV v2; 0 on KV v1, which keeps no
// versions). If a secret exists, it writes nothing and the error matches
// ErrExists: import uses it to move keys into Vault, and a secret someone
// already keeps at that path must never be overwritten.
//
// On KV v2 the guarantee is Vault's own check-and-set (cas=0: "only if no
// version exists"), so two concurrent writers cannot both succeed. KV v1
// has no check-and-set: WriteNew reads first and writes only when the read
// finds nothing, which leaves a window in which a concurrent writer's
// secret can be replaced. No request carries more than this one field, and
// no error holds the value.
func (r *Resolver) WriteNew(ctx context.Context, path, key string, value sensitive.String) (int, error) {
	ref := secretref.VaultRef{Path: path, Key: key}
	if key == "" {
		return 0, r.wrap(ref, &failure{kind: ErrVault, msg: "the field name is empty"})
	}
	loc, err := r.locate(ctx, ref)
	if err != nil {
		return 0, r.wrap(ref, err)
	}
	// Whatever happens, earlier answers about this secret (a "not found"
	// from an existence check, say) no longer hold.
	defer r.forget(loc.secretKey)
	full := loc.mount.path + loc.path
	exists := &failure{kind: ErrExists, msg: fmt.Sprintf("%s already holds a secret; it was left unchanged", full)}

	if loc.mount.kvVersion == 1 {
		s, err := r.client.Logical().ReadWithContext(ctx, full)
		if err != nil {
			return 0, r.wrap(ref, r.classify(ctx, err, "reading "+full))
		}
		if s != nil && s.Data != nil {
			return 0, r.wrap(ref, exists)
		}
		if _, err := r.client.Logical().WriteWithContext(ctx, full, map[string]interface{}{key: value.Reveal()}); err != nil {
			return 0, r.wrap(ref, r.classify(ctx, err, "writing "+full))
		}
		return 0, nil
	}

	s, err := r.client.Logical().WriteWithContext(ctx, loc.mount.path+"data/"+loc.path, map[string]interface{}{
		"options": map[string]interface{}{"cas": 0},
		"data":    map[string]interface{}{key: value.Reveal()},
	})
	if err != nil {
		var re *vaultapi.ResponseError
		if errors.As(err, &re) && re.StatusCode == 400 && casMismatch(re) {
			return 0, r.wrap(ref, exists)
		}
		return 0, r.wrap(ref, r.classify(ctx, err, "writing "+full))
	}
	if s == nil || s.Data == nil {
		return 0, r.wrap(ref, &failure{kind: ErrVault, msg: "Vault answered the write of " + full + " without a version"})
	}
	return toInt(s.Data["version"]), nil
}

// casMismatch recognizes Vault's answer to a check-and-set write that found
// a version; Vault has no error code for it, only this text.
func casMismatch(re *vaultapi.ResponseError) bool {
	for _, e := range re.Errors {
		if strings.Contains(e, "check-and-set") {
			return true
		}
	}
	return false
}

// forget drops what the Resolver remembers about a secret, so that a read
// after a write sees the write.
func (r *Resolver) forget(k secretKey) {
	r.meta.mu.Lock()
	delete(r.meta.m, k)
	r.meta.mu.Unlock()
	r.data.mu.Lock()
	for dk := range r.data.m {
		if dk.secretKey == k {
			delete(r.data.m, dk)
		}
	}
	r.data.mu.Unlock()
}
