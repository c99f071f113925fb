package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// MaxJSONBytes bounds a scenario document.
const MaxJSONBytes = 1 << 20

// Parse decodes a scenario strictly and validates it. Errors are Errors
// whose entries carry the JSON path and, for problems in the text, the
// line and column: malformed JSON, unknown fields, duplicate keys, null
// where a value is needed, wrong types, trailing data, then every
// validation problem.
func Parse(data []byte) (*Scenario, error) {
	if len(data) > MaxJSONBytes {
		return nil, Errors{{Path: "$", Msg: fmt.Sprintf("%d bytes, limit %d", len(data), MaxJSONBytes), kind: ErrTooLarge}}
	}
	if err := checkStructure(data); err != nil {
		return nil, Errors{err}
	}
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, Errors{translate(data, err)}
	}
	if err := s.Validate(); err != nil {
		return &s, err
	}
	return &s, nil
}

// MarshalIndent returns the scenario as the JSON files of the catalogue
// are written: two-space indent, trailing newline.
func (s *Scenario) MarshalIndent() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // cannot happen: the type has only plain fields
	}
	return append(b, '\n')
}

// Canonical returns the compact JSON the URL codec compresses. Field
// order is the struct's and map keys are sorted, so equal scenarios give
// equal bytes.
func (s *Scenario) Canonical() []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func translate(data []byte, err error) *FieldError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		l, c := position(data, se.Offset)
		return &FieldError{Path: "$", Msg: se.Error(), Line: l, Col: c, Err: err, kind: ErrSyntax}
	case errors.As(err, &te):
		l, c := position(data, te.Offset)
		path := "$"
		if te.Field != "" {
			path += "." + te.Field
		}
		return &FieldError{Path: path, Msg: fmt.Sprintf("got JSON %s, want %s", te.Value, goTypeName(te.Type)), Line: l, Col: c, Err: err, kind: ErrInvalid}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		l, c := position(data, int64(len(data)))
		return &FieldError{Path: "$", Msg: "unexpected end of JSON", Line: l, Col: c, Err: err, kind: ErrSyntax}
	}
	return &FieldError{Path: "$", Msg: err.Error(), Err: err, kind: ErrSyntax}
}

func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a non-negative integer"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// checkStructure walks the token stream against the Scenario type and
// reports the first unknown field, duplicate key, misplaced null or
// trailing data, with its path and position. encoding/json alone would
// say `unknown field "x"` without saying where, and would silently take
// the last of two duplicate keys.
func checkStructure(data []byte) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &walker{dec: dec, data: data}
	if err := w.value(reflect.TypeOf(Scenario{}), "$", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		l, c := position(data, dec.InputOffset())
		return &FieldError{Path: "$", Msg: "data after the scenario object", Line: l, Col: c, kind: ErrSyntax}
	}
	return nil
}

type walker struct {
	dec  *json.Decoder
	data []byte
}

const maxDepth = 16

func (w *walker) fail(kind error, path, format string, args ...any) *FieldError {
	l, c := position(w.data, w.dec.InputOffset())
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Line: l, Col: c, kind: kind}
}

func (w *walker) token(path string) (json.Token, *FieldError) {
	tok, err := w.dec.Token()
	if err != nil {
		fe := translate(w.data, err)
		if fe.Line == 0 {
			fe.Line, fe.Col = position(w.data, w.dec.InputOffset())
		}
		if fe.Path == "$" {
			fe.Path = path
		}
		return nil, fe
	}
	return tok, nil
}

// value consumes one JSON value that should decode into t.
func (w *walker) value(t reflect.Type, path string, depth int) *FieldError {
	if depth > maxDepth {
		return w.fail(ErrInvalid, path, "nested too deeply")
	}
	tok, fe := w.token(path)
	if fe != nil {
		return fe
	}
	if tok == nil {
		if t.Kind() == reflect.Pointer {
			return nil
		}
		return w.fail(ErrInvalid, path, "null — give a value or leave the field out")
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case isDelim && d == '{':
		return w.object(t, path, depth)
	case isDelim && d == '[':
		if t.Kind() != reflect.Slice {
			return w.fail(ErrInvalid, path, "got an array, want %s", goTypeName(t))
		}
		for i := 0; w.dec.More(); i++ {
			if fe := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1); fe != nil {
				return fe
			}
		}
		_, fe := w.token(path) // ']'
		return fe
	}
	return nil // scalars: json.Unmarshal checks their types
}

func (w *walker) object(t reflect.Type, path string, depth int) *FieldError {
	var fields map[string]reflect.Type
	switch t.Kind() {
	case reflect.Struct:
		fields = jsonFields(t)
	case reflect.Map:
	default:
		return w.fail(ErrInvalid, path, "got an object, want %s", goTypeName(t))
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, fe := w.token(path)
		if fe != nil {
			return fe
		}
		key, _ := tok.(string)
		sub := path + "." + key
		if !isIdent(key) {
			sub = fmt.Sprintf("%s[%q]", path, key)
		}
		if seen[key] {
			return w.fail(ErrInvalid, sub, "duplicate key")
		}
		seen[key] = true
		var ft reflect.Type
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				return w.fail(ErrInvalid, sub, "unknown field (known: %s)", strings.Join(sortedKeys(fields), ", "))
			}
		} else {
			ft = t.Elem()
		}
		if fe := w.value(ft, sub, depth+1); fe != nil {
			return fe
		}
	}
	_, fe := w.token(path) // '}'
	return fe
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
