package partition

import (
	"go/build"
	"strings"
	"testing"
)

// partition is a leaf: it must never import another gondb package (doc.go).
func TestImportsNoGondbPackage(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range append(pkg.Imports, pkg.TestImports...) {
		if strings.HasPrefix(imp, "github.com/gondb/gondb/") {
			t.Errorf("partition imports %s", imp)
		}
	}
}
