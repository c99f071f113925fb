// Package dio is the ext4 direct-I/O model of Linux 4.4 – 4.6 on top of
// core/sim (the deterministic kernel), core/ext4 (the real image) and
// core/fio (the workload). It follows ../shared/reference/ext4-dio-model.md;
// its files mirror the kernel's: file.go (fs/ext4/file.c), inode.go
// (fs/ext4/inode.c and indirect.c), extents.go (fs/ext4/extents.c),
// pageio.go (fs/ext4/page-io.c), directio.go (fs/direct-io.c), and
// variant.go holds the five kernels as data.
//
// # Public API (stable; the playground and the CLI use it)
//
//	p, err := dio.Prepare(sc)            // validate, parse fio, build the image once
//	r := p.Run(strategy, dio.Options{})  // one run; strategy from sim (Random, PCT, Replay)
//	r, err := dio.Run(sc, opts)          // Prepare + the scenario's own scheduler
//	st, err := p.StrategyFor(seed)       // the scenario's strategy with another seed
//
// Result carries Verdict ("clean" or the first violation's kind),
// Violations (Kind, Message, Step, Task, Context, Label, Stack, Objects),
// Steps, Choices (sim.Schedule.Encode; put it in the scenario with
// strategy "replay" to rerun exactly), Preemptions, the trace
// (Options.Record) for trace.NewReducer — every lock, i_private,
// i_dio_count, io_end card (count, flag, offset, size), dio refcount,
// bio task and workqueue worker is a trace location — and the final
// image (Options.KeepImage). Options.Continue goes on past the first
// BUG to show what would have happened (data-verify after the panic).
//
// Verdict kinds are the fixed vocabulary in Kinds: sleep-in-atomic (the
// seed's panic: conversion from interrupt context, naming the io_end and
// the range it converts), data-verify, unconverted-unwritten, deadlock,
// lock-order, lock-held, refcount, use-after-free, warn, bug,
// pending-at-end, step-limit, fsck, model-error.
//
// Snippets and Lines give short pseudo-code per kernel function (ours)
// and, for each step label, the line to highlight (LineOf).
//
// Variants lists the kernels; each Variant says which decision differs
// (OverwriteHoldsDataSem, InodeAIO, OverwriteNoIOEnd, IOEndInDio) and
// carries its EXT4_GET_BLOCKS_* table; CheckFlagOverlaps is the static
// check that finds revert's ZERO = 0x0300.
//
// # What is not modelled
//
// Unaligned AIO (aio_mutex, ext4_unwritten_wait), buffered I/O and
// writeback, DAX, read bios as separate completions (DIO reads complete
// synchronously), fio's exitall, O_DSYNC.
package dio
