// Package fio reads the subset of fio's job-file language that xfstests
// generic/300 uses (plus what small race jobs need) and turns each job
// into a seeded, reproducible stream of operations for the ext4 DIO model.
//
// # The language, as fio (2016 and today) reads it
//
//   - Sections are [name]; [global] sets defaults for the job sections
//     after it only — a later [global] does not reach back. A job's own
//     options override [global]'s. numjobs=N expands a section into jobs
//     "name.0" … "name.N-1"; without filename= each gets fio's default
//     file "name.i.0".
//   - Lines starting with '#' or ';' are comments, and fio cuts a line at
//     either character too. ${VAR} is replaced from the caller's map
//     (fio takes it from the environment); an unset variable is an error.
//     include is an error (not supported).
//   - Numbers: decimal or 0x hex with a unit suffix; for sizes k/m/g/t/p,
//     optionally followed by b or ib, case-insensitive, all powers of 1024
//     (kb_base=1024). Times are seconds unless suffixed us, ms, s, m, h, d.
//     Arithmetic is evaluated only inside parentheses: fio reads "128*1"
//     as 128 and "100*1" as 100 (it stops at the '*'); we do the same and
//     say so in a Warning. "(128*2)" is 256.
//   - size=, offset= may be percentages of the file size. size= larger
//     than the file is capped at it (generic/300's size=999G).
//   - Booleans are integers (non-zero is on); a bare name is 1, so
//     time_based and time_based=10 both switch it on.
//   - Unknown options are errors naming line, section and option;
//     error_dump, verify_dump, verify_async, group_reporting, thread and
//     description are accepted with a Warning because they do not change
//     what the model does. See Options for the full list. A job section
//     name may appear only once.
//
// # Semantics the model relies on
//
//   - ioengine=libaio submits asynchronously, up to iodepth in flight;
//     psync and sync are synchronous (iodepth acts as 1).
//   - ioengine=falloc turns I/O into fallocate(2): rw=write/randwrite →
//     fallocate(mode 0), rw=trim/randtrim → fallocate(KEEP_SIZE|
//     PUNCH_HOLE), rw=read/randread → fallocate(KEEP_SIZE).
//   - create_on_open=1: the file is created by the job's open and starts
//     empty (Setup emits only OpCreate); otherwise fio lays the file out
//     first: fallocate= (posix and native: mode 0 over the file; keep:
//     KEEP_SIZE; none: nothing) and, for jobs that read, writes filling it.
//   - Random offsets follow fio's default random map (norandommap=0):
//     within one pass over the region each smallest-block unit is used
//     once; an I/O that would run into a used unit is shortened, as fio
//     does; when the map is full a new pass starts. norandommap draws
//     uniformly. Offsets are aligned to the smallest block size.
//   - bssplit= picks each I/O's size by its percentages (which must add
//     up to 100; entries without one share the rest).
//   - rw=rw/randrw choose read or write per I/O by rwmixread.
//   - verify=crc32c (and crc32c-intel) write blocks with a verify header
//     (see VerifySpec) and read them back: every verify_backlog writes,
//     else at the end of the job, sorted by offset with verifysort. Other
//     checksums are errors (not modelled). At most MaxPendingVerify
//     writes wait for verification; a job without verify_backlog that
//     writes more is verified in batches of that size.
//   - runtime/time_based become a bounded number of operations; see
//     Limits for the rule (runtime × a nominal 1000 ops/s, capped).
//
// Ops come from math/rand/v2's PCG seeded per job from one uint64 seed:
// the same job file, limits and seed give the same ops everywhere.
package fio
