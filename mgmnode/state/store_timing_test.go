package state

import (
	"context"
	"fmt"
	"testing"
)

// The management node's operations against the shared embedded etcd
// (fsync off, so these measure the client, the transactions and etcd's
// apply path, not the disk).

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := pair(b, sharedEndpoints(b), Options{})
	return s
}

func BenchmarkReportNodeState(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	if _, err := s.RegisterNode(ctx, NodeInfo{ID: 1, Kind: KindData, Host: "h"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.ReportNodeState(ctx, 1, StateStarting, i%8); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAllocateReleaseNodeID(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := s.AllocateNodeID(ctx, KindAPI, "h1", testSlots)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.ReleaseNodeID(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenewNodeID(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	l, err := s.AllocateNodeID(ctx, KindAPI, "h1", testSlots)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.RenewNodeID(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateTable(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	def := make([]byte, 512)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.CreateTable(ctx, fmt.Sprintf("t%d", i), def); err != nil {
			b.Fatal(err)
		}
	}
}

// A new round each time: read, lease, transaction.
func BenchmarkArbitrateNewRound(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := uint64(1); b.Loop(); i++ {
		if ok, err := s.Arbitrate(ctx, ArbitrationRequest{Ticket: i, Requester: 1, SideNodes: []uint32{1, 2}}); !ok {
			b.Fatal(err)
		}
	}
}
