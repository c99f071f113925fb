package main

// Plain-language explanations of a verdict, per kernel variant and verdict
// kind, written for this project from reference §6–§7.

import (
	"fmt"

	"ext4play/core/scenario"
)

// scriptText says what each scripted interleaving of §7 does.
var scriptText = map[string]string{
	"R1": "R1: O (an overwrite that dropped i_mutex) and L (an allocating write under i_mutex) both write the inode's io_end pointer i_private. L flags its own io_end UNWRITTEN under down_write, but one of O's stores lands before L re-reads i_private, so L sees NULL (or O's unflagged io_end) and does not set Defer_Completion. L's last bio completes in hard-IRQ context and drops the last reference to an UNWRITTEN io_end: the extent conversion starts a journal handle right there, in the interrupt.",
	"R2": "R2: O stores its own io_end over L's in i_private. Under down_write L loads that pointer and flags O's io_end UNWRITTEN; L's own io_end is never flagged. O's completion is not deferred, so O's io_end reaches zero in hard-IRQ context while UNWRITTEN and converts (already written) blocks from the interrupt. Without the panic, L's range would never be converted and read back as zeros.",
	"R3": "R3: L stored its io_end in i_private, but O's end-of-DIO NULL store lands before L takes down_write. L then sees no io_end, sets the inode's DIO_UNWRITTEN bit instead, and nothing converts its range when the AIO completes: the blocks stay unwritten and read back as zeros.",
	"R4": "R4: L loads O's io_end from i_private and sleeps; O drops its reference and O's completion frees the io_end. L then flags freed memory: a use-after-free, and i_unwritten is never decremented.",
}

// kernelText says why the variant does or does not have the race.
var kernelText = map[scenario.Kernel]string{
	scenario.KernelV44:    "v4.4: the overwrite DIO holds i_data_sem for reading across its whole submission, so L (which flags under down_write) cannot see O's io_end: R1, R2 and R4 cannot happen. O can still clear L's pointer before L's down_write (R3).",
	scenario.KernelV45rc3: "v4.5-rc3 with 2bcba4781fa3 dropped the overwrite DIO's down_read(i_data_sem). O and L now store i_private with nothing ordering them: every interleaving R1–R4 of §7 is possible, including the seed thread's panic.",
	scenario.KernelRevert: "The proposed revert restores v4.4's locking: the panic cannot happen in a DIO-only workload, but R3 (O wiping L's pointer before L's down_write) still loses conversions.",
	scenario.KernelJanFix: "jan-fix (74dae4278546): the overwrite DIO no longer allocates an io_end or touches i_private. Only locked DIOs store the pointer, serialized by i_mutex from store to clear, so the race is closed.",
	scenario.KernelV46:    "v4.6 (109811c20fb8): the io_end travels through dio->private, not the inode. UNWRITTEN and Defer_Completion are set in the same get_block call, so there is no shared pointer to race on.",
}

// kindText explains each verdict kind in a sentence.
var kindText = map[string]string{
	"sleep-in-atomic":       "A bio completion ran in hard-IRQ context and tried to sleep: the io_end it released still owed an unwritten-extent conversion (UNWRITTEN set, Defer_Completion not), so ext4_convert_unwritten_extents started a journal handle inside the interrupt. That is __might_sleep's BUG, the panic of the seed thread.",
	"data-verify":           "fio read back a completed write and found zeros: the write's blocks were left in an unwritten extent because the conversion it owed was lost (its io_end was never flagged, or the flag went to another io_end).",
	"unconverted-unwritten": "An AIO write completed but its range is still unwritten: the conversion was lost.",
	"use-after-free":        "A task touched an io_end after its last reference was dropped and it was freed.",
	"deadlock":              "Every live task is blocked: nothing can make progress.",
	"lock-order":            "Two locks were taken in opposite orders by different tasks (lockdep's circular dependency).",
	"lock-held":             "A task returned (to user space, or from an interrupt or work item) still holding a lock.",
	"refcount":              "A reference count went below zero.",
	"pending-at-end":        "Work, I/O or objects were still pending when the run ended.",
	"step-limit":            "The run hit the step limit before finishing.",
	"bug":                   "A BUG_ON fired (e.g. check_irqs_on in fs/buffer.c when marking the inode dirty with interrupts off).",
	"warn":                  "A WARN_ON fired.",
}

// noNolockText is why the pointer race needs dioread_nolock.
const noNolockText = "Without dioread_nolock no DIO write drops i_mutex (only the dioread_nolock overwrite path unlocks), so every store and clear of i_private happens under i_mutex: the io_end pointer race of §7 cannot happen."

// racy lists the variants in which some §7 interleaving loses a
// conversion or panics.
var racy = map[scenario.Kernel]bool{scenario.KernelV44: true, scenario.KernelV45rc3: true, scenario.KernelRevert: true}

// explain is the verdict panel's paragraph.
func explain(k scenario.Kernel, nolock bool, verdict, script string) string {
	var s string
	if verdict == "clean" {
		s = "No invariant was violated in this interleaving. "
		if !nolock {
			return s + noNolockText
		}
		if _, ok := scriptText[script]; ok {
			s = fmt.Sprintf("No invariant was violated: the scripted %s interleaving of §7 does not break %s. ", script, k)
		}
		s += kernelText[k]
		if racy[k] && script == "" {
			s += " This schedule did not hit it: Explore runs many schedules and opens the first failing one."
		}
		return s
	}
	if t, ok := kindText[verdict]; ok {
		s = t + " "
	}
	if !nolock {
		return s + noNolockText + " This verdict comes from elsewhere in the model."
	}
	if t, ok := scriptText[script]; ok {
		s += t + " "
	}
	return s + kernelText[k]
}
