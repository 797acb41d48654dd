package datanodeproc

import (
	"strconv"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// The data node's gondb_* metrics (docs/metrics.md). Counters and
// histograms add up every runtime this process ran (Proc.base plus the
// running one's last sample), so they only grow across STOP and START;
// gauges are the running runtime's, 0 (or absent, when labelled) while it
// is not started.
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

// The ndbinfo counters' metrics (docs/metrics.md). Their counters add up
// every runtime of the process like those above; their gauges are the
// running runtime's.
var (
	descTransactions = prometheus.NewDesc("gondb_tc_transactions_total",
		"Transactions started on this node's TC.", nil, nil)
	descTCOps = prometheus.NewDesc("gondb_tc_operations_total",
		"Key operations this node's TC sent to LQHs, by type (unique-index maintenance included).", []string{"type"}, nil)
	descTCScans = prometheus.NewDesc("gondb_tc_scans_total",
		"Scans this node's TC started, by kind (table or range: an ordered-index scan).", []string{"kind"}, nil)
	descAbortsByCode = prometheus.NewDesc("gondb_tc_aborts_by_code_total",
		"Transactions this node's TC aborted, by NDB error code (0: rolled back at the API's request; other: codes past the first 16 of a start).", []string{"code"}, nil)
	descLQHOps = prometheus.NewDesc("gondb_lqh_operations_total",
		"Key operations this node's LQH ran on its replicas, by type (a write counts on every replica).", []string{"type"}, nil)
	descLQHScans = prometheus.NewDesc("gondb_lqh_scans_total",
		"Fragment scans this node's LQH ran, by kind (table or range).", []string{"kind"}, nil)
	descScanRows = prometheus.NewDesc("gondb_lqh_scan_rows_total",
		"Rows this node's fragment scans returned.", nil, nil)
	descLockWaits = prometheus.NewDesc("gondb_lqh_lock_waits_total",
		"Key operations that waited for another transaction's row lock.", nil, nil)
	descReadsFenced = prometheus.NewDesc("gondb_lqh_reads_fenced_total",
		"Key reads and scan batches refused (9022) because the node held no read lease: it may have been cut off from the cluster.", nil, nil)
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
	descTxDuration = prometheus.NewDesc("gondb_tc_transaction_duration_seconds",
		"Transactions this node's TC finished, by outcome (commit, abort): from the first request to the commit answer or the abort decision.", []string{"outcome"}, nil)
	descScanDuration = prometheus.NewDesc("gondb_tc_scan_duration_seconds",
		"Scans this node's TC ran, from SCAN_TABREQ to the scan's end.", nil, nil)
)

// opTypes names the operation types of the operations metrics, indexed
// by gsn.Op* number.
var opTypes = [...]string{gsn.OpRead: "read", gsn.OpReadExclusive: "read_exclusive", gsn.OpInsert: "insert",
	gsn.OpUpdate: "update", gsn.OpWrite: "write", gsn.OpDelete: "delete", gsn.OpReadShared: "read_shared"}

// infoDescs are the ndbinfo counters' descriptions.
var infoDescs = []*prometheus.Desc{descTransactions, descTCOps, descTCScans, descAbortsByCode, descLQHOps, descLQHScans,
	descScanRows, descLockWaits, descReadsFenced, descMemFree, descRedoUsed, descRedoTotal, descLCPRounds, descLCPFragments, descLCPBytes,
	descLCPActive, descGCPLag, descSentBytes, descRecvBytes, descSendQueue, descOverloads, descThreadRounds, descBusyRounds,
	descParks, descTxDuration, descScanDuration}

// counters are the metrics that keep growing across runtime restarts:
// one runtime's sample (countersOf), or the sum of those of the runtimes
// this process stopped (Proc.base). Labelled ones are kept by label, so a
// peer or thread of an earlier start keeps its series.
type counters struct {
	commits, aborts, rounds, lost, saves uint64
	transactions                         uint64
	tcOps, lqhOps                        [len(opTypes)]uint64
	tcScans, lqhScans                    [2]uint64 // table, range
	scanRows, lockWaits, readsFenced     uint64
	lcpRounds, lcpFragments, lcpBytes    uint64
	abortsByCode                         map[string]uint64 // by code label, "other" included
	peers                                map[string]peerCounters
	threads                              map[string]threadCounters
	latency                              tc.Latency
}

type peerCounters struct{ sent, received, overloads uint64 }

type threadCounters struct{ rounds, busy, parks uint64 }

// scanKinds are the kind labels of the scan metrics, by counters.tcScans
// and lqhScans index.
var scanKinds = [2]string{"table", "range"}

// countersOf returns the counters of one sample of a runtime.
func countersOf(s *node.Stats, lat *tc.Latency) counters {
	tcc, lqc := &s.TCCounters, &s.LQHCounters
	c := counters{commits: s.Commits, aborts: s.Aborts, rounds: s.GCP.Rounds, lost: s.LostSignals, saves: s.GCP.Saves,
		transactions: tcc.Transactions, tcScans: [2]uint64{tcc.TableScans, tcc.RangeScans},
		lqhScans: [2]uint64{lqc.Scans - lqc.RangeScans, lqc.RangeScans}, scanRows: lqc.ScanRows, lockWaits: lqc.LockWaits, readsFenced: lqc.ReadsFenced,
		lcpRounds: s.LCP.Rounds, lcpFragments: s.LCP.Fragments, lcpBytes: s.LCP.FileBytes, latency: *lat,
		abortsByCode: map[string]uint64{"other": tcc.AbortsOther},
		peers:        make(map[string]peerCounters, len(s.Peers)), threads: make(map[string]threadCounters, len(s.Threads))}
	for op := range opTypes {
		c.tcOps[op], c.lqhOps[op] = tcc.Ops[op], lqc.Ops[op]
	}
	for _, a := range tcc.Aborts() {
		c.abortsByCode[strconv.Itoa(a.Code)] += a.Count
	}
	for _, ps := range s.Peers {
		c.peers[strconv.Itoa(int(ps.Node))] = peerCounters{ps.BytesSent, ps.BytesReceived, ps.OverloadCount}
	}
	for _, ts := range s.Threads {
		t := c.threads[ts.Name]
		t.rounds, t.busy, t.parks = t.rounds+ts.Rounds, t.busy+ts.BusyRounds, t.parks+ts.Parks
		c.threads[ts.Name] = t
	}
	return c
}

// add adds o to c.
func (c *counters) add(o *counters) {
	c.commits += o.commits
	c.aborts += o.aborts
	c.rounds += o.rounds
	c.lost += o.lost
	c.saves += o.saves
	c.transactions += o.transactions
	for i := range c.tcOps {
		c.tcOps[i] += o.tcOps[i]
		c.lqhOps[i] += o.lqhOps[i]
	}
	for i := range c.tcScans {
		c.tcScans[i] += o.tcScans[i]
		c.lqhScans[i] += o.lqhScans[i]
	}
	c.scanRows += o.scanRows
	c.lockWaits += o.lockWaits
	c.readsFenced += o.readsFenced
	c.lcpRounds += o.lcpRounds
	c.lcpFragments += o.lcpFragments
	c.lcpBytes += o.lcpBytes
	c.latency.Add(&o.latency)
	if c.abortsByCode == nil {
		c.abortsByCode = map[string]uint64{}
	}
	for k, v := range o.abortsByCode {
		c.abortsByCode[k] += v
	}
	if c.peers == nil {
		c.peers = map[string]peerCounters{}
	}
	for k, v := range o.peers {
		p := c.peers[k]
		c.peers[k] = peerCounters{p.sent + v.sent, p.received + v.received, p.overloads + v.overloads}
	}
	if c.threads == nil {
		c.threads = map[string]threadCounters{}
	}
	for k, v := range o.threads {
		t := c.threads[k]
		c.threads[k] = threadCounters{t.rounds + v.rounds, t.busy + v.busy, t.parks + v.parks}
	}
}

// total is base plus the running runtime's sample (nil: none).
func total(base *counters, s *node.Stats, lat *tc.Latency) counters {
	var t counters
	t.add(base)
	if s != nil {
		c := countersOf(s, lat)
		t.add(&c)
	}
	return t
}

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
	starts, have := p.starts, p.haveLast
	var sp *node.Stats
	s := p.last
	if have {
		sp = &s
	}
	tot := total(&p.base, sp, &p.lastLat)
	p.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
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
	ch <- prometheus.MustNewConstMetric(descStarts, prometheus.CounterValue, float64(starts))
	collectCounters(ch, &tot)
	if !have {
		for _, d := range []*prometheus.Desc{descOpenTx, descOpenOps, descEpoch, descCompleted, descMemUsed, descMemTotal,
			descSaved, descRestored, descRows, descMemFree, descLCPActive, descGCPLag} {
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
	collectGauges(ch, &s)
}

// collectCounters sends the counters and histograms.
func collectCounters(ch chan<- prometheus.Metric, c *counters) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descCommits, c.commits)
	counter(descAborts, c.aborts)
	counter(descRounds, c.rounds)
	counter(descLost, c.lost)
	counter(descSaves, c.saves)
	counter(descTransactions, c.transactions)
	for op, name := range opTypes {
		if name != "" {
			counter(descTCOps, c.tcOps[op], name)
			counter(descLQHOps, c.lqhOps[op], name)
		}
	}
	for i, kind := range scanKinds {
		counter(descTCScans, c.tcScans[i], kind)
		counter(descLQHScans, c.lqhScans[i], kind)
	}
	counter(descAbortsByCode, c.abortsByCode["other"], "other")
	for code, n := range c.abortsByCode {
		if code != "other" {
			counter(descAbortsByCode, n, code)
		}
	}
	counter(descScanRows, c.scanRows)
	counter(descLockWaits, c.lockWaits)
	counter(descReadsFenced, c.readsFenced)
	counter(descLCPRounds, c.lcpRounds)
	counter(descLCPFragments, c.lcpFragments)
	counter(descLCPBytes, c.lcpBytes)
	for peer, pc := range c.peers {
		counter(descSentBytes, pc.sent, peer)
		counter(descRecvBytes, pc.received, peer)
		counter(descOverloads, pc.overloads, peer)
	}
	for name, th := range c.threads {
		counter(descThreadRounds, th.rounds, name)
		counter(descBusyRounds, th.busy, name)
		counter(descParks, th.parks, name)
	}
	ch <- histogram(descTxDuration, &c.latency.Commit, "commit")
	ch <- histogram(descTxDuration, &c.latency.Abort, "abort")
	ch <- histogram(descScanDuration, &c.latency.Scan)
}

// histogram is a TC latency histogram as a Prometheus histogram in
// seconds: bucket le=BucketBound(i) counts the observations below it.
func histogram(d *prometheus.Desc, h *tc.Histogram, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, tc.LatencyBuckets-1)
	var cum uint64
	for i := range tc.LatencyBuckets - 1 {
		cum += h.Counts[i]
		buckets[tc.BucketBound(i).Seconds()] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count, float64(h.Sum)/1e9, buckets, labels...)
}

// collectGauges sends the ndbinfo gauges of a running runtime's sample.
func collectGauges(ch chan<- prometheus.Metric, s *node.Stats) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descMemFree, float64((s.Memory.TotalPages-s.Memory.UsedPages)*mem.PageSize))
	for i, u := range s.Redo {
		part := strconv.Itoa(i)
		gauge(descRedoUsed, float64(u.Used), part)
		gauge(descRedoTotal, float64(u.Size), part)
	}
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
		gauge(descSendQueue, float64(ps.SendBuffered), strconv.Itoa(int(ps.Node)))
	}
}
