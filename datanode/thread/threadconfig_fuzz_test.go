package thread

import (
	"reflect"
	"testing"
)

// FuzzParseThreadConfig: parsing never panics, and a parsed config prints to
// a string that parses back to the same config and prints the same.
func FuzzParseThreadConfig(f *testing.F) {
	f.Add("ldm={count=2,cpubind=0,1},tc={count=1},recv={count=1},send={count=1},main={count=1}")
	f.Add("ldm={count=4,cpubind=0-3}")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseThreadConfig(s)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parse(%q) = %+v fails Validate: %v", s, c, err)
		}
		s2 := c.String()
		c2, err := ParseThreadConfig(s2)
		if err != nil {
			t.Fatalf("parse(%q) ok, but parse(String) = parse(%q): %v", s, s2, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip of %q via %q:\n %+v\n %+v", s, s2, c, c2)
		}
		if s3 := c2.String(); s3 != s2 {
			t.Fatalf("String not stable: %q then %q", s2, s3)
		}
	})
}
