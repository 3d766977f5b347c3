package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestSameAnswersAsPython checks each argument check against the Python contract's answers
// (testdata/cases.json, written by testdata/make_cases.py).
func TestSameAnswersAsPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][3]string
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(string) error{
		"counts": func(v string) error { _, err := checkCounts(v); return err },
		"date":   calendarDate,
		"ident":  func(v string) error { _, err := ident("node", v); return err },
		"sha256": func(v string) error { return sha256Hex("sha256", v) },
	}
	for _, c := range cases {
		got := ""
		if err := checks[c[0]](c[1]); err != nil {
			got = err.Error()
		}
		if got != c[2] {
			t.Errorf("%s %q:\n got  %q\n want %q", c[0], c[1], got, c[2])
		}
	}
}
