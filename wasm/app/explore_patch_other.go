//go:build !js

package main

func patchExplore(e *exploreUI) bool { return false }
