//go:build !unix

package explore

func cpuSeconds() float64 { return -1 }
