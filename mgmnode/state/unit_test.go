package state

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestKindAndStateText(t *testing.T) {
	for _, k := range []NodeKind{KindData, KindMgm, KindSQL, KindAPI} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back NodeKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("kind %v: round trip %v, %v", k, back, err)
		}
	}
	for _, s := range []NodeState{StateNotConnected, StateStarting, StateStarted, StateStopping} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back NodeState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("state %v: round trip %v, %v", s, back, err)
		}
	}
	// The stored names are part of the format: pin them.
	pins := map[string]string{
		KindData.String(): "data", KindMgm.String(): "mgm", KindSQL.String(): "sql", KindAPI.String(): "api",
		StateNotConnected.String(): "NOT_CONNECTED", StateStarting.String(): "STARTING",
		StateStarted.String(): "STARTED", StateStopping.String(): "STOPPING",
		KindAPI.Section(): "[api]", KindSQL.Section(): "[mysqld]",
	}
	for got, want := range pins {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
	if _, err := NodeKind(0).MarshalText(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("kind 0 marshals: %v", err)
	}
	var k NodeKind
	if err := k.UnmarshalText([]byte("ndbd")); err == nil {
		t.Error("unknown kind name accepted")
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero takes defaults", Options{}, true},
		{"named cluster", Options{ClusterName: "prod-1"}, true},
		{"slash in cluster name", Options{ClusterName: "a/b"}, false},
		{"space in cluster name", Options{ClusterName: "a b"}, false},
		{"prefix without trailing slash", Options{Prefix: "/gondb/x"}, false},
		{"relative prefix", Options{Prefix: "gondb/x/"}, false},
		{"custom prefix", Options{Prefix: "/team/db/"}, true},
		{"negative timeout", Options{RequestTimeout: -1}, false},
		{"lease under a second", Options{NodeIDLeaseTTL: 500 * time.Millisecond}, false},
		{"negative arbitration timeout", Options{ArbitrationTimeout: -time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.o
			err := tc.o.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidArgument)) {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if tc.o != before {
				t.Fatal("Validate changed the options")
			}
		})
	}
	if r := (Options{ClusterName: "x"}).resolved(); r.Prefix != "/gondb/x/" || r.RequestTimeout != DefaultOptions().RequestTimeout {
		t.Fatalf("resolved = %+v", r)
	}
}

func TestTTLSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {7500 * time.Millisecond, 8}} {
		if got := ttlSeconds(tc.d); got != tc.want {
			t.Errorf("ttlSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// Keys are part of the format (doc.go's table): pin them.
func TestKeyLayout(t *testing.T) {
	k := keys{p: "/gondb/c/"}
	for got, want := range map[string]string{
		k.config():         "/gondb/c/config",
		k.node(7):          "/gondb/c/nodes/007",
		k.nodeID(255):      "/gondb/c/nodeids/255",
		k.table(42):        "/gondb/c/dict/tables/0000000042",
		k.tableName("d/t"): "/gondb/c/dict/names/d/t",
		k.nextTableID():    "/gondb/c/dict/nextid",
		k.arbRound():       "/gondb/c/arbitration/round",
		k.arbGrant():       "/gondb/c/arbitration/grant",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	if id, err := idFromKey(k.table(42)); err != nil || id != 42 {
		t.Errorf("idFromKey = %d, %v", id, err)
	}
	if _, err := idFromKey("/gondb/c/nodes/x"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("idFromKey(junk) = %v, want ErrCorrupt", err)
	}
}

func TestNodeIDErrorMessages(t *testing.T) {
	tests := []struct {
		err  *NodeIDError
		is   error
		want string
	}{
		{&NodeIDError{Kind: KindAPI, Host: "h", Slots: 5, Matching: 2, err: ErrNoFreeNodeID}, ErrNoFreeNodeID,
			`all 2 [api] slots open to this host are in use (5 slots in the config)`},
		{&NodeIDError{Kind: KindSQL, Host: "h", Slots: 5, err: ErrNoFreeNodeID}, ErrNoFreeNodeID,
			`none of the 5 slots in the config is a [mysqld] slot open to this host`},
		{&NodeIDError{Kind: KindData, ID: 3, HolderHost: "h2", err: ErrNodeIDInUse}, ErrNodeIDInUse,
			`node id 3 is in use by a data node on host "h2"`},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.is) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%v: want errors.Is %v and text %q", tc.err, tc.is, tc.want)
		}
	}
}

// etcd's zap logging arrives in slog with its fields, below the floor
// dropped.
func TestSlogCore(t *testing.T) {
	var buf syncBuffer
	l := zap.New(newSlogCore(slog.New(slog.NewTextHandler(&buf, nil)), zap.WarnLevel, "etcd")).
		Named("raft").With(zap.String("member", "m1"))
	l.Info("chatty")
	l.Warn("slow fdatasync", zap.Duration("took", 2*time.Second), zap.Int("n", 3))
	l.Error("lost leader", zap.Error(errors.New("boom")))
	out := buf.String()
	for _, want := range []string{
		"level=WARN msg=\"slow fdatasync\" component=etcd member=m1 logger=raft n=3 took=2s",
		"level=ERROR msg=\"lost leader\" component=etcd member=m1 logger=raft error=boom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "chatty") {
		t.Errorf("info line passed the warn floor:\n%s", out)
	}
	if c := newSlogCore(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})), zap.WarnLevel, "x"); c.Enabled(zap.WarnLevel) {
		t.Error("core enabled below the handler's level")
	}
}
