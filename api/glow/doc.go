// Package glow is a client of the Glow Providers API (/provider/…): typed
// requests and answers, bearer-token auth, retries with backoff that never
// replay a call whose outcome is unknown, pagination as iterators, and
// every failure as an *api.Error that errors.Is matches against the api
// sentinels (api.ErrConflict, api.ErrNotFound, …).
//
// It is a public, documented package: Switchboard's planner, applier and
// Terraform provider use it, and so may other programs. Its API follows
// the module's version. The token is a sensitive.String, cut out of every
// error and log record the client makes. The Example functions run against
// the emulator (package emulator), which serves the same API.
package glow
