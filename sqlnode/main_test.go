package sqlnode_test

import (
	"testing"

	"github.com/gondb/gondb/mgmnode/mgmtest"
)

// TestMain removes the shared embedded etcd's directory after the tests.
func TestMain(m *testing.M) { mgmtest.Main(m) }
