package trace

import (
	"fmt"
	"strings"
)

// VerdictKind classifies a violated invariant.
type VerdictKind uint8

const (
	// VerdictSleepInAtomic: sleeping (lock, journal start, GFP_KERNEL
	// allocation) in interrupt or atomic context; __might_sleep's BUG.
	VerdictSleepInAtomic VerdictKind = iota
	// VerdictBUG: a BUG_ON fired (e.g. check_irqs_on in fs/buffer.c); the task dies.
	VerdictBUG
	// VerdictWarn: a WARN_ON fired; the task continues.
	VerdictWarn
	// VerdictUnlockNonOwner: a task released a lock another task holds.
	VerdictUnlockNonOwner
	// VerdictDoubleUnlock: a lock was released that nobody holds.
	VerdictDoubleUnlock
	// VerdictLockHeldAtReturn: a task ended (returned to user space, or a
	// work item or interrupt handler finished) holding a lock or atomic.
	VerdictLockHeldAtReturn
	// VerdictDeadlock: every live task is blocked.
	VerdictDeadlock
	// VerdictLockOrder: lockdep's circular locking dependency.
	VerdictLockOrder
	// VerdictRefcountUnderflow: a put on a zero refcount.
	VerdictRefcountUnderflow
	// VerdictUseAfterFree: a freed object was touched (or freed again).
	VerdictUseAfterFree
	// VerdictPendingAtEnd: objects, work or I/O still pending when the run ended.
	VerdictPendingAtEnd
	// VerdictDomain: a check registered by a higher layer failed.
	VerdictDomain
	// VerdictPanic: the model code itself panicked (a bug in the model).
	VerdictPanic
	// VerdictLimit: a bound (tasks, queue size) was exceeded.
	VerdictLimit
	verdictKindCount
)

var verdictKindNames = [verdictKindCount]string{
	"sleep-in-atomic", "bug", "warn", "unlock-non-owner", "double-unlock",
	"lock-held-at-return", "deadlock", "lock-order", "refcount-underflow",
	"use-after-free", "pending-at-end", "domain", "panic", "limit",
}

func (k VerdictKind) String() string {
	if k < verdictKindCount {
		return verdictKindNames[k]
	}
	return fmt.Sprintf("VerdictKind(%d)", uint8(k))
}

// ParseVerdictKind is the inverse of VerdictKind.String.
func ParseVerdictKind(s string) (VerdictKind, error) {
	for i, n := range verdictKindNames {
		if n == s {
			return VerdictKind(i), nil
		}
	}
	return 0, fmt.Errorf("trace: unknown verdict kind %q", s)
}

// Verdict is one violated invariant: what, where (step, task, context,
// label, stack), which objects, and the kernel's own words.
type Verdict struct {
	Kind     VerdictKind
	Check    string // domain checks: the check's name; else empty
	Step     int
	Task     int32 // -1 when no task was running (end-of-run checks)
	TaskName string
	Ctx      Context
	Label    string
	Stack    []string
	Objects  []string
	Message  string // multi-line, kernel wording first
}

// String renders the verdict as a report block.
func (v *Verdict) String() string {
	var b strings.Builder
	kind := v.Kind.String()
	if v.Check != "" {
		kind += " " + v.Check
	}
	fmt.Fprintf(&b, "verdict %s at step %d", kind, v.Step)
	if v.Task >= 0 {
		fmt.Fprintf(&b, ", task %s (pid %d, %s)", v.TaskName, v.Task, v.Ctx)
	}
	b.WriteByte('\n')
	if v.Label != "" {
		fmt.Fprintf(&b, "  at: %s\n", v.Label)
	}
	if len(v.Stack) > 0 {
		fmt.Fprintf(&b, "  stack: %s\n", strings.Join(v.Stack, " > "))
	}
	if len(v.Objects) > 0 {
		fmt.Fprintf(&b, "  objects: %s\n", strings.Join(v.Objects, ", "))
	}
	for _, line := range strings.Split(strings.TrimRight(v.Message, "\n"), "\n") {
		b.WriteString("  ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
