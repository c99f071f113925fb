// Package sim is the deterministic kernel simulator under the ext4 model:
// simulated tasks run one at a time as coroutines (iter.Pull), and a
// scheduler decides every interleaving, so a run is a pure function of
// (program, schedule). It knows nothing of ext4. A Pool (Config.Pool)
// keeps the coroutines between runs on one goroutine, so an exploration
// pays for them once per worker, not once per task.
//
// # Model API
//
// A Program builds the scenario: shared objects, locks, queues, and the
// initial tasks. Task code is straight-line Go. Every primitive that can
// block or touches shared state contains a scheduling point; Task.Point adds
// one explicitly. The code between two points is one atomic step, labelled
// by the first point and tagged with its footprint (the location touched and
// whether it is read or written). Task.Enter/Exit keep the model call stack
// that the trace and verdicts show.
//
//	func program(s *sim.Sim) {
//		inode := s.NewObj("inode", "inode")
//		iMutex := s.NewMutex("i_mutex")          // inode_lock()
//		iDataSem := s.NewRWSem("i_data_sem")
//		iPrivate := inode.NewVar("i_private", -1, sim.Ref) // NULL
//		dioCount := inode.NewVar("i_dio_count", 0, sim.Dec)
//		dioWait := s.NewWaitQueue("i_dio_wait")
//		bdev := s.NewBlockQueue("sda", sim.HardIRQ, 32) // completions in hard IRQ
//		doneWQ := s.NewWorkqueue("dio/sda", 1)          // s_dio_done_wq
//
//		s.Spawn("fio-0", sim.Process, func(t *sim.Task) {
//			t.Enter("ext4_file_write_iter") // fs/ext4/file.c
//			defer t.Exit()
//			iMutex.Lock(t)
//			dioCount.Add(t, 1) // inode_dio_begin
//			io := t.Alloc("io_end", sim.GFPNoFS).InitRef(2).MustFree()
//			flag := io.NewVar("flag", 0, sim.Hex)
//			iPrivate.StoreAs(t, "ext4_inode_aio_set(io)", int64(io.Loc()))
//			iDataSem.DownWrite(t)
//			flag.Or(t, "ext4_ext_map_blocks: io->flag |= EXT4_IO_END_UNWRITTEN", 0x1)
//			iDataSem.UpWrite(t)
//			complete := s.NewWork("dio_aio_complete_work", func(t *sim.Task) { /* convert */ })
//			bdev.SubmitBio(t, "bio0", func(irq *sim.Task) { // dio_bio_end_aio, in IRQ
//				irq.Enter("ext4_end_io_dio")
//				defer irq.Exit()
//				if flag.Load(irq)&0x1 != 0 {
//					irq.MightSleep("fs/jbd2/transaction.c: jbd2__journal_start") // verdict
//					irq.CheckIRQsOn()                                          // kernel BUG at fs/buffer.c:1272!
//				}
//				doneWQ.QueueWork(irq, complete) // or defer to process context
//			})
//			if io.Put(t) {
//				io.Free(t)
//			}
//			if dioCount.Add(t, -1) == 0 { // inode_dio_end
//				dioWait.WakeUp(t)
//			}
//			iMutex.Unlock(t)
//		})
//		s.AddEndCheck("i_dio_count", func() string {
//			if dioCount.Value() != 0 {
//				return "i_dio_count not zero at quiescence"
//			}
//			return ""
//		})
//	}
//
// inode_dio_wait is t.WaitEvent(dioWait, "inode_dio_wait", func() bool {
// return dioCount.Value() == 0 }). A journal handle start is a MightSleep
// plus, for lock-order checking, a LockMap ("jbd2_handle") acquired between
// i_mutex and i_data_sem. Pointers between objects are Ref vars holding the
// target's Loc; Sim.Obj maps it back (without Record, only while the
// object is not freed).
//
// # Running
//
// Run(program, Config{Strategy: Random(seed), Record: true}) runs once and
// returns a Result: Outcome, Verdicts, Steps, the Schedule (every choice
// made; Schedule.Encode is URL-safe, DecodeSchedule validates), and the
// trace.Trace when recorded. Strategies: Replay(schedule), Random(seed),
// PCT(seed, depth, steps) (change points drawn
// over the expected run length in steps). DFS(program, DFSConfig{PreemptionBound,
// Reduction}) searches systematically, with DPOR and sleep sets over the
// footprints, and reports how many runs it executed.
//
// A choice is recorded only when more than one task is runnable; it is the
// index of the chosen task among the runnable ones in task-id order. When a
// schedule runs out, Replay keeps the current task running (no preemption).
//
// # Contexts and checks
//
// Tasks run in Process, HardIRQ (atomic, interrupts off), SoftIRQ (atomic)
// or Worker (kworker, process context). Checks produce verdicts, never Go
// panics: sleeping in atomic context (__might_sleep's "BUG: sleeping
// function called from invalid context"), check_irqs_on's "kernel BUG at
// fs/buffer.c:1272!", unlock by a non-owner, double unlock, lock held on
// return, deadlock with the wait-for cycle, lockdep's circular dependency,
// refcount underflow, use-after-free and double free, objects, work or bios
// pending at the end, domain checks (AddCheck, AddEndCheck, Task.Fail), and
// panics in model code (kind "panic", with the Go stack). By default the run
// stops at the first verdict; Config.Continue collects them all. Bounds:
// Config.StepsMax (OutcomeStepLimit), TasksMax (live tasks), QueueMax.
//
// # Rules for model code
//
// Touch shared state only through primitives or after a Point whose
// footprint names it; keep task code deterministic (no maps iterated for
// decisions, no time, no goroutines); use a task only from its own
// function. Code before a task's first point runs inside its parent's step
// and must be local.
package sim
