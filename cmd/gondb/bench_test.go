package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchFlexAsyncEmbedded(t *testing.T) {
	var out bytes.Buffer
	err := runBench([]string{"flexasync", "--embedded", "-t", "2", "-p", "8", "-o", "3", "-a", "3", "-s", "2",
		"--transactions", "40", "-l", "2", "--json"}, &out, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d JSON lines, want 10 (5 phases x 2 loops):\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		var r struct {
			Phase  string `json:"phase"`
			Ops    int64  `json:"ops"`
			Errors int64  `json:"errors"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if r.Ops != 2*40*3 || r.Errors != 0 {
			t.Fatalf("phase %s: %d ops, %d errors", r.Phase, r.Ops, r.Errors)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"flexasync"}, "give -c HOST:PORT"},
		{[]string{"flexasync", "-c", "localhost:1", "--embedded"}, "can't be mixed"},
		{[]string{"flexasync", "--embedded", "-t", "0"}, "-t 0"},
		{[]string{"flexasync", "--embedded", "extra"}, "unexpected argument"},
		{[]string{"nosuch"}, "unknown benchmark"},
	} {
		var out bytes.Buffer
		err := runBench(tt.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}
