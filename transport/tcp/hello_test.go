package tcp

import (
	"bytes"
	"errors"
	"testing"
)

func TestHelloGolden(t *testing.T) {
	// The layout is a wire format: pin it byte for byte.
	got := appendHello(nil, hello{Version: 1, Sender: 0x0102, Receiver: 3})
	want := []byte{'g', 'T', 'C', 'P', 1, 0, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Fatalf("hello % x, want % x", got, want)
	}
}

func TestParseHello(t *testing.T) {
	good := appendHello(nil, hello{Version: HelloVersion, Sender: 7, Receiver: 2})
	mod := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"good", good, true},
		{"short", good[:15], false},
		{"long", append(bytes.Clone(good), 0), false},
		{"bad magic", mod(0, 'G'), false},
		{"version 0", mod(4, 0), false},
		{"version 2", mod(4, 2), false},
		{"version high byte", mod(5, 1), false},
		{"sender 0", mod(6, 0), false},
		{"sender over max", append(append(bytes.Clone(good[:6]), 0, 1), good[8:]...), false},
		{"receiver 0", mod(8, 0), false},
		{"reserved set", mod(15, 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHello(tc.b)
			if tc.ok {
				if err != nil || h != (hello{Version: HelloVersion, Sender: 7, Receiver: 2}) {
					t.Fatalf("parseHello = %+v, %v", h, err)
				}
				return
			}
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("parseHello(% x) = %+v, %v; want ErrHandshake", tc.b, h, err)
			}
		})
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add(appendHello(nil, hello{Version: HelloVersion, Sender: 7, Receiver: 2}))
	f.Add([]byte("gTCP"))
	f.Add(make([]byte, HelloSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHello(b)
		if err != nil {
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("error %v is not ErrHandshake", err)
			}
			return
		}
		// Whatever parses re-encodes to the same bytes: no field is ignored.
		if again := appendHello(nil, h); !bytes.Equal(again, b) {
			t.Fatalf("parsed % x as %+v, which encodes as % x", b, h, again)
		}
	})
}
