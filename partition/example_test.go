package partition_test

import (
	"fmt"

	"github.com/gondb/gondb/partition"
)

// A key walks hash -> bucket -> fragment -> replicas, primary first.
func Example() {
	groups, err := partition.FormNodeGroups([]partition.NodeID{1, 2, 3, 4}, 2)
	if err != nil {
		panic(err)
	}
	fragments := partition.DefaultFragmentCount(2, len(groups)) // 2 LDM threads
	hm, err := partition.NewHashMap(partition.DefaultBuckets, fragments)
	if err != nil {
		panic(err)
	}
	placement, err := partition.Place(groups, fragments)
	if err != nil {
		panic(err)
	}

	h := partition.Hash([]byte("customer-42"))
	frag := hm.Fragment(h)
	fmt.Printf("bucket %d, fragment %d, replicas %v\n", hm.Bucket(h), frag, placement.Replicas(frag))

	// Add a third node group: 6 fragments, buckets move only to the new ones.
	plan, err := partition.PlanReorg(hm, partition.DefaultFragmentCount(2, 3))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d of %d buckets move; fragment sizes %v\n", len(plan.Moves), hm.Buckets(), plan.New.BucketCounts())
	// Output:
	// bucket 1912, fragment 0, replicas [1 2]
	// 1280 of 3840 buckets move; fragment sizes [640 640 640 640 640 640]
}
