package main

// Refusals and argument checks, worded as the Python contract words them (chaincode/errors.py,
// chaincode/validate.py). Each refusal kind answers with its own status.

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// rejection is a refused transaction: a status by kind and one sentence.
type rejection struct {
	status int32
	msg    string
}

func (r *rejection) Error() string { return r.msg }

const (
	statusInvalid  = 400 // InvalidArgument
	statusDenied   = 403 // AccessDenied
	statusNotFound = 404 // NotFound
	statusConflict = 409 // Conflict
	statusInternal = 500 // not a refusal kind: no such transaction
)

func refuse(status int32, format string, args ...any) error {
	return &rejection{status, fmt.Sprintf(format, args...)}
}

var (
	identPattern  = regexp.MustCompile(`\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\z`)
	datePattern   = regexp.MustCompile(`\A([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})\z`)
	sha256Pattern = regexp.MustCompile(`\A[0-9a-f]{64}\z`)
	monthDays     = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
)

// ident checks an identifier (validate.ident); value is a string or a JSON value.
func ident(name string, value any) (string, error) {
	s, ok := value.(string)
	if !ok || !identPattern.MatchString(s) {
		return "", refuse(statusInvalid, "%s %s is not a valid id (letters, digits, . _ : @ -).", name, repr(value))
	}
	return s, nil
}

// calendarDate checks a date YYYY-MM-DD (validate.date).
func calendarDate(value string) error {
	if m := datePattern.FindStringSubmatch(value); m != nil {
		year, _ := strconv.Atoi(m[1])
		month, _ := strconv.Atoi(m[2])
		day, _ := strconv.Atoi(m[3])
		last := monthDays[month-1]
		if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			last++
		}
		if day >= 1 && day <= last {
			return nil
		}
	}
	return refuse(statusInvalid, "date %s is not a calendar date YYYY-MM-DD.", repr(value))
}

// sha256Hex checks a lower-case hex SHA-256 (validate.sha256).
func sha256Hex(name, value string) error {
	if !sha256Pattern.MatchString(value) {
		return refuse(statusInvalid, "%s %s is not a lower-case hex SHA-256.", name, repr(value))
	}
	return nil
}

// choice checks that value is one of options (validate.choice).
func choice(name string, value any, options []string) error {
	if s, ok := value.(string); ok {
		for _, o := range options {
			if s == o {
				return nil
			}
		}
	}
	return refuse(statusInvalid, "%s %s is not one of %s.", name, repr(value), strings.Join(options, ", "))
}

// jsonArg parses a JSON argument (validate.json_arg).
func jsonArg(name, text string) (any, error) {
	value, err := loads(text)
	if err != nil {
		return nil, refuse(statusInvalid, "%s is not valid JSON: %s.", name, err)
	}
	return value, nil
}

// maxPlaySeconds is chaincode.rules.MAX_PLAY_SECONDS: a play lasts at most a day.
const maxPlaySeconds = 86400

// countNames are the counts of an anchor, in the order the Python contract checks them.
var countNames = []string{"rows", "listeners", "plays", "seconds"}

// checkCounts is listening._counts: exactly the four counts, whole numbers, plays and
// listeners at most rows, seconds at most plays times a day.
func checkCounts(text string) (map[string]*big.Int, error) {
	data, err := jsonArg("counts", text)
	if err != nil {
		return nil, err
	}
	obj, ok := data.(*object)
	if !ok || len(obj.keys) != len(countNames) || !hasKeys(obj, countNames) {
		return nil, refuse(statusInvalid, "counts must be a JSON object with exactly rows, listeners, plays and seconds.")
	}
	counts := map[string]*big.Int{}
	for _, name := range countNames {
		n, ok := obj.vals[name].(*big.Int)
		if !ok || n.Sign() < 0 {
			return nil, refuse(statusInvalid, "counts %s %s is not a whole number of at least 0.", name, repr(obj.vals[name]))
		}
		counts[name] = n
	}
	for _, name := range []string{"plays", "listeners"} {
		if counts[name].Cmp(counts["rows"]) > 0 {
			return nil, refuse(statusInvalid, "counts %s %s exceeds rows %s.", name, counts[name], counts["rows"])
		}
	}
	if most := new(big.Int).Mul(counts["plays"], big.NewInt(maxPlaySeconds)); counts["seconds"].Cmp(most) > 0 {
		return nil, refuse(statusInvalid, "counts seconds %s exceeds plays %s times %d (a play lasts at most a day).",
			counts["seconds"], counts["plays"], maxPlaySeconds)
	}
	return counts, nil
}

func hasKeys(obj *object, names []string) bool {
	for _, name := range names {
		if _, ok := obj.vals[name]; !ok {
			return false
		}
	}
	return true
}

// equal is Python's == on two values of the JSON model (strings, integers, booleans, None).
func equal(a, b any) bool {
	if x, ok := a.(*big.Int); ok {
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	}
	return a == b
}
