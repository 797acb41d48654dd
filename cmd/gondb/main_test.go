package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunCommands(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, 0, "usage: gondb", ""},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"demo", "--help"}, 0, "usage: gondb demo", ""},
		{[]string{"datanode", "--help"}, 0, "usage: gondb datanode", ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: code %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
	}
}
