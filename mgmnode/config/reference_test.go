package config

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/config.md from the parameter table")

const referencePath = "../../docs/config.md"

// TestReferenceIsCurrent fails when docs/config.md differs from what the
// parameter table generates; -update rewrites it.
func TestReferenceIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referencePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (run: go test ./mgmnode/config -run TestReferenceIsCurrent -update)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is stale: regenerate it with go test ./mgmnode/config -run TestReferenceIsCurrent -update", referencePath)
	}
}

// TestReferenceListsEveryParameter checks the page names every parameter
// with its default and range, so a change to the table shows in the docs.
func TestReferenceListsEveryParameter(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, p := range Params() {
		if !strings.Contains(doc, "`"+p.Name+"`") {
			t.Errorf("reference does not mention %s", p.Name)
		}
		if p.Status == Ignored {
			continue
		}
		// Some row of the parameter (one per section group) has both its
		// default and its range.
		row := "| " + paramCell(&p) + " | "
		found := false
		for rest := doc; !found; {
			i := strings.Index(rest, row)
			if i < 0 {
				break
			}
			line := rest[i : i+strings.IndexByte(rest[i:], '\n')]
			rest = rest[i+len(line):]
			found = strings.Contains(line, "| "+defaultCell(&p)+" |") &&
				(!p.Type.numeric() || strings.Contains(line, "| "+rangeText(&p)+" |"))
		}
		if !found {
			t.Errorf("reference has no row for %s with default %q and range %q", p.Name, defaultCell(&p), rangeCell(&p))
		}
	}
}

func TestReferenceExampleParses(t *testing.T) {
	c, warns, err := Parse("example", strings.NewReader(exampleLaptop))
	if err != nil || len(warns) > 0 {
		t.Fatalf("example: %v, warnings %v", err, warns)
	}
	if len(c.DataNodes) != 2 || len(c.MgmNodes) != 1 || len(c.APINodes) != 3 {
		t.Fatalf("example: %d data, %d mgm, %d api nodes", len(c.DataNodes), len(c.MgmNodes), len(c.APINodes))
	}
}
