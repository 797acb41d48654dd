package datanodeproc

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/transport"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// infoCollector serves collectInfo of one sample.
type infoCollector struct{ s node.Stats }

func (c infoCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range infoDescs {
		ch <- d
	}
}

func (c infoCollector) Collect(ch chan<- prometheus.Metric) { collectInfo(ch, &c.s) }

func TestInfoMetrics(t *testing.T) {
	var s node.Stats
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(infoCollector{s})
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
			got[key] = value(m)
		}
	}
	want := map[string]float64{
		"gondb_tc_transactions_total":                    7,
		"gondb_tc_operations_total{type=insert}":         3,
		"gondb_tc_operations_total{type=read}":           0,
		"gondb_tc_scans_total{kind=range}":               2,
		"gondb_tc_aborts_by_code_total{code=other}":      0,
		"gondb_lqh_operations_total{type=update}":        5,
		"gondb_lqh_scans_total{kind=table}":              3,
		"gondb_datamemory_free_bytes":                    6 * 32768,
		"gondb_redo_used_bytes{part=0}":                  250,
		"gondb_redo_total_bytes{part=1}":                 1000,
		"gondb_gcp_lag_epochs":                           3,
		"gondb_lcp_written_bytes_total":                  4096,
		"gondb_transporter_sent_bytes_total{peer=2}":     11,
		"gondb_transporter_received_bytes_total{peer=2}": 12,
		"gondb_transporter_send_buffer_bytes{peer=2}":    13,
		"gondb_thread_busy_rounds_total{thread=ldm0}":    25,
		"gondb_thread_rounds_total{thread=ldm0}":         100,
		"gondb_transporter_overloads_total{peer=2}":      0,
		"gondb_lqh_lock_waits_total":                     0,
		"gondb_lcp_active":                               0,
		"gondb_thread_parks_total{thread=ldm0}":          0,
		"gondb_lqh_scan_rows_total":                      0,
		"gondb_lcp_rounds_total":                         0,
		"gondb_lcp_fragments_total":                      0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
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

// TestEveryMetricIsDocumented: each gondb_* metric of the data node is a
// row of docs/metrics.md's data node table.
func TestEveryMetricIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
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
		if !strings.Contains(doc, "| `"+m[1]+"` |") {
			t.Errorf("docs/metrics.md does not document %s", m[1])
		}
	}
}
