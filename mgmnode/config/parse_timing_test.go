package config

import (
	"bytes"
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/four-data-nodes.ini")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("four-data-nodes.ini", bytes.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteINI(b *testing.B) {
	c, _, err := ParseFile("testdata/four-data-nodes.ini")
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := c.WriteINI(&buf); err != nil {
			b.Fatal(err)
		}
	}
}
