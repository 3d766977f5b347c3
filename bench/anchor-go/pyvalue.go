package main

// Values as the Python contract shows and stores them: repr() in refusal sentences, canonical
// JSON (sorted keys, no spaces, UTF-8 unescaped: chaincode/canonical_json.py) in the world state.

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"unicode"
)

// notation is how values are written: Python's repr() or canonical JSON.
type notation struct {
	none, yes, no string
	itemSep       string // between the items of a list or an object
	keySep        string // between a key and its value
	sortKeys      bool
	str           func(*strings.Builder, string)
}

var (
	pythonRepr    = notation{"None", "True", "False", ", ", ": ", false, writeStrRepr}
	canonicalJSON = notation{"null", "true", "false", ",", ":", true, writeJSONString}
)

// repr is Python's repr() of a value of the JSON model (pyjson.go) or of a Go string.
func repr(value any) string {
	var b strings.Builder
	pythonRepr.write(&b, value)
	return b.String()
}

// canonical is the canonical JSON of a value (chaincode/canonical_json.dumps): sorted keys, no
// spaces, UTF-8 unescaped.
func canonical(value any) []byte {
	var b strings.Builder
	canonicalJSON.write(&b, value)
	return []byte(b.String())
}

func (n notation) write(b *strings.Builder, value any) {
	switch v := value.(type) {
	case nil:
		b.WriteString(n.none)
	case bool:
		if v {
			b.WriteString(n.yes)
		} else {
			b.WriteString(n.no)
		}
	case *big.Int:
		b.WriteString(v.String())
	case pyFloat:
		if n.sortKeys {
			panic("canonical JSON holds no floats")
		}
		b.WriteString(string(v))
	case string:
		n.str(b, v)
	case []any:
		b.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				b.WriteString(n.itemSep)
			}
			n.write(b, item)
		}
		b.WriteByte(']')
	case *object:
		keys := v.keys
		if n.sortKeys {
			keys = append([]string(nil), keys...)
			sort.Strings(keys) // byte order of UTF-8 is code point order, as Python sorts
		}
		b.WriteByte('{')
		for i, key := range keys {
			if i > 0 {
				b.WriteString(n.itemSep)
			}
			n.str(b, key)
			b.WriteString(n.keySep)
			n.write(b, v.vals[key])
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("no notation for %T", value))
	}
}

// writeStrRepr is CPython's unicode_repr: single quotes unless the text has ' and no ".
func writeStrRepr(b *strings.Builder, s string) {
	rs := runesOf(s)
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	b.WriteRune(quote)
	for _, r := range rs {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case printable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
}

// printable is Python's str.isprintable for one non-ASCII character: not a control, format,
// surrogate, private-use, unassigned or separator character.
func printable(r rune) bool {
	return unicode.IsPrint(r)
}

// writeJSONString is json.dumps(ensure_ascii=False) of a string.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// record builds an object from alternating keys and values.
func record(pairs ...any) *object {
	o := newObject()
	for i := 0; i < len(pairs); i += 2 {
		o.set(pairs[i].(string), pairs[i+1])
	}
	return o
}
