package datanodeproc

import (
	"strconv"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// The data node's gondb_* metrics (docs/metrics.md). Counters add up
// every runtime this process ran, so they only grow across STOP and
// START; gauges are the running runtime's, 0 while it is not started.
var (
	descStarted = prometheus.NewDesc("gondb_datanode_started",
		"1 when the data node is STARTED, else 0.", nil, nil)
	descStartPhase = prometheus.NewDesc("gondb_datanode_start_phase",
		"The last start phase completed while the node is STARTING (1..4); 0 otherwise.", nil, nil)
	descStarts = prometheus.NewDesc("gondb_datanode_starts_total",
		"Times this process started the data node's runtime (the first start, then START and RESTART).", nil, nil)
	descCommits = prometheus.NewDesc("gondb_tc_commits_total",
		"Transactions this node's TC committed.", nil, nil)
	descAborts = prometheus.NewDesc("gondb_tc_aborts_total",
		"Transactions this node's TC aborted.", nil, nil)
	descOpenTx = prometheus.NewDesc("gondb_tc_open_transactions",
		"Transactions open in this node's TC.", nil, nil)
	descOpenOps = prometheus.NewDesc("gondb_lqh_open_operations",
		"Operation records held by this node's LQH (prepared, not yet completed).", nil, nil)
	descEpoch = prometheus.NewDesc("gondb_gcp_epoch",
		"This node's current global checkpoint epoch (GCI).", nil, nil)
	descCompleted = prometheus.NewDesc("gondb_gcp_completed_epoch",
		"The last epoch this node knows to be complete on every data node.", nil, nil)
	descRounds = prometheus.NewDesc("gondb_gcp_rounds_total",
		"Global checkpoint rounds this node took part in.", nil, nil)
	descSaved = prometheus.NewDesc("gondb_gcp_saved_gci",
		"The last epoch durable on every data node (GCP save: redo synced and sysfile written everywhere).", nil, nil)
	descRestored = prometheus.NewDesc("gondb_gcp_restored_gci",
		"The GCI this node restored at its start from its own disk (0: an initial start).", nil, nil)
	descSaves = prometheus.NewDesc("gondb_gcp_saves_total",
		"GCP saves this node completed as master.", nil, nil)
	descRows = prometheus.NewDesc("gondb_lqh_rows",
		"Committed rows in this node's fragment replicas, hidden unique-index tables included.", nil, nil)
	descMemUsed = prometheus.NewDesc("gondb_datamemory_used_bytes",
		"DataMemory in use: pages handed out times the page size.", nil, nil)
	descMemTotal = prometheus.NewDesc("gondb_datamemory_total_bytes",
		"DataMemory configured (whole pages).", nil, nil)
	descLost = prometheus.NewDesc("gondb_signals_lost_total",
		"Signals the scheduler dropped: to an unknown block, or refused by the transporter (peer down or overloaded).", nil, nil)
	descPeer = prometheus.NewDesc("gondb_transporter_connected",
		"1 when the transporter to the peer node is connected, else 0 (data nodes and API slots).", []string{"peer"}, nil)
)

// The ndbinfo counters' metrics (docs/metrics.md). They count from the
// start of the running runtime: a STOP and START resets them, which
// Prometheus's rate() and increase() treat as a counter reset.
var (
	descTransactions = prometheus.NewDesc("gondb_tc_transactions_total",
		"Transactions started on this node's TC.", nil, nil)
	descTCOps = prometheus.NewDesc("gondb_tc_operations_total",
		"Key operations this node's TC sent to LQHs, by type (unique-index maintenance included).", []string{"type"}, nil)
	descTCScans = prometheus.NewDesc("gondb_tc_scans_total",
		"Scans this node's TC started, by kind (table or range: an ordered-index scan).", []string{"kind"}, nil)
	descAbortsByCode = prometheus.NewDesc("gondb_tc_aborts_by_code_total",
		"Transactions this node's TC aborted, by NDB error code (0: rolled back at the API's request; other: codes past the first 16).", []string{"code"}, nil)
	descLQHOps = prometheus.NewDesc("gondb_lqh_operations_total",
		"Key operations this node's LQH ran on its replicas, by type (a write counts on every replica).", []string{"type"}, nil)
	descLQHScans = prometheus.NewDesc("gondb_lqh_scans_total",
		"Fragment scans this node's LQH ran, by kind (table or range).", []string{"kind"}, nil)
	descScanRows = prometheus.NewDesc("gondb_lqh_scan_rows_total",
		"Rows this node's fragment scans returned.", nil, nil)
	descLockWaits = prometheus.NewDesc("gondb_lqh_lock_waits_total",
		"Key operations that waited for another transaction's row lock.", nil, nil)
	descMemFree = prometheus.NewDesc("gondb_datamemory_free_bytes",
		"DataMemory not in use: free pages times the page size.", nil, nil)
	descRedoUsed = prometheus.NewDesc("gondb_redo_used_bytes",
		"Redo log bytes between the tail local checkpoints released and the head, per log part.", []string{"part"}, nil)
	descRedoTotal = prometheus.NewDesc("gondb_redo_total_bytes",
		"Redo log size (its ring of files), per log part.", []string{"part"}, nil)
	descLCPRounds = prometheus.NewDesc("gondb_lcp_rounds_total",
		"Local checkpoint rounds completed while running.", nil, nil)
	descLCPFragments = prometheus.NewDesc("gondb_lcp_fragments_total",
		"Fragment local checkpoints completed while running.", nil, nil)
	descLCPBytes = prometheus.NewDesc("gondb_lcp_written_bytes_total",
		"Bytes local checkpoints wrote to disk while running.", nil, nil)
	descLCPActive = prometheus.NewDesc("gondb_lcp_active",
		"1 while a local checkpoint round runs, else 0.", nil, nil)
	descGCPLag = prometheus.NewDesc("gondb_gcp_lag_epochs",
		"Epochs between this node's current epoch and the last one durable on every node (0 on a diskless node).", nil, nil)
	descSentBytes = prometheus.NewDesc("gondb_transporter_sent_bytes_total",
		"Bytes sent to the peer node.", []string{"peer"}, nil)
	descRecvBytes = prometheus.NewDesc("gondb_transporter_received_bytes_total",
		"Bytes received from the peer node.", []string{"peer"}, nil)
	descSendQueue = prometheus.NewDesc("gondb_transporter_send_buffer_bytes",
		"Bytes queued for the peer node and not yet written.", []string{"peer"}, nil)
	descOverloads = prometheus.NewDesc("gondb_transporter_overloads_total",
		"Sends to the peer node refused because its send buffer was full.", []string{"peer"}, nil)
	descThreadRounds = prometheus.NewDesc("gondb_thread_rounds_total",
		"Rounds the worker thread ran.", []string{"thread"}, nil)
	descBusyRounds = prometheus.NewDesc("gondb_thread_busy_rounds_total",
		"Rounds the worker thread ran that found work; over gondb_thread_rounds_total, the thread's load.", []string{"thread"}, nil)
	descParks = prometheus.NewDesc("gondb_thread_parks_total",
		"Times the worker thread parked waiting for work.", []string{"thread"}, nil)
)

// opTypes names the operation types of the operations metrics, indexed
// by gsn.Op* number.
var opTypes = [...]string{gsn.OpRead: "read", gsn.OpReadExclusive: "read_exclusive", gsn.OpInsert: "insert",
	gsn.OpUpdate: "update", gsn.OpWrite: "write", gsn.OpDelete: "delete", gsn.OpReadShared: "read_shared"}

// infoDescs are the ndbinfo counters' descriptions.
var infoDescs = []*prometheus.Desc{descTransactions, descTCOps, descTCScans, descAbortsByCode, descLQHOps, descLQHScans,
	descScanRows, descLockWaits, descMemFree, descRedoUsed, descRedoTotal, descLCPRounds, descLCPFragments, descLCPBytes,
	descLCPActive, descGCPLag, descSentBytes, descRecvBytes, descSendQueue, descOverloads, descThreadRounds, descBusyRounds, descParks}

// collector serves the metrics from the Proc's last sample; a scrape
// never waits on the node's threads.
type collector struct{ p *Proc }

var _ prometheus.Collector = collector{}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStarted, descStartPhase, descStarts, descCommits, descAborts, descOpenTx,
		descOpenOps, descEpoch, descCompleted, descRounds, descMemUsed, descMemTotal, descLost, descPeer,
		descSaved, descRestored, descSaves, descRows} {
		ch <- d
	}
	for _, d := range infoDescs {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	p := c.p
	status, phase := p.State()
	p.mu.Lock()
	base, starts := p.base, p.starts
	s, have := p.last, p.haveLast
	p.mu.Unlock()
	if !have {
		s.Commits, s.Aborts, s.GCP.Rounds, s.LostSignals = 0, 0, 0, 0
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	started := 0.0
	if status == mgmapi.StatusStarted {
		started = 1
	}
	if status != mgmapi.StatusStarting {
		phase = 0
	}
	gauge(descStarted, started)
	gauge(descStartPhase, float64(phase))
	counter(descStarts, starts)
	counter(descCommits, base.commits+s.Commits)
	counter(descAborts, base.aborts+s.Aborts)
	counter(descRounds, base.rounds+s.GCP.Rounds)
	counter(descLost, base.lost+s.LostSignals)
	if !have {
		for _, d := range []*prometheus.Desc{descOpenTx, descOpenOps, descEpoch, descCompleted, descMemUsed, descMemTotal,
			descSaved, descRestored, descRows} {
			gauge(d, 0)
		}
		return
	}
	gauge(descOpenTx, float64(s.OpenTransactions))
	gauge(descOpenOps, float64(s.OpenOperations))
	gauge(descEpoch, float64(s.GCP.Current))
	gauge(descCompleted, float64(s.GCP.Completed))
	gauge(descSaved, float64(s.GCP.Saved))
	gauge(descRestored, float64(s.Restore.GCI))
	counter(descSaves, s.GCP.Saves)
	gauge(descRows, float64(s.Rows))
	gauge(descMemUsed, float64(s.Memory.UsedPages*mem.PageSize))
	gauge(descMemTotal, float64(s.Memory.TotalPages*mem.PageSize))
	for _, ps := range s.Peers {
		v := 0.0
		if ps.State == transport.StateConnected {
			v = 1
		}
		gauge(descPeer, v, strconv.Itoa(int(ps.Node)))
	}
	collectInfo(ch, &s)
}

// collectInfo sends the ndbinfo counters' metrics of a sample.
func collectInfo(ch chan<- prometheus.Metric, s *node.Stats) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	tcc, lqc := &s.TCCounters, &s.LQHCounters
	counter(descTransactions, tcc.Transactions)
	for op, name := range opTypes {
		if name != "" {
			counter(descTCOps, tcc.Ops[op], name)
			counter(descLQHOps, lqc.Ops[op], name)
		}
	}
	counter(descTCScans, tcc.TableScans, "table")
	counter(descTCScans, tcc.RangeScans, "range")
	for _, a := range tcc.Aborts() {
		counter(descAbortsByCode, a.Count, strconv.Itoa(a.Code))
	}
	counter(descAbortsByCode, tcc.AbortsOther, "other")
	counter(descLQHScans, lqc.Scans-lqc.RangeScans, "table")
	counter(descLQHScans, lqc.RangeScans, "range")
	counter(descScanRows, lqc.ScanRows)
	counter(descLockWaits, lqc.LockWaits)
	gauge(descMemFree, float64((s.Memory.TotalPages-s.Memory.UsedPages)*mem.PageSize))
	for i, u := range s.Redo {
		part := strconv.Itoa(i)
		gauge(descRedoUsed, float64(u.Used), part)
		gauge(descRedoTotal, float64(u.Size), part)
	}
	counter(descLCPRounds, s.LCP.Rounds)
	counter(descLCPFragments, s.LCP.Fragments)
	counter(descLCPBytes, s.LCP.FileBytes)
	active := 0.0
	if s.LCP.Active {
		active = 1
	}
	gauge(descLCPActive, active)
	lag := 0.0
	if s.Redo != nil && s.GCP.Current > s.GCP.Saved {
		lag = float64(s.GCP.Current - s.GCP.Saved)
	}
	gauge(descGCPLag, lag)
	for _, ps := range s.Peers {
		peer := strconv.Itoa(int(ps.Node))
		counter(descSentBytes, ps.BytesSent, peer)
		counter(descRecvBytes, ps.BytesReceived, peer)
		gauge(descSendQueue, float64(ps.SendBuffered), peer)
		counter(descOverloads, ps.OverloadCount, peer)
	}
	for _, ts := range s.Threads {
		counter(descThreadRounds, ts.Rounds, ts.Name)
		counter(descBusyRounds, ts.BusyRounds, ts.Name)
		counter(descParks, ts.Parks, ts.Name)
	}
}
