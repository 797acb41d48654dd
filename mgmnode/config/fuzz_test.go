package config

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"
)

// fuzzSeed formats data as a corpus file of FuzzParse.
func fuzzSeed(data []byte) string {
	return "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
}

// FuzzParse: Parse never panics, and a config that parses is written by
// WriteINI and parses again to an equal Config, without warnings.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		minimal,
		exampleLaptop,
		"[ndbd default]\nNoOfReplicas=2\nDataDir=/d\n[mgm]\nDataDir=/m\n[db]\nNodeGroup=1\n[db]\n[db]\n[db]\n[tcp]\nNodeId1=1\nNodeId2=5\n",
		"[ndbd]\nDataMemory=5X\nNodeId=300\n[api]\n[api]\nId=1\n",
		"[ndbd default]\nThreadConfig=ldm={count=2},tc={}\nMaxNoOfExecutionThreads=4\nIndexMemory=1M\nODirect=1\n",
		"x\n[\n[]\n=\n:\n[ndbd default]\n[ndbd default]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse("fuzz.ini", bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatal("Config returned with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		var b bytes.Buffer
		if err := c.WriteINI(&b); err != nil {
			t.Fatalf("WriteINI: %v", err)
		}
		back, warns, err := Parse("written.ini", bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, b.String())
		}
		for _, w := range warns {
			if w.Param != "MaxNoOfExecutionThreads" { // kept next to ThreadConfig
				t.Errorf("re-parse warning: %s", w)
			}
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip differs\n got %+v\nwant %+v\n%s", back, c, b.String())
		}
	})
}
