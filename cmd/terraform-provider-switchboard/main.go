// Command terraform-provider-switchboard is the Terraform provider for Glow
// and Gateflow LLM providers. Terraform starts it; it is not meant to be run
// by hand except with -debug, for a debugger (see docs/terraform.md).
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/switchboard-hq/switchboard/internal/version"
	"github.com/switchboard-hq/switchboard/terraform-provider/provider"
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	// One version for both binaries: the linker sets it in
	// internal/version (Makefile, goreleaser), which falls back to the
	// module build info for `go install …@vX`.
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// provider.NewServer, not providerserver.Serve: with -debug, Terraform
	// sends every provider configuration to this one process, which must
	// refuse a second one rather than mix them.
	newServer := provider.NewServer(provider.New(version.Version))
	err := tf6server.Serve(provider.Address, func() tfprotov6.ProviderServer {
		s, err := newServer()
		if err != nil {
			log.Fatal(err)
		}
		return s
	}, opts...)
	if err != nil {
		log.Fatal(err)
	}
}
