// Package sdkjson reads and writes the ECS API's JSON into and out of the AWS SDK's ECS types
// by reflection, strictly: the SDK's types carry no JSON tags, and the tests use them as the
// reference for what ECS's JSON holds (member names are the Go field names with a lower-case
// first letter; schemas.go: EphemeralStorage_sizeInGiB is EphemeralStorage.SizeInGiB). For
// tests; timestamps are read as epoch seconds or as the AWS CLI's ISO 8601.
package sdkjson

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// Decode fills out (a pointer to an SDK type) from decoded JSON, refusing any key the SDK
// type does not have.
func Decode(v any, out any) error {
	return decodeValue("", v, reflect.ValueOf(out).Elem())
}

var timeType = reflect.TypeFor[time.Time]()

func decodeValue(path string, v any, out reflect.Value) error {
	if v == nil {
		return nil
	}
	t := out.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := decodeValue(path, v, p.Elem()); err != nil {
			return err
		}
		out.Set(p)
		return nil
	}
	if t == timeType {
		if s, ok := v.(string); ok { // the AWS CLI prints times in ISO 8601
			tm, err := time.Parse("2006-01-02T15:04:05.999999-07:00", s)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			out.Set(reflect.ValueOf(tm.UTC()))
			return nil
		}
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("%s: expected epoch seconds, got %v", path, v)
		}
		out.Set(reflect.ValueOf(time.Unix(0, int64(f*1e9)).UTC()))
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object, got %T", path, v)
		}
		for k, e := range m {
			f := out.FieldByName(upperFirst(k))
			if !f.IsValid() || !f.CanSet() {
				return fmt.Errorf("%s: the SDK's %s has no member %q", joinPath(path, k), t.Name(), k)
			}
			if err := decodeValue(joinPath(path, k), e, f); err != nil {
				return err
			}
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: expected a list, got %T", path, v)
		}
		s := reflect.MakeSlice(t, len(list), len(list))
		for i, e := range list {
			if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), e, s.Index(i)); err != nil {
				return err
			}
		}
		out.Set(s)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object, got %T", path, v)
		}
		mv := reflect.MakeMap(t)
		for k, e := range m {
			ev := reflect.New(t.Elem()).Elem()
			if err := decodeValue(path+"."+k, e, ev); err != nil {
				return err
			}
			mv.SetMapIndex(reflect.ValueOf(k), ev)
		}
		out.Set(mv)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: expected a string, got %T %v", path, v, v)
		}
		out.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%s: expected true or false, got %T %v", path, v, v)
		}
		out.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: expected an integer, got %T %v", path, v, v)
		}
		i, err := n.Int64()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out.SetInt(i)
	case reflect.Float64, reflect.Float32:
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: expected a number, got %T %v", path, v, v)
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out.SetFloat(f)
	default:
		return fmt.Errorf("%s: the SDK's %s is not read by the tests", path, t)
	}
	return nil
}

// Encode writes an SDK value as ECS's JSON (json.Number for numbers), nil for an unset
// one: a nil pointer, or a zero value not behind a pointer (a member with a default, such as an
// enum, is unset when zero).
func Encode(v reflect.Value) any {
	return encodeValue(v, false)
}

func encodeValue(v reflect.Value, set bool) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return encodeValue(v.Elem(), true)
	}
	if !set && v.Kind() != reflect.Struct && v.IsZero() {
		return nil
	}
	if v.Type() == timeType {
		return json.Number(fmt.Sprint(v.Interface().(time.Time).Unix()))
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if e := encodeValue(v.Field(i), false); e != nil {
				out[lowerFirst(f.Name)] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, 0, v.Len())
		for i := range v.Len() {
			if e := encodeValue(v.Index(i), true); e != nil {
				out = append(out, e)
			}
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = encodeValue(v.MapIndex(k), true)
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int32, reflect.Int64, reflect.Int:
		return json.Number(fmt.Sprint(v.Int()))
	case reflect.Float64, reflect.Float32:
		return json.Number(fmt.Sprint(v.Float()))
	}
	return nil
}

// Fill sets every field of v (recursively, lists of one or two) to random values; enums
// take one of their values.
func Fill(r *rand.Rand, v reflect.Value, depth int) {
	t := v.Type()
	if t == timeType {
		v.Set(reflect.ValueOf(time.Unix(r.Int64N(2e9), 0).UTC()))
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		Fill(r, p.Elem(), depth)
		v.Set(p)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && depth < 8 {
				Fill(r, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		n := 1 + r.IntN(2)
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			Fill(r, s.Index(i), depth)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(t)
		for range 1 + r.IntN(2) {
			val := reflect.New(t.Elem()).Elem()
			Fill(r, val, depth)
			m.SetMapIndex(reflect.ValueOf(randomWord(r)), val)
		}
		v.Set(m)
	case reflect.String:
		if values := enumValues(v); len(values) > 0 {
			v.SetString(values[r.IntN(len(values))])
			return
		}
		v.SetString(randomWord(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(1 + r.Int64N(4096))
	case reflect.Float64, reflect.Float32:
		v.SetFloat(float64(r.IntN(1000)) / 10)
	}
}

// enumValues are an SDK enum type's values (its Values method), none for plain strings.
func enumValues(v reflect.Value) []string {
	m := v.MethodByName("Values")
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
		return nil
	}
	out := m.Call(nil)[0]
	values := make([]string, out.Len())
	for i := range out.Len() {
		values[i] = out.Index(i).String()
	}
	return values
}

func randomWord(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 3+r.IntN(8))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// toFloat reads a JSON number.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
