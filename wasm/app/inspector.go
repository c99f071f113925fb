package main

// Inspector is the image tab (inspector.vugu): its own component so the
// root's build stays small. The playground is the landing screen, and the
// wasm engine compiles a function on its first call: the inspector's large
// generated Build is compiled only when the tab first opens.
type Inspector struct {
	R *Root `vugu:"data"`
}
