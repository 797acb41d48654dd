package datanodeproc

import (
	"strconv"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/mgmnode/mgmapi"
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
}
