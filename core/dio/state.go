package dio

import (
	"fmt"

	"ext4play/core/ext4"
	"ext4play/core/sim"
)

// FileState is one workload file in the image at some step.
type FileState struct {
	Name    string
	Ino     uint32
	Size    int64
	Extents []ext4.ExtentInfo
}

// ExtentsAt replays schedule for step steps and returns every workload
// file's extent map and size at that point (the UI's extent panel; the
// trace holds everything else). step <= 0 is the start.
func (p *Prepared) ExtentsAt(schedule sim.Schedule, step int) ([]FileState, error) {
	if step <= 0 {
		step = 1
	}
	r := p.Run(sim.Replay(schedule), Options{StepsMax: step, KeepImage: true})
	if r.Image == nil {
		return nil, fmt.Errorf("dio: no image at step %d", step)
	}
	vol, err := ext4.OpenVolume(r.Image)
	if err != nil {
		return nil, err
	}
	var out []FileState
	for _, f := range r.Files {
		exts, err := vol.Extents(f.Ino)
		if err != nil {
			return nil, fmt.Errorf("dio: extents of %s: %w", f.Name, err)
		}
		st, err := vol.Stat(f.Ino)
		if err != nil {
			return nil, err
		}
		out = append(out, FileState{Name: f.Name, Ino: f.Ino, Size: int64(st.Size()), Extents: exts})
	}
	return out, nil
}
