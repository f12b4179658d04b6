package conf

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"mvdan.cc/sh/v3/expand"
)

// Values maps each accepted variable that has at least one element set to
// its elements: NAME -> index -> value. Arrays keep their holes; a scalar
// is index 0.
type Values map[string]map[int]string

// Get returns element i of name and whether it is set.
func (v Values) Get(name string, i int) (string, bool) {
	s, ok := v[name][i]
	return s, ok
}

// Str returns element 0 of name, "" when unset (bash's $NAME).
func (v Values) Str(name string) string { return v[name][0] }

// Count returns how many elements of name are set (bash's ${#NAME[@]}).
func (v Values) Count(name string) int { return len(v[name]) }

// Indices returns the set indices of name in ascending order.
func (v Values) Indices(name string) []int {
	return slices.Sorted(maps.Keys(v[name]))
}

// names returns the variable names sorted bytewise.
func (v Values) names() []string {
	return slices.Sorted(maps.Keys(v))
}

// JSON renders v in the format of tools/README.md ("JSON format"): one
// compact line, names sorted bytewise, indices ascending, only " and \ and
// control characters escaped, other bytes written as they are.
func (v Values) JSON() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for n, name := range v.names() {
		if n > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, name)
		b.WriteString(":{")
		for k, i := range v.Indices(name) {
			if k > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, strconv.Itoa(i))
			b.WriteByte(':')
			writeJSONString(&b, v[name][i])
		}
		b.WriteByte('}')
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// Text renders v as one NAME[i]="value" line per element, in JSON order,
// with the value escaped as in JSON so each element stays on one line.
func (v Values) Text() []byte {
	var b bytes.Buffer
	for _, name := range v.names() {
		for _, i := range v.Indices(name) {
			fmt.Fprintf(&b, "%s[%d]=", name, i)
			writeJSONString(&b, v[name][i])
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// variableIndices lists the set indices of a variable as bash's
// ${!NAME[@]} does: 0 for a set scalar, the indices of an indexed array.
// An array created by an element assignment has Set == false in
// mvdan.cc/sh (notes L3), so elements count, not the flag.
func variableIndices(vr expand.Variable) []int {
	switch vr.Kind {
	case expand.String:
		if vr.Set {
			return []int{0}
		}
	case expand.Indexed:
		if vr.Indexes != nil {
			return slices.Clone(vr.Indexes)
		}
		idx := make([]int, len(vr.List))
		for i := range idx {
			idx[i] = i
		}
		return idx
	case expand.Associative:
		if len(vr.Map) > 0 {
			return []int{0}
		}
	}
	return nil
}

// valuesFrom collects the named variables from the interpreter's globals.
func valuesFrom(vars map[string]expand.Variable, names []string) Values {
	out := Values{}
	for _, name := range names {
		vr, ok := vars[name]
		if !ok {
			continue
		}
		m := map[int]string{}
		switch vr.Kind {
		case expand.String:
			if vr.Set {
				m[0] = vr.Str
			}
		case expand.Indexed:
			for k, i := range variableIndices(vr) {
				m[i] = vr.List[k]
			}
		}
		if len(m) > 0 {
			out[name] = m
		}
	}
	return out
}
