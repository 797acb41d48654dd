package ndbapi_test

import (
	"context"
	"fmt"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema/filter"
)

// Reading an ndbinfo table, with a filter the data nodes run.
func ExampleCluster_NdbInfo() {
	cl, _, stop := exampleCluster()
	defer stop()
	ctx := context.Background()

	rows, err := cl.NdbInfo(ctx, "memoryusage", ndbapi.InfoOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rows.Maps() {
		fmt.Println(m["node_id"], m["memory_type"], m["total"].(uint64) > 0)
	}

	t, _ := ndbapi.InfoTable("counters")
	b := filter.NewBuilder(t.Layout)
	b.Cmp(t.Column("counter_name"), filter.Eq, filter.String("COMMITS"))
	prog, _ := b.Program()
	rows, err = cl.NdbInfo(ctx, "counters", ndbapi.InfoOptions{Filter: prog})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rows.Maps() {
		fmt.Println(m["node_id"], m["block_name"], m["counter_name"], m["val"])
	}
	// Output:
	// 1 Data memory true
	// 1 Index memory true
	// 1 DBTC COMMITS 0
}
