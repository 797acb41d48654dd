package datanodeproc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmcli"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndbinfo"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// infoCollector serves the counters of base plus a sample, and the
// sample's gauges, as Collect does for a running runtime.
type infoCollector struct {
	base counters
	s    node.Stats
	lat  tc.Latency
}

func (c infoCollector) Describe(ch chan<- *prometheus.Desc) {
	collector{}.Describe(ch)
}

func (c infoCollector) Collect(ch chan<- prometheus.Metric) {
	tot := total(&c.base, &c.s, &c.lat)
	collectCounters(ch, &tot)
	collectGauges(ch, &c.s)
}

// gather returns every series of a collector by "name{label=value}".
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.Metric {
			key := f.GetName()
			for _, l := range m.Label {
				key += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			if h := m.Histogram; h != nil {
				got[key+"_count"] = float64(h.GetSampleCount())
				got[key+"_sum"] = h.GetSampleSum()
				for _, b := range h.Bucket {
					got[fmt.Sprintf("%s_bucket{le=%g}", key, b.GetUpperBound())] = float64(b.GetCumulativeCount())
				}
				continue
			}
			got[key] = value(m)
		}
	}
	return got
}

// sampleStats is one runtime's sample with a bit of everything.
func sampleStats() (node.Stats, tc.Latency) {
	var s node.Stats
	s.Commits, s.GCP.Saves = 6, 2
	s.TCCounters.Transactions = 7
	s.TCCounters.Ops[gsn.OpInsert] = 3
	s.TCCounters.RangeScans = 2
	s.LQHCounters.Ops[gsn.OpUpdate] = 5
	s.LQHCounters.Scans, s.LQHCounters.RangeScans = 4, 1
	s.Memory.TotalPages, s.Memory.UsedPages = 10, 4
	s.Redo = []redo.Usage{{Size: 1000, Used: 250}, {Size: 1000, Used: 0}}
	s.GCP.Current, s.GCP.Saved = 40, 37
	s.LCP.FileBytes = 4096
	s.Peers = []transport.PeerStatus{{Node: 2, BytesSent: 11, BytesReceived: 12, SendBuffered: 13}}
	s.Threads = []node.ThreadStats{{Name: "ldm0", Stats: thread.Stats{Rounds: 100, BusyRounds: 25}}}
	var lat tc.Latency
	lat.Commit.Observe(300 * time.Microsecond) // bucket le=512µs
	lat.Commit.Observe(3 * time.Millisecond)   // le=4.096ms
	lat.Abort.Observe(time.Hour)               // past the last bound: +Inf only
	lat.Scan.Observe(0)
	return s, lat
}

// TestInfoMetrics: one runtime's sample, then the same after a STOP that
// added an earlier runtime's sample to the base: counters and histograms
// add up (a peer and a thread only the earlier runtime had keep their
// series), gauges are the running runtime's.
func TestInfoMetrics(t *testing.T) {
	s, lat := sampleStats()
	first := map[string]float64{
		"gondb_tc_commits_total":                                                     6,
		"gondb_gcp_saves_total":                                                      2,
		"gondb_tc_transactions_total":                                                7,
		"gondb_tc_operations_total{type=insert}":                                     3,
		"gondb_tc_operations_total{type=read}":                                       0,
		"gondb_tc_scans_total{kind=range}":                                           2,
		"gondb_tc_aborts_by_code_total{code=other}":                                  0,
		"gondb_lqh_operations_total{type=update}":                                    5,
		"gondb_lqh_scans_total{kind=table}":                                          3,
		"gondb_datamemory_free_bytes":                                                6 * 32768,
		"gondb_redo_used_bytes{part=0}":                                              250,
		"gondb_redo_total_bytes{part=1}":                                             1000,
		"gondb_gcp_lag_epochs":                                                       3,
		"gondb_lcp_written_bytes_total":                                              4096,
		"gondb_transporter_sent_bytes_total{peer=2}":                                 11,
		"gondb_transporter_received_bytes_total{peer=2}":                             12,
		"gondb_transporter_send_buffer_bytes{peer=2}":                                13,
		"gondb_thread_busy_rounds_total{thread=ldm0}":                                25,
		"gondb_thread_rounds_total{thread=ldm0}":                                     100,
		"gondb_transporter_overloads_total{peer=2}":                                  0,
		"gondb_lqh_lock_waits_total":                                                 0,
		"gondb_lqh_reads_fenced_total":                                               0,
		"gondb_lcp_active":                                                           0,
		"gondb_thread_parks_total{thread=ldm0}":                                      0,
		"gondb_lqh_scan_rows_total":                                                  0,
		"gondb_lcp_rounds_total":                                                     0,
		"gondb_lcp_fragments_total":                                                  0,
		"gondb_tc_transaction_duration_seconds{outcome=commit}_count":                2,
		"gondb_tc_transaction_duration_seconds{outcome=commit}_sum":                  0.0033,
		"gondb_tc_transaction_duration_seconds{outcome=commit}_bucket{le=0.000256}":  0,
		"gondb_tc_transaction_duration_seconds{outcome=commit}_bucket{le=0.000512}":  1,
		"gondb_tc_transaction_duration_seconds{outcome=commit}_bucket{le=0.004096}":  2,
		"gondb_tc_transaction_duration_seconds{outcome=abort}_count":                 1,
		"gondb_tc_transaction_duration_seconds{outcome=abort}_bucket{le=134.217728}": 0,
		"gondb_tc_scan_duration_seconds_count":                                       1,
		"gondb_tc_scan_duration_seconds_bucket{le=1e-06}":                            1,
	}
	check := func(name string, got, want map[string]float64) {
		t.Helper()
		for k, v := range want {
			if g, ok := got[k]; !ok || math.Abs(g-v) > 1e-9 {
				t.Errorf("%s: %s = %v (present %v), want %v", name, k, g, ok, v)
			}
		}
	}
	check("one runtime", gather(t, infoCollector{s: s, lat: lat}), first)

	// An earlier runtime had the same sample but another peer and thread
	// and an abort with code 266.
	early, earlyLat := sampleStats()
	early.Peers = append(early.Peers, transport.PeerStatus{Node: 3, BytesSent: 5})
	early.Threads = append(early.Threads, node.ThreadStats{Name: "tc0", Stats: thread.Stats{Parks: 9}})
	var base counters
	c := countersOf(&early, &earlyLat)
	base.add(&c)
	base.abortsByCode["266"] = 4
	got := gather(t, infoCollector{base: base, s: s, lat: lat})
	doubled := map[string]float64{}
	for k, v := range first {
		switch {
		case strings.HasPrefix(k, "gondb_datamemory_free"), strings.HasPrefix(k, "gondb_redo_"),
			strings.HasPrefix(k, "gondb_gcp_lag"), strings.HasPrefix(k, "gondb_lcp_active"),
			strings.HasPrefix(k, "gondb_transporter_send_buffer"):
			doubled[k] = v // gauges: the running runtime's
		default:
			doubled[k] = 2 * v
		}
	}
	doubled["gondb_transporter_sent_bytes_total{peer=3}"] = 5
	doubled["gondb_thread_parks_total{thread=tc0}"] = 9
	doubled["gondb_tc_aborts_by_code_total{code=266}"] = 4
	check("base plus runtime", got, doubled)
	if _, ok := got["gondb_transporter_send_buffer_bytes{peer=3}"]; ok {
		t.Error("a gauge of a stopped runtime's peer is served")
	}
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

// documentedDataNodeMetrics returns the names in docs/metrics.md's data
// node table.
func documentedDataNodeMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Data node metrics")
	if start < 0 {
		t.Fatal("docs/metrics.md has no Data node metrics section")
	}
	section := doc[start:]
	if end := strings.Index(section[2:], "\n## "); end >= 0 {
		section = section[:end+2]
	}
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(gondb_[a-z0-9_]+)` \\|").FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	if len(names) < 40 {
		t.Fatalf("docs/metrics.md's data node table has only %d metrics", len(names))
	}
	return names
}

// TestEveryMetricIsDocumented: each gondb_* metric of the data node is a
// row of docs/metrics.md's data node table, and each row is a metric the
// data node describes.
func TestEveryMetricIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	described := map[string]bool{}
	defer func() {
		for _, n := range documentedDataNodeMetrics(t) {
			if !described[n] {
				t.Errorf("docs/metrics.md documents %s, which the data node does not serve", n)
			}
		}
	}()
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	var c collector
	ch := make(chan *prometheus.Desc, 100)
	c.Describe(ch)
	close(ch)
	for d := range ch {
		m := name.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		described[m[1]] = true
		if !strings.Contains(doc, "| `"+m[1]+"` |") {
			t.Errorf("docs/metrics.md does not document %s", m[1])
		}
	}
}

// apiNodeID is the [api] slot of mgmtest's config the tests' API node takes.
const apiNodeID = 5

// apiNode connects an API node (apiNodeID) to the procs' transporters.
func apiNode(t *testing.T, procs ...*running) (transport.Transporter, frameChan) {
	t.Helper()
	const api = apiNodeID
	replies := make(frameChan, 64)
	cfg := tcp.DefaultTestConfig()
	cfg.Self, cfg.DialOnly, cfg.Listen, cfg.Receiver = api, true, "", replies
	cfg.Peers = map[signal.NodeID]string{}
	for _, p := range procs {
		p.mu.Lock()
		cfg.Peers[signal.NodeID(p.ID())] = p.rt.Addr()
		p.mu.Unlock()
	}
	tr, err := tcp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	for id := range cfg.Peers {
		transporttest.WaitState(t, tr, id, transport.StateConnected, transporttest.ConnectTimeout)
	}
	return tr, replies
}

// memoryRows reads a proc's ndbinfo.memoryusage rows as the ALL REPORT
// MEMORYUSAGE lines they must print.
func memoryRows(t *testing.T, p *running) (string, []mgmapi.MemoryUsage) {
	t.Helper()
	tb, _ := ndbinfo.ByName("memoryusage")
	p.mu.Lock()
	rt := p.rt
	p.mu.Unlock()
	rows, err := rt.InfoRows(context.Background(), tb)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var mu []mgmapi.MemoryUsage
	for _, img := range rows {
		r := tb.Layout.RowOf(img)
		typ, used, total := r.String(tb.Column("memory_type")), r.Uint64(tb.Column("used_pages")), r.Uint64(tb.Column("total_pages"))
		pct := uint64(0)
		if total > 0 {
			pct = used * 100 / total
		}
		res := strings.TrimSuffix(typ, " memory")
		fmt.Fprintf(&b, "Node %d: %s usage is %d%%(%d 32K pages of total %d)\n", p.ID(), res, pct, used, total)
		mu = append(mu, mgmapi.MemoryUsage{Resource: res, Used: used, Total: total, PageSize: 32768})
	}
	return b.String(), mu
}

// A live data node: ALL REPORT MEMORYUSAGE prints what ndbinfo.memoryusage
// has, and its counters and latency histograms keep growing across STOP
// and START.
func TestMemoryReportAndCountersAcrossRestart(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	conn := dial(t, c)
	ctx := context.Background()
	tbl, err := conn.CreateTable(ctx, &schema.Table{Name: "m", PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeBigInt}}})
	if err != nil {
		t.Fatal(err)
	}
	procs := []*running{startProc(t, options(c.ConnectString, 2)), startProc(t, options(c.ConnectString, 3))}
	for _, id := range c.DataNodeIDs {
		waitStatus(t, c, id, mgmapi.StatusStarted)
	}
	tr, replies := apiNode(t, procs...)
	l, err := schema.NewLayout(tbl)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 300
	trans := uint64(5) << 48
	insert := func(i int64) uint32 {
		rb := schema.NewRowBuilder(l)
		rb.SetInt64(0, i)
		rb.SetInt64(1, i)
		trans++
		_, code := runOne(t, tr, replies, 5, 2, trans, gsn.OpInsert, tbl.ID, binary.LittleEndian.AppendUint64(nil, uint64(i)), rb.AppendRow(nil))
		return code
	}
	// The API node's connection may reach the TC before the node has heard
	// of it (see TestTableFromDictionary): retry the first insert.
	transporttest.Eventually(t, 20*time.Second, func() bool { return insert(0) == 0 }, "the first insert to succeed")
	for i := int64(1); i < rows; i++ {
		if code := insert(i); code != 0 {
			t.Fatalf("insert %d: error %d", i, code)
		}
	}

	// The heartbeat figures are the table's rows; the management server
	// prints them.
	for _, p := range procs {
		var want string
		var rowsMU []mgmapi.MemoryUsage
		transporttest.Eventually(t, 10*time.Second, func() bool {
			want, rowsMU = memoryRows(t, p)
			if err := p.sample(ctx); err != nil {
				t.Fatal(err)
			}
			again, _ := memoryRows(t, p) // unchanged meanwhile: compare
			return again == want && reflect.DeepEqual(p.heartbeatInfo().Memory, rowsMU)
		}, "node %d: heartbeat memory figures to equal ndbinfo.memoryusage", p.ID())
		if len(rowsMU) != 2 || rowsMU[0].Resource != "Data" || rowsMU[0].Used == 0 || rowsMU[1].Resource != "Index" || rowsMU[1].Used == 0 {
			t.Errorf("node %d: memoryusage %+v, want Data and Index in use", p.ID(), rowsMU)
		}
		var got string
		transporttest.Eventually(t, 10*time.Second, func() bool {
			var b strings.Builder
			mgmcli.WriteMemoryUsage(&b, status(t, c, p.ID()))
			got = b.String()
			return got == want
		}, "node %d: REPORT MEMORYUSAGE to print ndbinfo.memoryusage's figures:\n%s", p.ID(), want)
	}

	// Node 2's TC ran the inserts: STOP and START keep its counts.
	d2 := procs[0]
	series := []string{"gondb_tc_commits_total", "gondb_tc_transactions_total", `gondb_tc_operations_total{type="insert"}`,
		`gondb_tc_transaction_duration_seconds_count{outcome="commit"}`, `gondb_lqh_operations_total{type="insert"}`,
		`gondb_transporter_sent_bytes_total{peer="3"}`, `gondb_thread_rounds_total{thread="main"}`}
	scrape := func(step string) map[string]float64 {
		t.Helper()
		_, body := get(t, "http://"+d2.HTTPAddr()+"/metrics")
		out := map[string]float64{}
		for _, name := range series {
			v, err := strconv.ParseFloat(metric(body, name), 64)
			if err != nil {
				t.Fatalf("%s: %s: %v\n%s", step, name, err, body)
			}
			out[name] = v
		}
		return out
	}
	if err := d2.sample(ctx); err != nil {
		t.Fatal(err)
	}
	before := scrape("started")
	// Every documented metric is served (histograms as their _bucket
	// series; the node has a file system, so the redo metrics too).
	_, body := get(t, "http://"+d2.HTTPAddr()+"/metrics")
	for _, name := range documentedDataNodeMetrics(t) {
		if !regexp.MustCompile(`(?m)^` + name + `(_bucket)?[{ ]`).MatchString(body) {
			t.Errorf("/metrics does not serve %s", name)
		}
	}
	if before["gondb_tc_commits_total"] < rows || before[`gondb_tc_transaction_duration_seconds_count{outcome="commit"}`] < rows {
		t.Fatalf("before STOP: %v, want at least %d commits", before, rows)
	}
	if rep, err := conn.Stop(ctx, 10*time.Second, 2); err != nil || !rep.Results[0].Done {
		t.Fatalf("2 STOP: %+v, %v", rep, err)
	}
	stopped := scrape("stopped")
	if rep, err := conn.Start(ctx, 10*time.Second, 2); err != nil || !rep.Results[0].Done {
		t.Fatalf("2 START: %+v, %v", rep, err)
	}
	waitStatus(t, c, 2, mgmapi.StatusStarted)
	restarted := scrape("restarted")
	for _, name := range series {
		if stopped[name] < before[name] || restarted[name] < stopped[name] {
			t.Errorf("%s went %v, %v (stopped), %v (started again): a counter must not fall", name, before[name], stopped[name], restarted[name])
		}
	}
}
