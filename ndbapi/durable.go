package ndbapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
)

// DurableRetryInterval is how long WaitDurable waits for one data node's
// answer before it asks again (another node, if that one failed).
const DurableRetryInterval = time.Second

// WaitDurable returns once epoch gci is durable on every data node: its
// redo logs are synced to disk and their sysfiles record it, so that a
// crash of the whole cluster loses no transaction that committed in gci or
// before (Transaction.GCI). That happens at the next GCP save, within
// about TimeBetweenGlobalCheckPoints. It asks one data node and asks again
// every DurableRetryInterval until ctx ends. A diskless cluster answers
// with NDB error 9010.
func (c *Cluster) WaitDurable(ctx context.Context, gci uint64) error {
	if gci == 0 {
		return newError(ndberr.ErrAPIUsage.Code, -1, 0, "WaitDurable: GCI 0 (the transaction did not commit)")
	}
	var w signal.FrameWriter
	for {
		node, ok := c.chooseTC(0)
		if !ok {
			return newError(ndberr.ErrClusterUnavailable.Code, -1, 0, "WaitDurable: no data node connected")
		}
		id, ch := c.durable.register()
		s := signal.Signal{Number: gsn.GCP_WAITSAVEDREQ, TransID: uint64(c.self) << 48,
			Sender: signal.Address{Node: c.self, Block: gsn.BlockAPI}, Receiver: signal.Address{Node: node, Block: gsn.BlockDIH}}
		s.SetWords(uint32(gci), uint32(gci>>32), id)
		w.Reset()
		if err := w.Add(&s); err != nil {
			c.durable.unregister(id)
			return fmt.Errorf("ndbapi: WaitDurable: %w", err)
		}
		err := c.tr.Send(node, w.Bytes())
		if err != nil && !errors.Is(err, transport.ErrOverloaded) {
			c.durable.unregister(id)
			return newError(ndberr.ErrSendFailed.Code, -1, uint16(node), fmt.Sprintf("WaitDurable: %v", err))
		}
		timer := time.NewTimer(DurableRetryInterval)
		select {
		case r := <-ch:
			timer.Stop()
			if r.code != 0 {
				return newError(int(r.code), -1, uint16(node), fmt.Sprintf("WaitDurable(%d)", gci))
			}
			return nil
		case <-ctx.Done():
			timer.Stop()
			c.durable.unregister(id)
			return ctx.Err()
		case <-timer.C:
			c.durable.unregister(id) // lost with its node, or slow: ask again
		}
	}
}

// durableWaits routes GCP_WAITSAVEDCONF to the WaitDurable call waiting
// for it, by request id. Not on any hot path: a mutex and a map.
type durableWaits struct {
	mu    sync.Mutex
	seq   uint32
	calls map[uint32]chan durableReply
}

type durableReply struct {
	gci  uint64
	code uint32
}

func (d *durableWaits) register() (uint32, chan durableReply) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls == nil {
		d.calls = map[uint32]chan durableReply{}
	}
	d.seq++
	ch := make(chan durableReply, 1)
	d.calls[d.seq] = ch
	return d.seq, ch
}

func (d *durableWaits) unregister(id uint32) {
	d.mu.Lock()
	delete(d.calls, id)
	d.mu.Unlock()
}

// deliver runs on the transporter's receive goroutine.
func (d *durableWaits) deliver(v *signal.View) {
	if v.NumWords() < 4 {
		return // malformed: no call to wake
	}
	id := v.Word(2)
	d.mu.Lock()
	ch := d.calls[id]
	delete(d.calls, id)
	d.mu.Unlock()
	if ch != nil {
		ch <- durableReply{gci: uint64(v.Word(0)) | uint64(v.Word(1))<<32, code: v.Word(3)}
	}
}
