// Command switchboard manages LLM providers in Glow and Gateflow as code.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first interrupt asks a command that can stop gracefully
		// (apply) to start nothing new; the second aborts, as in Terraform.
		<-sigs
		if !interrupts.stopGracefully() {
			cancel()
			return
		}
		<-sigs
		cancel()
	}()

	err := newRootCommand().ExecuteContext(ctx)
	var ec exitCode
	switch {
	case errors.As(err, &ec):
		os.Exit(int(ec))
	case err != nil:
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with a status and no further message: the
// command has already said what it had to (validate's diagnostics, fmt
// --check's list of files).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// interrupts lets a command take over the first Ctrl-C.
var interrupts gracefulStop

type gracefulStop struct {
	mu      sync.Mutex
	stop    chan struct{}
	onFirst func()
}

// register returns a channel closed at the first interrupt, after
// announce runs; until it is called, an interrupt cancels the command.
func (g *gracefulStop) register(announce func()) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stop = make(chan struct{})
	g.onFirst = announce
	return g.stop
}

func (g *gracefulStop) stopGracefully() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stop == nil {
		return false
	}
	if g.onFirst != nil {
		g.onFirst()
	}
	close(g.stop)
	g.stop = nil
	return true
}
