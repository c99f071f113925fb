package sim_test

import (
	"fmt"

	"ext4play/core/sim"
)

// The completion of an AIO write that still owes extent conversion runs in
// hard-IRQ context and starts a journal handle: the seed thread's bug.
func Example() {
	program := func(s *sim.Sim) {
		iMutex := s.NewMutex("i_mutex")
		bdev := s.NewBlockQueue("sda", sim.HardIRQ, 32)
		s.Spawn("fio-0", sim.Process, func(t *sim.Task) {
			t.Enter("ext4_file_write_iter")
			defer t.Exit()
			iMutex.Lock(t)
			io := t.Alloc("io_end", sim.GFPNoFS).InitRef(2)
			flag := io.NewVar("flag", 0, sim.Hex)
			flag.Or(t, "ext4_ext_map_blocks: set EXT4_IO_END_UNWRITTEN", 0x1)
			bdev.SubmitBio(t, "bio0", func(irq *sim.Task) {
				irq.Enter("ext4_end_io_dio")
				defer irq.Exit()
				if io.Put(irq) && flag.Load(irq)&0x1 != 0 {
					irq.Enter("ext4_convert_unwritten_extents")
					irq.MightSleep("fs/jbd2/transaction.c: jbd2__journal_start")
					irq.Exit()
				}
			})
			io.Put(t)
			iMutex.Unlock(t)
		})
	}
	// Find an interleaving where the submitter drops its reference first.
	res := sim.DFS(program, sim.DFSConfig{PreemptionBound: -1, Reduction: sim.ReductionDPOR, StopAtFirst: true})
	v := res.First.Verdicts[0]
	fmt.Println(v.Kind, "in", v.Ctx, "at step", v.Step)
	fmt.Println(v.Message)
	fmt.Println(v.Stack)
	fmt.Println("replay:", res.First.Schedule.Encode())
	// Output:
	// sleep-in-atomic in hardirq at step 9
	// BUG: sleeping function called from invalid context at fs/jbd2/transaction.c: jbd2__journal_start
	// in_atomic(): 1, irqs_disabled(): 1, pid: 1, name: irq/sda:bio0
	// [bio_endio ext4_end_io_dio ext4_convert_unwritten_extents]
	// replay: AQAC
}
