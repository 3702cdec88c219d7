// Package gateflow is a client of the Gateflow Management API
// (/v1/management/providers…): configuring a provider's credentials and
// settings, enabling and disabling it, with If-Match guards (WriteOption)
// for writes that must not overwrite a change made since a read, retries
// that never replay a call whose outcome is unknown, and every failure as
// an *api.Error that errors.Is matches against the api sentinels.
//
// It is a public, documented package: Switchboard's planner, applier and
// Terraform provider use it, and so may other programs. Its API follows
// the module's version. The admin key is a sensitive.String, cut out of
// every error and log record the client makes. The Example functions run
// against the emulator (package emulator), which serves the same API.
//
// The provider IDs to pass (catalogue.OpenAI, …) and what Gateflow accepts
// of each, its settings with their types and its credential fields, are in
// package catalogue (api/gateflow/catalogue). That is data with no HTTP in
// it and no import of Switchboard, so that a program can check a
// configuration offline, as switchboard validate does, without this
// client. The client's own types are the wire format only.
package gateflow
