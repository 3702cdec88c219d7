package emulator

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// apiError is an error answer: the HTTP status and the body's error object.
type apiError struct {
	status  int
	code    string
	message string
	field   string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(status int, code, field, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, field: field, message: fmt.Sprintf(format, args...)}
}

func badInput(code, field, format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, code, field, format, args...)
}

func notFound(field, format string, args ...any) *apiError {
	return errf(http.StatusNotFound, "not_found", field, format, args...)
}

const maxBody = 64 << 20

// decodeBody reads a JSON request body into dst. It answers invalid_json for
// a body that is not one JSON value, unknown_field for a name dst does not
// have, and typeCode (invalid_field for Glow, invalid_configuration for
// Gateflow) for a value of the wrong type, each with the JSON path of the
// offending input. An empty body counts as {}. It returns the body decoded
// generically, so that callers can tell an absent field from an empty one.
func decodeBody(r *http.Request, dst any, typeCode string) (map[string]any, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return decodeBytes(data, dst, typeCode)
}

func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errf(http.StatusRequestEntityTooLarge, "invalid_json", "", "request body is larger than %d bytes", maxBody)
		}
		return nil, badInput("invalid_json", "", "reading the request body: %v", err)
	}
	return data, nil
}

// peekObject decodes a body loosely, to choose between request shapes.
func peekObject(data []byte) (map[string]any, error) {
	var obj map[string]any
	err := json.Unmarshal(data, &obj)
	return obj, err
}

// decodeBytes is decodeBody for a body already read.
func decodeBytes(data []byte, dst any, typeCode string) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, badInput("invalid_json", "", "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, badInput("invalid_json", "", "the request body holds more than one JSON value")
	}
	if err := checkShape(generic, reflect.TypeOf(dst).Elem(), "", typeCode); err != nil {
		return nil, err
	}
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, badInput(typeCode, ute.Field, "%s must be %s", ute.Field, kindName(ute.Type))
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return nil, badInput("unknown_field", "", "%v", err)
		}
		return nil, badInput("invalid_json", "", "%v", err)
	}
	obj, _ := generic.(map[string]any)
	return obj, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// checkShape walks a generically decoded value alongside the Go type it is
// meant for and reports the first unknown field or ill-typed value by path.
func checkShape(v any, t reflect.Type, path, typeCode string) error {
	if v == nil {
		return nil // null leaves the zero value; required fields are checked by handlers
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil
	}
	var ok bool
	var err error
	switch t.Kind() {
	case reflect.Struct:
		ok, err = checkStructShape(v, t, path, typeCode)
	case reflect.Map:
		ok, err = checkMapShape(v, t, path, typeCode)
	case reflect.Slice, reflect.Array:
		ok, err = checkArrayShape(v, t, path, typeCode)
	default:
		ok = scalarFits(v, t.Kind())
	}
	if err != nil {
		return err
	}
	if !ok {
		where := path
		if where == "" {
			where = "the request body"
		}
		return badInput(typeCode, path, "%s must be %s", where, kindName(t))
	}
	return nil
}

// checkStructShape checks an object's fields, in name order, against the
// struct's JSON fields; false if v is not an object.
func checkStructShape(v any, t reflect.Type, path, typeCode string) (bool, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return false, nil
	}
	fields := jsonFields(t)
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		ft, ok := fields[name]
		if !ok {
			return true, badInput("unknown_field", join(path, name), "unknown field %q", join(path, name))
		}
		if err := checkShape(obj[name], ft, join(path, name), typeCode); err != nil {
			return true, err
		}
	}
	return true, nil
}

// checkMapShape checks an object's values, in key order, against the map's
// element type; false if v is not an object.
func checkMapShape(v any, t reflect.Type, path, typeCode string) (bool, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return false, nil
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if err := checkShape(obj[name], t.Elem(), join(path, name), typeCode); err != nil {
			return true, err
		}
	}
	return true, nil
}

// checkArrayShape checks an array's elements against the slice's or
// array's element type; false if v is not an array.
func checkArrayShape(v any, t reflect.Type, path, typeCode string) (bool, error) {
	arr, ok := v.([]any)
	if !ok {
		return false, nil
	}
	for i, e := range arr {
		if err := checkShape(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", typeCode); err != nil {
			return true, err
		}
	}
	return true, nil
}

// scalarFits reports whether a decoded scalar fits a field of kind k: an
// integer field takes only a number that is a 64-bit integer. Kinds with
// no JSON rule of their own (interfaces) take anything.
func scalarFits(v any, k reflect.Kind) bool {
	switch k {
	case reflect.String:
		_, ok := v.(string)
		return ok
	case reflect.Bool:
		_, ok := v.(bool)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseInt(n.String(), 10, 64)
		return err == nil
	case reflect.Float32, reflect.Float64:
		_, ok := v.(json.Number)
		return ok
	}
	return true
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Interface:
		return "a value"
	default:
		return "an integer"
	}
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, typ := range jsonFields(ft) {
					if _, dup := out[n]; !dup {
						out[n] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// has reports whether obj has key with a non-null value.
func has(obj map[string]any, key string) bool {
	v, ok := obj[key]
	return ok && v != nil
}

// objAt returns obj[key][i] as an object, or nil.
func objAt(obj map[string]any, key string, i int) map[string]any {
	arr, _ := obj[key].([]any)
	if i >= len(arr) {
		return nil
	}
	m, _ := arr[i].(map[string]any)
	return m
}
