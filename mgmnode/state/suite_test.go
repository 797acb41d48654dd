package state

import (
	"testing"
)

// suite is every behaviour of a Store against a running etcd, run on the
// embedded etcd and again on an external etcd binary. Each test opens its
// own Stores (usually two: two mgmds) under its own cluster name.
var suite = []struct {
	name string
	fn   func(t *testing.T, endpoints []string)
	slow bool // waits for leases to expire; skipped in -short mode
}{
	{"Config", testConfig, false},
	{"ConfigConcurrentCAS", testConfigConcurrentCAS, false},
	{"ConfigWatch", testConfigWatch, false},
	{"Registry", testRegistry, false},
	{"RegistryInvalid", testRegistryInvalid, false},
	{"RegistryConcurrentUpdate", testRegistryConcurrentUpdate, false},
	{"RegistryWatch", testRegistryWatch, false},
	{"AllocateNodeID", testAllocateNodeID, false},
	{"AllocateNodeIDConcurrent", testAllocateNodeIDConcurrent, false},
	{"ClaimNodeID", testClaimNodeID, false},
	{"RenewRelease", testRenewRelease, false},
	{"LeaseExpiryFreesNodeID", testLeaseExpiryFreesNodeID, true},
	{"Dictionary", testDictionary, false},
	{"DictionaryConcurrentCreate", testDictionaryConcurrentCreate, false},
	{"DictionaryWatch", testDictionaryWatch, false},
	{"Arbitration", testArbitration, false},
	{"ArbitrationConcurrent", testArbitrationConcurrent, false},
	{"ArbitrationGrantExpires", testArbitrationGrantExpires, true},
	{"MgmdFailover", testMgmdFailover, false},
	{"PrefixIsolation", testPrefixIsolation, false},
}

func runSuite(t *testing.T, endpoints []string) {
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			if tc.slow && testing.Short() {
				t.Skip("waits for an etcd lease to expire; skipped in -short mode")
			}
			t.Parallel()
			tc.fn(t, endpoints)
		})
	}
}

func TestSuiteEmbedded(t *testing.T) {
	runSuite(t, sharedEndpoints(t))
}

// TestSuiteExternal runs the suite against the etcd binary (Debian package
// etcd-server), as `gondb mgmd --etcd-endpoints` would use it.
func TestSuiteExternal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd process; skipped in -short mode")
	}
	runSuite(t, startEtcdBinary(t))
}
