package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gondb/gondb/mgmnode/mgmtest"
)

// Bad flags and configurations end gondb datanode and gondb demo with
// status 1 and a one-line reason, before anything starts.
func TestDatanodeAndDemoFlags(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	restartDir := t.TempDir()
	f, err := parseDemoFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restartDir, "config.ini"), []byte(demoConfig(f, restartDir, 1186, []int{2001, 2002})), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"datanode", "--help"}, 0, "--ndb-nodeid", ""},
		{[]string{"datanode", "--bogus"}, 1, "", "gondb datanode: flag provided but not defined: -bogus"},
		{[]string{"datanode", "-c", "127.0.0.1:1", "extra"}, 1, "", `unexpected argument "extra"`},
		{[]string{"datanode", "--ndb-nodeid", "300"}, 1, "", "--ndb-nodeid 300 is not a node id (1..255)"},
		{[]string{"datanode", "-c", "a:1:2"}, 1, "", `connect string "a:1:2"`},
		{[]string{"datanode", "--http-port", "1", "--http-addr", "127.0.0.1:1"}, 1, "", "--http-addr and --http-port both given"},
		{[]string{"datanode", "--http-port", "70000"}, 1, "", "--http-port 70000 out of range"},
		{[]string{"datanode", "--connect-retries", "-1"}, 1, "", "--connect-retries must not be negative"},
		{[]string{"datanode", "-c", "127.0.0.1:1", "--connect-retries", "0"}, 1, "", "no management server answered"},
		{[]string{"datanode", "-c", c.ConnectString, "--ndb-nodeid", "1"}, 1, "", "gondb datanode: "},
		{[]string{"datanode", "-c", c.ConnectString, "--ndb-nodeid", "9"}, 1, "", "gondb datanode: "},

		{[]string{"demo", "--help"}, 0, "ready:", ""},
		{[]string{"demo", "--bogus"}, 1, "", "gondb demo: flag provided but not defined: -bogus"},
		{[]string{"demo", "extra"}, 1, "", `unexpected argument "extra"`},
		{[]string{"demo", "--data-nodes", "3"}, 1, "", "--data-nodes 3 is not a multiple of --replicas 2"},
		{[]string{"demo", "--data-nodes", "0"}, 1, "", "--data-nodes 0 out of range (allowed 1..48)"},
		{[]string{"demo", "--replicas", "5", "--data-nodes", "5"}, 1, "", "--replicas 5 out of range (allowed 1..4)"},
		{[]string{"demo", "--mgm-port", "70000"}, 1, "", "--mgm-port 70000 out of range"},
		{[]string{"demo", "--sql-port", "-1"}, 1, "", "--sql-port -1 out of range"},
		{[]string{"demo", "--http-port", "65535"}, 1, "", "--http-port 65535 out of range (allowed 0..65533 with 2 data nodes"},
		{[]string{"demo", "--log-level", "loud"}, 1, "", `--log-level "loud": want debug, info, warn or error`},
		{[]string{"demo", "--data-memory", "5X"}, 1, "", "DataMemory"},
		{[]string{"demo", "--datadir", restartDir, "--data-nodes", "4"}, 1, "", "--data-nodes 4 differs from the cluster in " + restartDir},
		{[]string{"demo", "--datadir", restartDir, "--mgm-port", "1187"}, 1, "", "--mgm-port 1187 differs"},
		{[]string{"demo", "--datadir", restartDir, "--data-memory", "1G"}, 1, "", "--data-memory applies to a new cluster"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: exit %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
		if strings.Count(out.String(), "usage:") > 1 {
			t.Errorf("gondb %v: usage printed more than once:\n%s", tt.args, out.String())
		}
		if code != 0 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Errorf("gondb %v: the reason is not one line: %q", tt.args, errb.String())
		}
	}
}

// A second demo on the same datadir is refused at once.
func TestDemoDirLock(t *testing.T) {
	dir := t.TempDir()
	release, err := lockDemoDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDemoDir(dir); err == nil || !strings.Contains(err.Error(), "is in use by another gondb demo (pid ") {
		t.Fatalf("second lock: %v", err)
	}
	release()
	release, err = lockDemoDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}
