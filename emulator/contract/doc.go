// Package contract holds only tests: the contract tests that drive the real
// Glow and Gateflow clients (api/glow, api/gateflow) against the emulator
// over real HTTP. They cover every client operation, every documented error
// code and its typed error, department scoping, version conflicts, retries
// through injected faults, persistence across a restart and the promise that
// no token or secret value ever appears in an error message.
//
// The package has no non-test code; run it with
//
//	go test -race ./emulator/contract/
package contract
