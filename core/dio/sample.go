package dio

import (
	"sync"

	"ext4play/core/image"
)

// samples are the images a caller registered for scenarios that name
// image.sample instead of an mkfs recipe (the browser fetches sample
// bytes asynchronously, so Prepare looks them up here synchronously).
var samples struct {
	sync.Mutex
	m   map[string]sampleEntry
	gen uint64
}

type sampleEntry struct {
	dev *image.Device
	gen uint64 // registration number: part of the base-image cache key
}

// RegisterSample makes dev the image of scenarios with image.sample name.
// Prepare works on a clone (dev is never written) and creates fio's files
// in its root directory; it refuses an image that does not open as ext4,
// lacks the extents feature, or already has a file of that name. A new
// registration under the same name replaces the old one; nil removes it.
func RegisterSample(name string, dev *image.Device) {
	samples.Lock()
	defer samples.Unlock()
	if dev == nil {
		delete(samples.m, name)
		return
	}
	if samples.m == nil {
		samples.m = map[string]sampleEntry{}
	}
	samples.gen++
	samples.m[name] = sampleEntry{dev: dev, gen: samples.gen}
}

func registeredSample(name string) (*image.Device, uint64) {
	samples.Lock()
	defer samples.Unlock()
	e := samples.m[name]
	return e.dev, e.gen
}
