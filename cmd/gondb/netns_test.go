//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// twoHosts is a network of two "hosts" made of Linux network namespaces,
// for tests that cut the network between data nodes:
//
//	        root namespace (this test, the management server)
//	        10.X.1.1 |                      | 10.X.2.1
//	         veth <p>ra                    veth <p>rb
//	        10.X.1.2 |                      | 10.X.2.2
//	namespace <p>a ("host A")        namespace <p>b ("host B")
//	        10.X.3.1 +--- veth <p>ab / <p>ba ---+ 10.X.3.2
//
// Each host's address (HostName in config.ini) is its end of the direct
// link A-B, which carries the data nodes' transporter traffic. A reaches
// the root namespace by a /32 route with that address as source (so the
// management server sees connections from the configured host), and the
// root namespace reaches each host's address by a /32 route over that
// host's veth: the test's API node talks to both data nodes whatever
// happens to the link between them. A host has no route to the other's
// address except the direct link, so cutting it (Cut) partitions A from B
// while both still reach the root namespace. Addresses stay local to
// their namespace when the link is down, so the hosts keep their
// addresses.
type twoHosts struct {
	ip     string // the ip binary
	prefix string // "gp<pid>": every name made here starts with it
	ns     [2]string
	link   [2]string // each host's end of the direct link
	host   [2]string // each host's address (10.X.3.1, 10.X.3.2)
	root   [2]string // the root namespace's address as each host sees it
	made   int       // namespaces made so far (ns[:made])
}

// netnsNameRE and rootEndRE match the namespaces and the root
// namespace's veth ends that newTwoHosts makes; the number is the pid of
// the test process that made them.
var (
	netnsNameRE = regexp.MustCompile(`^gp(\d+)[ab]$`)
	rootEndRE   = regexp.MustCompile(`^gp(\d+)r[ab]$`)
)

// newTwoHosts builds the network and removes it in t.Cleanup (register it
// before starting processes in it, so that they are stopped first). It
// skips the test when the machine cannot: not root, no ip binary, or
// `ip netns add` refused (no CAP_SYS_ADMIN, as in many CI containers).
func newTwoHosts(t *testing.T) *twoHosts {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces (ip netns add)")
	}
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("needs the ip command (iproute2) to make network namespaces")
	}
	h := &twoHosts{ip: ipBin, prefix: fmt.Sprintf("gp%d", os.Getpid())}
	h.sweep(t)
	h.ns = [2]string{h.prefix + "a", h.prefix + "b"}

	// Namespaces first: a refusal of the first means the machine cannot,
	// so skip.
	if out, err := exec.Command(ipBin, "netns", "add", h.ns[0]).CombinedOutput(); err != nil {
		t.Skipf("ip netns add refused (no CAP_SYS_ADMIN?): %v: %s", err, strings.TrimSpace(string(out)))
	}
	h.made = 1
	t.Cleanup(func() { h.remove(t) })
	h.must(t, "netns", "add", h.ns[1])
	h.made = 2

	x := h.freeSubnet(t)
	rootEnd := [2]string{h.prefix + "ra", h.prefix + "rb"}
	hostEnd := [2]string{h.prefix + "va", h.prefix + "vb"}
	h.link = [2]string{h.prefix + "ab", h.prefix + "ba"}
	h.host = [2]string{fmt.Sprintf("10.%d.3.1", x), fmt.Sprintf("10.%d.3.2", x)}
	for i := range 2 {
		ns := h.ns[i]
		h.root[i] = fmt.Sprintf("10.%d.%d.1", x, i+1)
		h.must(t, "link", "add", rootEnd[i], "type", "veth", "peer", "name", hostEnd[i])
		h.must(t, "link", "set", hostEnd[i], "netns", ns)
		h.must(t, "addr", "add", h.root[i]+"/24", "dev", rootEnd[i])
		h.must(t, "link", "set", rootEnd[i], "up")
		h.must(t, "-n", ns, "link", "set", "lo", "up")
		h.must(t, "-n", ns, "addr", "add", fmt.Sprintf("10.%d.%d.2/24", x, i+1), "dev", hostEnd[i])
		h.must(t, "-n", ns, "link", "set", hostEnd[i], "up")
	}
	h.must(t, "link", "add", h.link[0], "type", "veth", "peer", "name", h.link[1])
	for i := range 2 {
		h.must(t, "link", "set", h.link[i], "netns", h.ns[i])
		h.must(t, "-n", h.ns[i], "addr", "add", h.host[i]+"/24", "dev", h.link[i])
		h.must(t, "-n", h.ns[i], "link", "set", h.link[i], "up")
	}
	for i := range 2 {
		// Root to host i's address, and host i to the root namespace from
		// its address.
		h.must(t, "route", "add", h.host[i]+"/32", "dev", rootEnd[i], "src", h.root[i])
		h.must(t, "-n", h.ns[i], "route", "add", h.root[i]+"/32", "dev", hostEnd[i], "src", h.host[i])
	}
	t.Logf("network: namespaces %s (%s) and %s (%s), linked directly by %s-%s; the root namespace at %s and %s",
		h.ns[0], h.host[0], h.ns[1], h.host[1], h.link[0], h.link[1], h.root[0], h.root[1])
	return h
}

// must runs ip with args and fails the test on an error.
func (h *twoHosts) must(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(h.ip, args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
}

// freeSubnet picks X for 10.X.0.0/16 that no address or route of the
// root namespace uses yet.
func (h *twoHosts) freeSubnet(t *testing.T) int {
	t.Helper()
	addrs, err1 := exec.Command(h.ip, "-4", "-o", "addr", "show").Output()
	routes, err2 := exec.Command(h.ip, "-4", "route", "show", "table", "all").Output()
	if err1 != nil || err2 != nil {
		t.Fatalf("listing the root namespace's addresses and routes: %v %v", err1, err2)
	}
	used := string(addrs) + string(routes)
	start := 64 + os.Getpid()%128
	for i := range 128 {
		x := 64 + (start-64+i)%128
		if !strings.Contains(used, fmt.Sprintf("10.%d.", x)) {
			return x
		}
	}
	t.Fatal("no free 10.X.0.0/16 between 10.64 and 10.191")
	return 0
}

// sweep removes the namespaces and root veth ends that an earlier test
// process, now gone, left behind (it was killed before its cleanup ran).
// Its data nodes died with it (startOrphanProof). A namespace whose name
// is gone may live on for a while (sockets of the killed nodes still
// closing hold it), so the root ends are deleted by name too.
func (h *twoHosts) sweep(t *testing.T) {
	stale := func(name string, re *regexp.Regexp) bool {
		m := re.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, _ := strconv.Atoi(m[1])
		return pid != os.Getpid() && syscall.Kill(pid, 0) != nil
	}
	del := func(args ...string) {
		if out, err := exec.Command(h.ip, args...).CombinedOutput(); err != nil {
			t.Logf("removing what a killed test left: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		} else {
			t.Logf("removed what a killed test left: ip %s", strings.Join(args, " "))
		}
	}
	if out, err := exec.Command(h.ip, "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && stale(f[0], netnsNameRE) {
				del("netns", "del", f[0])
			}
		}
	}
	if out, err := exec.Command(h.ip, "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			// "182: gp123ra@if181: <...> ..."
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if stale(name, rootEndRE) {
				del("link", "del", name)
			}
		}
	}
}

// remove deletes the namespaces, which deletes the veth pairs (both ends)
// and the routes over them.
func (h *twoHosts) remove(t *testing.T) {
	for _, ns := range h.ns[:h.made] {
		if out, err := exec.Command(h.ip, "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns, err, strings.TrimSpace(string(out)))
		}
	}
	// The root ends go with their peers; make sure, and say if not.
	for _, end := range []string{h.prefix + "ra", h.prefix + "rb"} {
		if exec.Command(h.ip, "link", "show", end).Run() == nil {
			if out, err := exec.Command(h.ip, "link", "del", end).CombinedOutput(); err != nil {
				t.Errorf("ip link del %s: %v: %s", end, err, strings.TrimSpace(string(out)))
			}
		}
	}
}

// Cut takes both ends of the direct link down: each host keeps its
// address and its link to the root namespace, but nothing passes between
// them.
func (h *twoHosts) Cut(t *testing.T) {
	t.Helper()
	for i := range 2 {
		h.must(t, "-n", h.ns[i], "link", "set", h.link[i], "down")
	}
}

// start runs bin with args in host i's namespace (ip netns exec execs
// bin, so the process is bin itself), as startOrphanProof does.
func (h *twoHosts) start(t *testing.T, i int, bin, name string, args ...string) *process {
	t.Helper()
	argv := append([]string{"netns", "exec", h.ns[i], bin}, args...)
	return startOrphanProof(t, h.ip, name, argv...)
}

// startOrphanProof is startProcess for a child that must not outlive the
// test process even when that is killed before its cleanup runs (a test
// time-out, kill -9): the kernel sends the child SIGKILL when the thread
// that started it exits (Pdeathsig; Go keeps its threads until the
// process ends).
func startOrphanProof(t *testing.T, bin, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return startCmd(t, name, cmd)
}

// waitCond polls cond every 50 ms until it holds, failing the test with
// what cond last said after timeout.
func waitCond(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, said := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v: %s", what, timeout, said)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
