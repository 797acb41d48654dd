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
		{[]string{"hlr"}, "give -c HOST:PORT"},
		{[]string{"hlr", "--embedded", "--mix", "location-update=90"}, "add up to 90%"},
		{[]string{"hlr", "--embedded", "--half-peak", "--rate", "100"}, "leave out --rate"},
		{[]string{"hlr", "--embedded", "--subscribers", "0"}, "subscribers must be at least 1"},
	} {
		var out bytes.Buffer
		err := runBench(tt.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestBenchHLREmbedded loads subscribers into an in-process cluster, runs
// the mix flat out and at half its peak, and checks every transaction
// type ran without errors (each read checks the subscriber it got).
func TestBenchHLREmbedded(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runBench([]string{"hlr", "--embedded", "--subscribers", "3000", "-t", "2", "-p", "16",
		"--duration", "300ms", "--half-peak", "--json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d JSON lines, want 10 (2 runs x (4 types + all)):\n%s", len(lines), out.String())
	}
	var peak float64
	for _, l := range lines {
		var r struct {
			Run      string  `json:"run"`
			Rate     float64 `json:"target_tx_per_sec"`
			Type     string  `json:"type"`
			Txs      int64   `json:"transactions"`
			Errors   int64   `json:"errors"`
			TxPerSec float64 `json:"tx_per_sec"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if r.Txs == 0 || r.Errors != 0 {
			t.Fatalf("%s %s: %d transactions, %d errors", r.Run, r.Type, r.Txs, r.Errors)
		}
		if r.Run == "peak" && r.Type == "all" {
			peak = r.TxPerSec
		}
		if r.Run == "half-peak" && r.Rate != peak/2 {
			t.Fatalf("half-peak run targets %v tx/s, want half of %v", r.Rate, peak)
		}
	}
	if !strings.Contains(errOut.String(), "loaded 3000 of 3000 subscribers") {
		t.Fatalf("no load progress:\n%s", errOut.String())
	}
}
