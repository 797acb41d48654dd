package main

import (
	"bytes"
	"strings"
	"testing"
)

// Bad gondb sqlnode flags end it with status 1 and a one-line reason,
// before it connects; --help lists every flag.
func TestSQLNodeFlags(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"sqlnode", "--help"}, 0, "-auto-increment-prefetch", ""},
		{[]string{"sqlnode", "--help"}, 0, "-no-fast-path", ""},
		{[]string{"sqlnode", "--auto-increment-prefetch", "0"}, 1, "", "gondb sqlnode: --auto-increment-prefetch 0 out of range (allowed 1..65536)"},
		{[]string{"sqlnode", "--auto-increment-prefetch", "65537"}, 1, "", "--auto-increment-prefetch 65537 out of range"},
		{[]string{"sqlnode", "--auto-increment-prefetch", "x"}, 1, "", "invalid value \"x\" for flag -auto-increment-prefetch"},
		{[]string{"sqlnode", "--no-fast-path=maybe"}, 1, "", "invalid boolean value \"maybe\" for -no-fast-path"},
		{[]string{"sqlnode", "--port", "70000"}, 1, "", "--port 70000 out of range"},
		{[]string{"sqlnode", "--no-fast-path", "extra"}, 1, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: code %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}
