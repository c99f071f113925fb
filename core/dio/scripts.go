package dio

import (
	_ "embed"
	"fmt"
	"strings"

	"ext4play/core/scenario"
	"ext4play/core/sim"
)

//go:embed races/race.fio
var raceFio string

// RaceScenario is the minimal race of reference §7: range A written,
// range B a hole, both inside i_size; job O overwrites A, job L
// allocates B, both AIO. The scripted schedules R1–R4 run on it.
// Each call returns its own copy.
//
// It is a Go value, not an embedded JSON scenario: the page builds it on
// the way to its first paint, where decoding JSON would cost tens of ms of
// first-call wasm compilation and TurboFan work. TestRaceScenario checks
// it validates and survives the JSON round trip.
func RaceScenario() *scenario.Scenario {
	return &scenario.Scenario{
		Version:     1,
		Title:       "Minimal overwrite-vs-allocating AIO DIO race (reference §7)",
		Description: "A written range A and a hole B inside i_size; O overwrites A (unlocked under dioread_nolock), L allocates B (locked). The scripted schedules R1-R4 run on it.",
		Image: scenario.Image{
			Size:      8 << 20,
			BlockSize: 4096,
			InodeSize: 256,
			Label:     "race",
			Seed:      1,
		},
		Mount:              scenario.Mount{DioreadNolock: true},
		Kernel:             scenario.KernelV45rc3,
		Workload:           scenario.Workload{Fio: raceFio},
		Scheduler:          scenario.Scheduler{Strategy: scenario.StrategyRandom, Seed: 1},
		StepLimit:          20000,
		StopAtFirstVerdict: true,
	}
}

// Task ids in RaceScenario: the jobs are spawned in file order.
const (
	raceO = 2 // the overwrite DIO
	raceL = 3 // the locked, allocating DIO
)

// scriptStep runs the tasks who matches until one of them has executed
// a point whose label contains until (or can run no more).
type scriptStep struct {
	who   func(c sim.Candidate) bool
	until string
}

func task(id sim.TaskID) func(sim.Candidate) bool {
	return func(c sim.Candidate) bool { return c.Task == id }
}

func irq(c sim.Candidate) bool { return c.Ctx == sim.HardIRQ }

// director is a strategy following a script, then running the current
// task as long as it can (the non-preemptive default).
// A step whose task is blocked (or never reaches the label, as in the
// fixed kernels) lets the others run non-preemptively meanwhile.
type director struct {
	steps []scriptStep
	cur   int
}

func (d *director) Choose(c *sim.Choice) int {
	if d.cur < len(d.steps) {
		st := d.steps[d.cur]
		for i, r := range c.Runnable {
			if st.who(r) {
				if strings.Contains(r.Label, st.until) {
					d.cur++
				}
				return i
			}
		}
	}
	for i, r := range c.Runnable {
		if r.Task == c.Current {
			return i
		}
	}
	return 0
}

// Scripts are the interleavings of reference §7 as steps of O, L and the
// bio completion interrupt.
var Scripts = map[string][]scriptStep{
	// R1: L flags its own io_end under down_write, then O's NULL store
	// lands before L's re-read: no Defer_Completion, conversion in IRQ.
	"R1": {
		{task(raceO), "mutex_unlock(race.i_mutex)"},
		{task(raceL), "up_write(race.i_data_sem)"},
		{task(raceO), lblStoreNullStart},
		{task(raceL), "fio: io_getevents"},
		{irq, lblJournalStart},
	},
	// R2: O's io_end replaces L's in i_private; L flags O's io_end; O's
	// completion converts in IRQ; L's range is never converted.
	"R2": {
		{task(raceO), "mutex_unlock(race.i_mutex)"},
		{task(raceL), lblStoreIOEnd},
		{task(raceO), "submit_bio(sda)"},
		{task(raceL), "submit_bio(sda)"},
		{task(raceO), "mutex_lock(race.i_mutex)"},
		{irq, lblJournalStart},
	},
	// R3: O's end-of-DIO NULL store lands after L's store and before L's
	// down_write: L sets DIO_UNWRITTEN, nothing converts B.
	"R3": {
		{task(raceO), "submit_bio(sda)"},
		{task(raceL), lblStoreIOEnd},
		{task(raceO), lblStoreNullEnd},
	},
	// R4: L loads O's io_end at map entry and sleeps; O finishes and its
	// completion frees the io_end; L flags freed memory.
	"R4": {
		{task(raceO), "mutex_unlock(race.i_mutex)"},
		{task(raceL), lblStoreIOEnd},
		{task(raceO), lblStoreIOEnd},
		{task(raceL), lblMapEntryLoad},
		{task(raceO), "mutex_lock(race.i_mutex)"},
		{irq, "process_one_work"},
	},
}

// ScriptedSchedule runs script name ("R1" … "R4") on p (a RaceScenario,
// any variant) and returns the exact choice list it produced, for
// sim.Replay or a scenario with strategy "replay".
func ScriptedSchedule(p *Prepared, name string) (sim.Schedule, error) {
	r, err := RunScript(p, name, Options{})
	if err != nil {
		return nil, err
	}
	return r.Schedule, nil
}

// RunScript runs script name on p with opts and returns the run itself:
// the same run a replay of ScriptedSchedule(p, name) gives, without
// running the model twice (the page records the scripted race this way).
func RunScript(p *Prepared, name string, opts Options) (*Result, error) {
	steps, ok := Scripts[name]
	if !ok {
		return nil, fmt.Errorf("no scripted schedule %q (want R1, R2, R3 or R4): %w", name, ErrBadInput)
	}
	return p.Run(&director{steps: steps}, opts), nil
}
