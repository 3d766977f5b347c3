package main

// JSON read the way the Python contract reads it (chaincode/canonical_json.loads: Python's json module
// with every decimal number refused), so that a malformed argument is refused with the same
// sentence. The value model is Python's: an object keeps its keys in first-insertion order (a
// repeated key keeps its place and takes the later value), integers are exact (big.Int), NaN and
// ±Infinity are the float constants Python lets through, strings may hold lone surrogates (kept
// as their 3-byte encodings). Positions in messages count code points, as Python's do.

import (
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"
)

// object is a JSON object with Python dict semantics.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(key string, value any) {
	if _, seen := o.vals[key]; !seen {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = value
}

// pyFloat is one of the float constants Python's json module accepts: nan, inf, -inf (its repr).
type pyFloat string

// maxIntDigits is Python's default limit on integer string conversion (sys.int_info).
const maxIntDigits = 4300

// stopIteration is "no value starts here" (Python's StopIteration carrying the position).
type stopIteration int

func (s stopIteration) Error() string { return "stop" }

// valueError is a ValueError as Python words it.
type valueError string

func (v valueError) Error() string { return string(v) }

type decoder struct{ s []rune }

// loads parses text as Python's json.loads(text, parse_float=<refuse>) does.
func loads(text string) (any, error) {
	d := decoder{[]rune(text)}
	if len(d.s) > 0 && d.s[0] == '\ufeff' {
		return nil, d.fail("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
	}
	value, end, err := d.scan(d.skip(0))
	if stop, ok := err.(stopIteration); ok {
		return nil, d.fail("Expecting value", int(stop))
	}
	if err != nil {
		return nil, err
	}
	if end = d.skip(end); end != len(d.s) {
		return nil, d.fail("Extra data", end)
	}
	return value, nil
}

// fail is Python's JSONDecodeError text: "msg: line L column C (char P)".
func (d *decoder) fail(msg string, pos int) error {
	line, last := 1, -1
	for i := 0; i < pos; i++ {
		if d.s[i] == '\n' {
			line++
			last = i
		}
	}
	return valueError(fmt.Sprintf("%s: line %d column %d (char %d)", msg, line, pos-last, pos))
}

func (d *decoder) skip(i int) int {
	for i < len(d.s) && (d.s[i] == ' ' || d.s[i] == '\t' || d.s[i] == '\n' || d.s[i] == '\r') {
		i++
	}
	return i
}

func (d *decoder) word(i int, w string) bool {
	return i+len(w) <= len(d.s) && string(d.s[i:i+len(w)]) == w
}

func (d *decoder) scan(i int) (any, int, error) {
	if i >= len(d.s) {
		return nil, i, stopIteration(i)
	}
	switch d.s[i] {
	case '"':
		return d.str(i + 1)
	case '{':
		return d.obj(i + 1)
	case '[':
		return d.arr(i + 1)
	case 'n':
		if d.word(i, "null") {
			return nil, i + 4, nil
		}
	case 't':
		if d.word(i, "true") {
			return true, i + 4, nil
		}
	case 'f':
		if d.word(i, "false") {
			return false, i + 5, nil
		}
	case 'N':
		if d.word(i, "NaN") {
			return pyFloat("nan"), i + 3, nil
		}
	case 'I':
		if d.word(i, "Infinity") {
			return pyFloat("inf"), i + 8, nil
		}
	case '-':
		if d.word(i, "-Infinity") {
			return pyFloat("-inf"), i + 9, nil
		}
	}
	return d.number(i)
}

func digit(r rune) bool { return r >= '0' && r <= '9' }

func (d *decoder) number(start int) (any, int, error) {
	s, i, end := d.s, start, len(d.s)-1
	if s[i] == '-' {
		if i++; i > end {
			return nil, start, stopIteration(start)
		}
	}
	switch {
	case s[i] >= '1' && s[i] <= '9':
		for i++; i <= end && digit(s[i]); i++ {
		}
	case s[i] == '0':
		i++
	default:
		return nil, start, stopIteration(start)
	}
	isFloat := false
	if i < end && s[i] == '.' && digit(s[i+1]) {
		isFloat = true
		for i += 2; i <= end && digit(s[i]); i++ {
		}
	}
	if i < end && (s[i] == 'e' || s[i] == 'E') {
		e := i
		i++
		if i < end && (s[i] == '-' || s[i] == '+') {
			i++
		}
		for i <= end && digit(s[i]) {
			i++
		}
		if digit(s[i-1]) {
			isFloat = true
		} else {
			i = e
		}
	}
	text := string(s[start:i])
	if isFloat {
		return nil, i, valueError(fmt.Sprintf("a decimal number %s is not allowed here; amounts are integer micro-units", text))
	}
	if n := len(strings.TrimPrefix(text, "-")); n > maxIntDigits {
		return nil, i, valueError(fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion: "+
			"value has %d digits; use sys.set_int_max_str_digits() to increase the limit", maxIntDigits, n))
	}
	n, _ := new(big.Int).SetString(text, 10)
	return n, i, nil
}

func hexValue(r rune) (rune, bool) {
	switch {
	case r >= '0' && r <= '9':
		return r - '0', true
	case r >= 'a' && r <= 'f':
		return r - 'a' + 10, true
	case r >= 'A' && r <= 'F':
		return r - 'A' + 10, true
	}
	return 0, false
}

// hex4 decodes the 4 hex digits s[from:from+4] (Python reports a bad one at from-2).
func (d *decoder) hex4(from int) (rune, error) {
	var c rune
	for _, r := range d.s[from : from+4] {
		v, ok := hexValue(r)
		if !ok {
			return 0, d.fail("Invalid \\uXXXX escape", from-1)
		}
		c = c<<4 | v
	}
	return c, nil
}

var simpleEscapes = map[rune]rune{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// str scans a string whose opening quote is at end-1, as CPython's scanstring_unicode.
func (d *decoder) str(end int) (any, int, error) {
	s, begin := d.s, end-1
	var out strings.Builder
	for {
		next := end
		var c rune
		for ; next < len(s); next++ {
			c = s[next]
			if c == '"' || c == '\\' {
				break
			}
			if c <= 0x1f {
				return nil, next, d.fail("Invalid control character at", next)
			}
		}
		if next == len(s) || (c != '"' && c != '\\') {
			return nil, next, d.fail("Unterminated string starting at", begin)
		}
		writeRunes(&out, s[end:next])
		next++
		if c == '"' {
			return out.String(), next, nil
		}
		if next == len(s) {
			return nil, next, d.fail("Unterminated string starting at", begin)
		}
		c = s[next]
		if c != 'u' {
			end = next + 1
			r, ok := simpleEscapes[c]
			if !ok {
				return nil, end, d.fail("Invalid \\escape", end-2)
			}
			out.WriteRune(r)
			continue
		}
		next++
		end = next + 4
		if end >= len(s) {
			return nil, end, d.fail("Invalid \\uXXXX escape", next-1)
		}
		c, err := d.hex4(next)
		if err != nil {
			return nil, end, err
		}
		next = end
		if c >= 0xd800 && c <= 0xdbff && end+6 < len(s) && s[next] == '\\' && s[next+1] == 'u' {
			low, err := d.hex4(next + 2)
			if err != nil {
				return nil, end, err
			}
			if low >= 0xdc00 && low <= 0xdfff {
				c = 0x10000 + (c-0xd800)<<10 + (low - 0xdc00)
				end += 6
			}
		}
		writeRunes(&out, []rune{c})
	}
}

// writeRunes writes runes as UTF-8, a lone surrogate as its 3-byte encoding (as Python keeps it).
func writeRunes(b *strings.Builder, rs []rune) {
	for _, r := range rs {
		if r >= 0xd800 && r <= 0xdfff {
			b.Write([]byte{byte(0xe0 | r>>12), byte(0x80 | (r>>6)&0x3f), byte(0x80 | r&0x3f)})
		} else {
			b.WriteRune(r)
		}
	}
}

// runesOf decodes a string written by writeRunes (lone surrogates included).
func runesOf(s string) []rune {
	var rs []rune
	for i := 0; i < len(s); {
		if i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf {
			rs = append(rs, rune(s[i]&0x0f)<<12|rune(s[i+1]&0x3f)<<6|rune(s[i+2]&0x3f))
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		rs = append(rs, r)
		i += n
	}
	return rs
}

func (d *decoder) obj(i int) (any, int, error) {
	o := newObject()
	end, err := d.items(i, '}', func(i int) (int, error) {
		if i >= len(d.s) || d.s[i] != '"' {
			return i, d.fail("Expecting property name enclosed in double quotes", i)
		}
		key, next, err := d.str(i + 1)
		if err != nil {
			return next, err
		}
		if i = d.skip(next); i >= len(d.s) || d.s[i] != ':' {
			return i, d.fail("Expecting ':' delimiter", i)
		}
		value, next, err := d.scan(d.skip(i + 1))
		if err == nil {
			o.set(key.(string), value)
		}
		return next, err
	})
	if err != nil {
		return nil, end, err
	}
	return o, end, nil
}

func (d *decoder) arr(i int) (any, int, error) {
	list := []any{}
	end, err := d.items(i, ']', func(i int) (int, error) {
		value, next, err := d.scan(i)
		list = append(list, value)
		return next, err
	})
	if err != nil {
		return nil, end, err
	}
	return list, end, nil
}

// items scans the comma-separated items of an object or an array from i (after its opening
// character) to its closing character, each with item, which returns where the item ends.
func (d *decoder) items(i int, closing rune, item func(int) (int, error)) (int, error) {
	if i = d.skip(i); i < len(d.s) && d.s[i] == closing {
		return i + 1, nil
	}
	for {
		next, err := item(i)
		if err != nil {
			return next, err
		}
		if i = d.skip(next); i < len(d.s) && d.s[i] == closing {
			return i + 1, nil
		}
		if i >= len(d.s) || d.s[i] != ',' {
			return i, d.fail("Expecting ',' delimiter", i)
		}
		i = d.skip(i + 1)
	}
}
