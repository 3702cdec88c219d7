package secrets

import (
	"errors"
	"strings"

	"github.com/switchboard-hq/switchboard/secretref"
)

// Sentinels for errors.Is. Every error the Resolver returns is an *Error
// whose Kind is one of these.
var (
	// ErrNotFound: nothing is stored at the path.
	ErrNotFound = errors.New("secret not found")
	// ErrKeyNotFound: the secret exists but has no such key.
	ErrKeyNotFound = errors.New("key not found in secret")
	// ErrNotString: the key holds a number, a list or an object.
	ErrNotString = errors.New("secret value is not a string")
	// ErrVersionNotFound: a pinned version does not exist (never written,
	// pruned by max_versions, or the mount is KV v1 and has no versions).
	ErrVersionNotFound = errors.New("secret version not found")
	// ErrVersionDeleted: the version was soft-deleted; `vault kv undelete`
	// brings it back.
	ErrVersionDeleted = errors.New("secret version deleted")
	// ErrVersionDestroyed: the version was destroyed and cannot come back.
	ErrVersionDestroyed = errors.New("secret version destroyed")
	// ErrInvalidToken: Vault does not know the token (expired, revoked,
	// or never issued by it).
	ErrInvalidToken = errors.New("invalid token")
	// ErrLogin: logging in with the vault block's auth_login_* block
	// failed.
	ErrLogin = errors.New("vault login failed")
	// ErrPermissionDenied: Vault answered 403 to a valid token.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrSealed: Vault is sealed.
	ErrSealed = errors.New("vault is sealed")
	// ErrUnreachable: no HTTP answer from Vault at all.
	ErrUnreachable = errors.New("vault unreachable")
	// ErrNotKV: the path is on a secrets engine other than KV.
	ErrNotKV = errors.New("not a KV secrets engine")
	// ErrVault: any other failure Vault reported.
	ErrVault = errors.New("vault error")
)

// Error is a failure to resolve one reference. Its message starts with the
// reference and the file:line that wrote it, so it can be shown to the user
// as is. It never holds a secret value or the Vault token: messages are
// built from paths, key names, versions and Vault's own error text, with
// the token scrubbed from the latter.
type Error struct {
	Ref  secretref.VaultRef
	Kind error
	// msg explains the failure in the user's terms.
	msg string
	// cause is the underlying error, for errors.As (a *vaultapi.ResponseError
	// or a transport error); its text is already summarized in msg.
	cause error
}

func (e *Error) Error() string {
	if e.Ref.Path == "" && e.Ref.Key == "" {
		// A failure of the connection, before any reference.
		return "vault: " + e.msg
	}
	return e.Ref.String() + ": " + e.msg
}

// Unwrap exposes both the sentinel and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.cause}
}

// scrub removes the token from text that came from outside this package (a
// proxy's error page echoing headers, say). Such text is never expected to
// contain it; this makes the guarantee not depend on that.
func scrub(s, token string) string {
	if len(token) < 4 {
		// A one- or two-character test token would shred ordinary words.
		return s
	}
	return strings.ReplaceAll(s, token, "(vault token)")
}
