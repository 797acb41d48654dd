package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe for the mgmd goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	p := filepath.Join(dir, "config.ini")
	text := fmt.Sprintf(`[ndbd default]
NoOfReplicas=2
DataMemory=16M
DataDir=%s

[ndb_mgmd]
NodeId=1
HostName=127.0.0.1
PortNumber=%d
DataDir=%s

[ndbd]
NodeId=2
HostName=127.0.0.1
[ndbd]
NodeId=3
HostName=127.0.0.1
[api]
%s`, dir, freePort(t), dir, extra)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var readyRE = regexp.MustCompile(`ready: mgmd node (\d+) serving the management API on (\S+) \(configuration generation (\d+), (.*)\)`)

// startMgmd runs `gondb mgmd args...` in the background and waits for its
// ready line; it returns the API address, the generation and a channel
// with its exit code.
func startMgmd(t *testing.T, args ...string) (string, string, <-chan int) {
	t.Helper()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(append([]string{"mgmd"}, args...), &out, &errb) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := readyRE.FindStringSubmatch(out.String()); m != nil {
			return m[2], m[3], done
		}
		select {
		case code := <-done:
			t.Fatalf("gondb mgmd %v exited %d before it was ready\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gondb mgmd %v: no ready line\nstdout:\n%s\nstderr:\n%s", args, out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitExit(t *testing.T, done <-chan int) {
	t.Helper()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("gondb mgmd exited %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("gondb mgmd did not exit after SHUTDOWN")
	}
}

// gondb mgmd with an embedded etcd: it starts, serves SHOW, stops on
// SHUTDOWN, and a restart keeps the stored configuration unless
// --initial says otherwise.
func TestMgmdEmbedded(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	addr, gen, done := startMgmd(t, "-f", cfg, "--bind-address", "127.0.0.1:0")
	if gen != "1" {
		t.Errorf("first start: generation %s", gen)
	}
	if _, err := os.Stat(filepath.Join(dir, "gondb_1_etcd")); err != nil {
		t.Errorf("embedded etcd not under DataDir: %v", err)
	}
	out := mustMgm(t, "-c", addr, "-e", "SHOW")
	if !strings.Contains(out, "[ndbd(NDB)]\t2 node(s)\nid=2 (not connected, accepting connect from 127.0.0.1)") ||
		!strings.Contains(out, "[ndb_mgmd(MGM)]\t1 node(s)\nid=1\t@127.0.0.1  (gondb-"+version+")") {
		t.Fatalf("SHOW:\n%s", out)
	}
	if out := mustMgm(t, "-c", addr, "-e", "SHUTDOWN"); !strings.Contains(out, "0 NDB Cluster node(s) have shutdown.") {
		t.Fatalf("SHUTDOWN:\n%s", out)
	}
	waitExit(t, done)

	// A changed file without --initial: the stored generation is kept.
	cfg = writeConfig(t, dir, "[api]\n")
	addr, gen, done = startMgmd(t, "-f", cfg, "--bind-address", "127.0.0.1:0")
	if gen != "1" {
		t.Errorf("restart without --initial: generation %s, want 1", gen)
	}
	if out := mustMgm(t, "-c", addr, "-e", "SHOW"); !strings.Contains(out, "[mysqld(API)]\t1 node(s)") {
		t.Errorf("restart without --initial shows the file's slots:\n%s", out)
	}
	mustMgm(t, "-c", addr, "-e", "1 STOP")
	waitExit(t, done)

	// --initial loads it as generation 2; --configdir moves the etcd.
	addr, gen, done = startMgmd(t, "-f", cfg, "--bind-address", "127.0.0.1:0", "--initial")
	if gen != "2" {
		t.Errorf("restart with --initial: generation %s, want 2", gen)
	}
	if out := mustMgm(t, "-c", addr, "-e", "SHOW"); !strings.Contains(out, "[mysqld(API)]\t2 node(s)") {
		t.Errorf("after --initial:\n%s", out)
	}
	mustMgm(t, "-c", addr, "-e", "SHUTDOWN")
	waitExit(t, done)

	other := t.TempDir()
	addr, gen, done = startMgmd(t, "-f", cfg, "--bind-address", "127.0.0.1:0", "--configdir", other)
	if _, err := os.Stat(filepath.Join(other, "gondb_1_etcd")); err != nil || gen != "1" {
		t.Errorf("--configdir: %v, generation %s", err, gen)
	}
	mustMgm(t, "-c", addr, "-e", "SHUTDOWN")
	waitExit(t, done)
}

func TestMgmdFlagsAndConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "")
	bad := filepath.Join(dir, "bad.ini")
	os.WriteFile(bad, []byte("[ndbd]\nDataMemory=5X\nFoo=1\n"), 0o644)
	two := filepath.Join(dir, "two.ini")
	os.WriteFile(two, []byte(fmt.Sprintf("[ndbd default]\nNoOfReplicas=1\nDataDir=%s\n[ndb_mgmd]\nDataDir=%s\n[ndb_mgmd]\nDataDir=%s\nPortNumber=1187\n[ndbd]\n", dir, dir, dir)), 0o644)
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"mgmd", "--help"}, 0, "usage: gondb mgmd", ""},
		{[]string{"mgmd"}, 1, "", "-f config.ini is required"},
		{[]string{"mgmd", "--nope"}, 1, "", "flag provided but not defined: -nope"},
		{[]string{"mgmd", "-f", good, "extra"}, 1, "", `unexpected argument "extra"`},
		{[]string{"mgmd", "-f", filepath.Join(dir, "missing.ini")}, 1, "", "no such file"},
		{[]string{"mgmd", "-f", bad}, 1, "", "bad.ini:1: [ndbd] DataDir: required"},
		{[]string{"mgmd", "-f", two}, 1, "", "the configuration has 2 [ndb_mgmd] sections (ids 2, 3): say which this is with --ndb-nodeid"},
		{[]string{"mgmd", "-f", good, "--ndb-nodeid", "2"}, 1, "", "--ndb-nodeid 2 is not an [ndb_mgmd] of the configuration"},
		{[]string{"mgmd", "-f", good, "--ndb-nodeid", "300"}, 1, "", "--ndb-nodeid 300 is not a node id"},
		{[]string{"mgmd", "-f", good, "--configdir", dir, "--etcd-endpoints", "http://127.0.0.1:1"}, 1, "", "--configdir is for the embedded etcd"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("gondb %v: exit %d\nstdout %q\nstderr %q", tt.args, code, out.String(), errb.String())
		}
		if code != 0 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
			t.Errorf("gondb %v: the reason is not one line: %q", tt.args, errb.String())
		}
	}
}
