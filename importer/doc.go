// Package importer brings an existing Glow and Gateflow installation under
// configuration: it reads the live providers (Read), decides their addresses
// and where each secret is referenced from (Build), writes the HCL
// (Render), and can move Glow keys of unknown origin into Vault (Migrate).
//
// Nothing here writes a secret value to a file or an output: keys and
// credentials appear as vault() or env() references only. Glow keys that
// Switchboard created carry their origin in their names (see
// secretref.KeyName), and import writes exactly the reference that
// marker records, so they need no migration.
package importer
