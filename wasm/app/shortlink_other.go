//go:build !js

package main

func postJSON(url string, v any) (int, []byte, error) { return 0, nil, errNoBrowser }
func pageOrigin() string                              { return "" }
