package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// helperConst is the name of the constant in vugu's domrender package that
// holds the renderer's JavaScript.
const helperConst = "jsHelperScript"

// helperScript returns the value of the helperConst string constant declared
// in the Go file at path.
func helperScript(path string) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", path, err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name != helperConst || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return "", fmt.Errorf("%s: %s is not a single string literal", path, helperConst)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return "", fmt.Errorf("%s: %s: %w", path, helperConst, err)
				}
				// The renderer checks for its own global to avoid a double
				// install; boot.js relies on that check.
				if !strings.Contains(s, "window.vuguRender") {
					return "", fmt.Errorf("%s: %s does not define window.vuguRender", path, helperConst)
				}
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("%s: no constant %s", path, helperConst)
}
