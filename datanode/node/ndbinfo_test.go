package node_test

import (
	"context"
	"testing"

	"github.com/gondb/gondb/ndbinfo"
)

// TestNdbInfoEveryTable reads every virtual table from a durable node the
// way its DBINFO block does: each row must encode for its table, carry the
// node's id, and the tables that always have rows must have them.
func TestNdbInfoEveryTable(t *testing.T) {
	d := startDurable(t, t.TempDir(), true)
	defer d.stop()
	d.apply(t, []int64{1, 2, 3}, 10, "write")
	cfg := d.stats(t)
	minRows := map[string]int{
		"nodes": 1, "membership": 1, "memoryusage": 2, "memory_per_fragment": 2, "counters": 20,
		"threads": 2, "threadstat": 2, "threadblocks": 5, "cpustat": 2, "logbuffers": len(cfg.Redo),
		"logspaces": len(cfg.Redo), "resources": 1, "config_params": 18, "config_values": 18,
		"disk_write_speed_aggregate": 1, "table_info": 1, "table_distribution_status": 1,
		"table_fragments": 2, "table_replicas": 2, "dict_obj_info": 1, "transporters": 1, "error_messages": 20,
		"operations_per_fragment": 2,
	}
	for _, tb := range ndbinfo.Tables() {
		rows, err := d.n.InfoRows(context.Background(), tb)
		if err != nil {
			t.Errorf("%s: %v", tb.Name, err)
			continue
		}
		if len(rows) < minRows[tb.Name] {
			t.Errorf("%s: %d rows, want at least %d", tb.Name, len(rows), minRows[tb.Name])
		}
		for _, img := range rows {
			if _, err := tb.Layout.CheckRow(img); err != nil {
				t.Fatalf("%s: bad row image: %v", tb.Name, err)
			}
			if c := tb.NodeColumn(); c >= 0 && tb.Layout.RowOf(img).Uint64(c) != 1 {
				t.Errorf("%s: node_id %d, want 1", tb.Name, tb.Layout.RowOf(img).Uint64(c))
			}
		}
	}
}
