package sqlnode_test

import (
	"os"
	"testing"

	"github.com/gondb/gondb/mgmnode/mgmtest"
)

// TestMain stops the embedded etcd the tests share and removes its data
// directory (about 120 MB) when they are done.
func TestMain(m *testing.M) {
	code := m.Run()
	mgmtest.CloseShared()
	os.Exit(code)
}
