// Command switchboard manages LLM providers in Glow and Gateflow as code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/switchboard-hq/switchboard/cmd/switchboard/views"
	"github.com/switchboard-hq/switchboard/internal/startheap"
)

// startHeap is the heap a run may reach before its first garbage
// collection (see internal/startheap): a plan of 10,000 providers keeps
// about 70 MiB, and stays within 200 MiB of RSS with it.
const startHeap = 128 << 20

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

	startheap.Set(startHeap)
	in, out, errOut := views.Standard()
	os.Exit(runWithInput(ctx, os.Args[1:], in, out, errOut))
}

// run executes the command line and returns the exit status. Everything it
// prints, the final "Error: ..." included, goes through the redacting
// writers of redactOutput, flushed before it returns: os.Exit would drop
// what they hold back.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	return runWithInput(ctx, args, os.Stdin, stdout, stderr)
}

// runWithInput is run with standard input given (fmt -, the confirmation
// prompt).
func runWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	return runWithTerminal(ctx, args, stdin, stdout, stderr, views.Detect(stdin, stdout, stderr))
}

// runWithTerminal is runWithInput with the terminal-ness of the three
// ends given: a test declares an interactive run and answers the prompt.
func runWithTerminal(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, tty views.Terminal) (code int) {
	root := newRootCommand()
	root.SetIn(stdin)
	flush := redactOutput(root, stdout, stderr)
	st := views.NewStream(stdin, root.OutOrStdout(), root.ErrOrStderr(), tty, os.Getenv)
	defer func() {
		// A panic's message may quote what the code was handling; the
		// runtime would print it unredacted. It still exits 2, as Go does.
		if p := recover(); p != nil {
			views.Panic(st, p, debug.Stack())
			code = 2
		}
		if err := flush(); err != nil && code == 0 {
			// The output is incomplete: a script must not take it for a
			// result.
			views.OutputFailed(stderr, credentials(root).String(err.Error()))
			code = 1
		}
	}()
	args, err := terraformSpellings(root, args)
	if err != nil {
		views.Error(st, err, slices.Contains(args, "--json") || slices.Contains(args, "-json"))
		return 1
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(withStream(withCredentials(ctx, credentials(root)), st))
	var ec exitCode
	switch {
	case errors.As(err, &ec):
		return int(ec)
	case err != nil:
		views.Error(st, err, jsonMode(cmd))
		return 1
	}
	return 0
}

// jsonMode reports whether cmd was asked for JSON: --json, or --format
// json, which is the same.
func jsonMode(cmd *cobra.Command) bool {
	if cmd == nil {
		return false
	}
	if f := cmd.Flags().Lookup("json"); f != nil && f.Value.String() == "true" {
		return true
	}
	f := cmd.Flags().Lookup("format")
	return f != nil && f.Value.String() == "json"
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
