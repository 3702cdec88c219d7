// Package crud is the per-object layer of apply: create, update, rotate and
// destroy one Glow provider or one Gateflow provider over the API clients,
// safely. It is shared by the CLI applier (package applier) and the
// Terraform provider, so both make exactly the same calls in the same order
// and recover from a lost answer the same way.
//
// Rules every operation here keeps:
//
//   - A write whose answer was lost (api.ErrOutcomeUnknown) is never repeated
//     blindly. The object is read again, and the write is repeated only when
//     the read proves it did not land; a guarded write (expected_version) is
//     repeated only under the same guard, so a repeat of a write that did
//     land fails with 409 instead of applying twice.
//   - A Glow provider changed by someone else since it was read is never
//     overwritten: the operation stops with a *ConflictError.
//   - A key is deleted only after the provider that used it has been
//     updated without it, so a running workload never sees a provider
//     without a key; a new provider is created with its keys.
//   - Many objects cost few calls: CreateMany and UpdateMany create the
//     keys and endpoints of all of them in one call per glow.MaxItems, and
//     a lost answer of such a call is resolved by looking the objects up by
//     name or ownership marker before anything is sent again.
//   - Secret values come in as sensitive.String and go only into the request
//     that stores them. Nothing here decrypts a Glow key.
package crud
