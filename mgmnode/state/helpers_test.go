package state

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One embedded etcd serves every test that does not test OpenEmbedded
// itself; each test takes its own cluster name, so its keys are its own.
var shared struct {
	once      sync.Once
	store     *Store
	dir       string
	err       error
	endpoints []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.store != nil {
		shared.store.Close()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// quietLogger drops everything below error; tests that check logging make
// their own.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func sharedEndpoints(t testing.TB) []string {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "gondb-state-etcd-")
		if shared.err != nil {
			return
		}
		shared.store, shared.err = OpenEmbedded(shared.dir, EmbeddedOptions{
			Options:       Options{ClusterName: "shared", Logger: quietLogger()},
			UnsafeNoFsync: true,
		})
		if shared.err == nil {
			shared.endpoints = shared.store.Endpoints()
		}
	})
	if shared.err != nil {
		t.Fatalf("shared embedded etcd: %v", shared.err)
	}
	return shared.endpoints
}

var clusterSeq atomic.Int64

// uniqueCluster makes a cluster name no other test uses.
func uniqueCluster(t testing.TB) string {
	r := strings.NewReplacer("/", "-", " ", "-", "#", "-")
	return fmt.Sprintf("%s-%d", r.Replace(t.Name()), clusterSeq.Add(1))
}

// openClient opens a Store on endpoints for cluster, closed when t ends.
func openClient(t testing.TB, endpoints []string, o Options) *Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	s, err := OpenExternal(endpoints, o)
	if err != nil {
		t.Fatalf("OpenExternal(%v): %v", endpoints, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pair opens two Stores of one new cluster on endpoints: two mgmds.
func pair(t testing.TB, endpoints []string, o Options) (*Store, *Store) {
	t.Helper()
	o.ClusterName = uniqueCluster(t)
	return openClient(t, endpoints, o), openClient(t, endpoints, o)
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startEtcdBinary runs the etcd binary on free 127.0.0.1 ports in a temp
// dir, or skips when there is none on PATH.
func startEtcdBinary(t *testing.T) []string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("no etcd binary on PATH; install Debian's etcd-server package to run the external etcd tests")
	}
	client, err := urlOrFree("")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := urlOrFree("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin,
		"--name", "ext",
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client.String(),
		"--advertise-client-urls", client.String(),
		"--listen-peer-urls", peer.String(),
		"--initial-advertise-peer-urls", peer.String(),
		"--initial-cluster", "ext="+peer.String(),
		"--initial-cluster-state", "new",
		"--logger", "zap",
		"--log-level", "warn",
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("etcd output:\n%s", out.String())
		}
	})
	endpoints := []string{client.String()}
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := OpenExternal(endpoints, Options{Logger: quietLogger(), DialTimeout: time.Second})
		if err == nil {
			s.Close()
			return endpoints
		}
		select {
		case <-done:
			t.Fatalf("etcd exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd at %v not ready: %v\n%s", endpoints, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recv takes the next event from ch, failing after a while.
func recv[E any](t testing.TB, ch <-chan E) E {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
	}
	panic("unreachable")
}
