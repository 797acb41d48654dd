package lint

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gondb/gondb"

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// forbidden lists, per package prefix, the gondb packages it must never
// import: lower layers never reach up.
var forbidden = []struct {
	from string
	not  []string
}{
	{"ndberr", []string{""}}, // leaf: nothing from gondb
	{"partition", []string{""}},
	{"schema", []string{"datanode", "partition", "ndbapi", "sqlnode", "mgmnode", "cmd", "lcp"}},
	{"datanode/mem", []string{"datanode/store", "datanode/ldm", "schema", "partition"}},
	{"datanode/hashidx", []string{""}},
	{"datanode/ordidx", []string{""}},
	{"datanode/spsc", []string{""}},
	{"datanode/thread", []string{"datanode/store", "datanode/ldm", "schema"}},
	{"signal/gsn", []string{"datanode", "block", "transport", "sim", "schema"}},
	{"signal", []string{"datanode", "block", "transport", "sim", "schema", "partition"}},
	{"block", []string{"datanode", "transport", "sim", "partition", "schema", "ndbapi", "sqlnode", "mgmnode", "cmd"}},
	{"transport", []string{"datanode", "block", "sim", "schema", "ndbapi", "sqlnode", "mgmnode", "cmd"}},
	{"sim", []string{"datanode", "transport", "ndbapi", "sqlnode", "mgmnode", "cmd"}},
	{"datanode", []string{"sqlnode", "ndbapi", "mgmnode", "cmd"}},
	{"lcp", []string{"sqlnode", "ndbapi", "mgmnode", "cmd"}},
	{"ndbapi", []string{"datanode", "sqlnode", "cmd"}},
	{"sqlnode", []string{"datanode", "cmd"}},
	{"mgmnode", []string{"datanode", "sqlnode", "cmd"}},
}

func TestImportsFlowOneWay(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, rule := range forbidden {
			if rel != rule.from && !strings.HasPrefix(rel, rule.from+"/") {
				continue
			}
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp, module+"/") {
					continue
				}
				irel := strings.TrimPrefix(imp, module+"/")
				for _, bad := range rule.not {
					if bad == "" || irel == bad || strings.HasPrefix(irel, bad+"/") {
						t.Errorf("%s imports %s, which %s must never import", rel, irel, rule.from)
					}
				}
			}
		}
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package comment (put one in doc.go)", p.ImportPath)
		}
	}
}
