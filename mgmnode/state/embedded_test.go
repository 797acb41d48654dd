package state

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink written by etcd's goroutines and read by the
// test.
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

// An embedded etcd keeps the state across a restart of the mgmd (on new
// ports), serves other clients while it runs, and logs through slog.
func TestOpenEmbeddedRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd") // made private by OpenEmbedded
	var logs syncBuffer
	opts := EmbeddedOptions{Options: Options{
		ClusterName: "c1",
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}}
	s, err := OpenEmbedded(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Embedded() || len(s.Endpoints()) != 1 || !strings.HasPrefix(s.Endpoints()[0], "http://127.0.0.1:") {
		t.Fatalf("embedded %v endpoints %v; want one 127.0.0.1 URL", s.Embedded(), s.Endpoints())
	}
	if s.Prefix() != "/gondb/c1/" {
		t.Fatalf("prefix %q", s.Prefix())
	}
	ctx := tctx(t)
	if _, err := s.PutConfig(ctx, "cfg", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTable(ctx, "t1", []byte("def")); err != nil {
		t.Fatal(err)
	}
	// Another mgmd reaches it through its client URL.
	other := openClient(t, s.Endpoints(), Options{ClusterName: "c1"})
	if c, err := other.Config(ctx); err != nil || c.Text != "cfg" {
		t.Fatalf("other mgmd: %+v, %v", c, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A clean start and stop says it is ready, without etcd's benign
	// warnings or its complaints about being stopped (errors). Warnings of
	// a slow disk may appear on a loaded machine.
	out := logs.String()
	if !strings.Contains(out, "embedded etcd ready") || strings.Contains(out, "level=ERROR") {
		t.Errorf("slog output of a clean start and stop:\n%s", out)
	}
	for _, never := range []string{"single port", "simple token", "check file permission"} {
		if strings.Contains(out, never) {
			t.Errorf("log has %q:\n%s", never, out)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, %v; want 0700", fi.Mode(), err)
	}

	s, err = OpenEmbedded(dir, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if c, err := s.Config(ctx); err != nil || c.Text != "cfg" || c.Generation != 1 {
		t.Fatalf("config after restart: %+v, %v", c, err)
	}
	if tb, err := s.Table(ctx, "t1"); err != nil || string(tb.Definition) != "def" {
		t.Fatalf("table after restart: %+v, %v", tb, err)
	}
	if tb, err := s.CreateTable(ctx, "t2", nil); err != nil || tb.ID != 2 {
		t.Fatalf("create after restart: %+v, %v; want id 2", tb, err)
	}
}

// Given URLs are used as they are.
func TestOpenEmbeddedFixedURLs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second embedded etcd; skipped in -short mode")
	}
	client, err := urlOrFree("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenEmbedded(t.TempDir(), EmbeddedOptions{
		Options:       Options{Logger: quietLogger()},
		ClientURL:     client.String(),
		UnsafeNoFsync: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Endpoints(); len(got) != 1 || got[0] != client.String() {
		t.Fatalf("endpoints %v, want [%s]", got, client)
	}
	if s.Prefix() != "/gondb/default/" {
		t.Fatalf("default prefix %q", s.Prefix())
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		open func() (*Store, error)
	}{
		{"embedded without a dir", func() (*Store, error) { return OpenEmbedded("", EmbeddedOptions{}) }},
		{"embedded with a bad URL", func() (*Store, error) {
			return OpenEmbedded(t.TempDir(), EmbeddedOptions{ClientURL: "::nonsense"})
		}},
		{"embedded with a bad cluster name", func() (*Store, error) {
			return OpenEmbedded(t.TempDir(), EmbeddedOptions{Options: Options{ClusterName: "a/b"}})
		}},
		{"external without endpoints", func() (*Store, error) { return OpenExternal(nil, Options{}) }},
		{"external with a bad prefix", func() (*Store, error) {
			return OpenExternal([]string{"http://127.0.0.1:1"}, Options{Prefix: "noslash"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.open()
			if !errors.Is(err, ErrInvalidArgument) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("err %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// Nothing listens: OpenExternal fails within the dial timeout instead of
// returning a Store that fails later.
func TestOpenExternalUnreachable(t *testing.T) {
	u, err := urlOrFree("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenExternal([]string{u.String()}, Options{Logger: quietLogger(), DialTimeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("OpenExternal on a closed port succeeded")
	}
}
