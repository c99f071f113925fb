package main

// "Inspect this step": the playground replays its run to the cursor,
// keeping the image, and opens that image in the Image tab, so the extent
// map a step shows can be checked against the on-disk tree (unwritten
// flags, bitmaps, the inode's i_size and i_blocks) with the inspector.

import (
	"fmt"
	"time"

	"ext4play/core/dio"
	"ext4play/core/image"
	"ext4play/core/sim"
)

// imageAtStep replays the recorded run for step steps and returns its
// image as core/ext4 left it (flushed).
func (p *PlayState) imageAtStep(step int) (*image.Device, error) {
	if p.res == nil || p.runSc == nil {
		return nil, fmt.Errorf("no run to replay")
	}
	pr, err := dio.Prepare(p.runSc)
	if err != nil {
		return nil, err
	}
	r := pr.Run(sim.Replay(p.res.Schedule), dio.Options{KeepImage: true, StepsMax: max(step, 1)})
	if r.Image == nil {
		return nil, fmt.Errorf("the replay to step %d kept no image", step)
	}
	return r.Image, nil
}

// InspectStep opens the image at the cursor's step in the Image tab.
func (c *Play) InspectStep() {
	p := c.S
	root, env := p.root, p.env
	if p.res == nil || root == nil || env == nil {
		return
	}
	step := p.step
	name := fmt.Sprintf("%s-step-%d.img", p.fileBase(), step)
	p.shareMsg = fmt.Sprintf("replaying to step %d…", step)
	// The replay and the reader run outside the event handler, so the
	// page paints the note first and stays responsive on a long run.
	go func() {
		defer root.guard(env, name)
		t0 := time.Now()
		dev, err := p.imageAtStep(step)
		var img *opened
		if err == nil {
			img, err = openDevice(dev, name)
		}
		env.Lock()
		if err != nil {
			p.shareMsg = "cannot open the image at step " + itoa(step) + ": " + err.Error()
			env.UnlockRender()
			return
		}
		p.shareMsg = ""
		img.Source, img.LoadTime, img.Step = "run", time.Since(t0), step
		root.sampleSel = ""
		root.setImage(img)
		root.ShowTab("image")
		env.UnlockRender()
		root.addContent(env, img)
	}()
}

// inspectTitle is the button's tooltip.
func (p *PlayState) inspectTitle() string {
	return fmt.Sprintf("open the ext4 image as it is after step %d in the Image tab (a replay to this step)", p.step)
}
