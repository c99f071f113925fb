// Package trace holds what a simulated run recorded and the tools to look
// at it: flat events (a step with its label, stack and footprint; lock
// acquire, release and wait; object create, free, refcount and field
// changes with old and new values; task spawn and state; verdicts), the
// tables they refer to (tasks, locations, call-stack tree, labels), a
// reducer that answers "what was the whole visible state after step k" from
// checkpoints, a Chrome trace-event JSON export for ui.perfetto.dev, and a
// canonical hash for determinism tests.
//
// core/sim produces traces (sim.Config.Record); this package does not
// depend on it. Events are ordered by step; events of one step follow its
// EvStep in the order they happened.
//
//	res := sim.Run(prog, sim.Config{Strategy: sim.Random(1), Record: true})
//	red := trace.NewReducer(res.Trace, 0)
//	fmt.Print(red.At(42).Describe(res.Trace)) // tasks, locks, objects at step 42
//	res.Trace.WriteChrome(f)                  // open f in ui.perfetto.dev
package trace
