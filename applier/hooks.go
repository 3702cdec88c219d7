package applier

import (
	"time"

	"github.com/switchboard-hq/switchboard/planner/plan"
)

// Hooks receive what apply does as it happens; apply itself never prints.
// A view implements them (the command line's human and JSON views), as
// Terraform's UI hook does. Apply calls them one at a time, never
// concurrently, and in the order the events happened.
type Hooks interface {
	// PlannedChange is called for every change, in plan order, before
	// the first call that makes one.
	PlannedChange(Operation)
	// Started is called as an operation starts.
	Started(Operation)
	// Finished is called as an operation is done or failed.
	Finished(Operation, Outcome)
	// Verified is called with the connection test of a Gateflow provider
	// (--verify); err is nil when it passed.
	Verified(Operation, error)
	// Message says something besides the operations: the cleanup of what
	// the changes left attached to nothing, keys left in place.
	Message(string)
	// Summary is called once, last, with what apply did.
	Summary(*Result)
}

// Operation is one change of the plan as apply carries it out.
type Operation struct {
	Address string
	// Type and Name are the address's parts (glow_provider, openai).
	Type, Name string
	Action     plan.Action
	// ID is the live object's id before the change; empty for a create.
	ID string
}

// Outcome is how an operation ended.
type Outcome struct {
	// ID is the object's id afterwards (a created provider's new id).
	ID      string
	Elapsed time.Duration
	// Err is why it failed; nil when it is done.
	Err error
	// N of Total operations have ended, this one included.
	N, Total int
}

// NoHooks ignores every event.
type NoHooks struct{}

// PlannedChange implements Hooks.
func (NoHooks) PlannedChange(Operation) {}

// Started implements Hooks.
func (NoHooks) Started(Operation) {}

// Finished implements Hooks.
func (NoHooks) Finished(Operation, Outcome) {}

// Verified implements Hooks.
func (NoHooks) Verified(Operation, error) {}

// Message implements Hooks.
func (NoHooks) Message(string) {}

// Summary implements Hooks.
func (NoHooks) Summary(*Result) {}

func (o *op) operation() Operation {
	c := o.change
	return Operation{Address: c.Address, Type: c.Type, Name: c.Name, Action: c.Action(), ID: c.ID}
}
