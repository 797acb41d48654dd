package lineedit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	up    = "\x1b[A"
	down  = "\x1b[B"
	right = "\x1b[C"
	left  = "\x1b[D"
	home  = "\x1b[H"
	end   = "\x1b[F"
	del   = "\x1b[3~"
)

func TestEdit(t *testing.T) {
	hist := []string{"SHOW", "2 STOP"}
	tests := []struct {
		name string
		keys string
		want string
		err  error
	}{
		{"plain", "SHOW\r", "SHOW", nil},
		{"newline ends too", "ALL STATUS\n", "ALL STATUS", nil},
		{"backspace", "SHOX\x7fW\r", "SHOW", nil},
		{"insert in the middle", "2 STP" + left + "O\r", "2 STOP", nil},
		{"home and end", "STATUS" + home + "2 " + end + "!\r", "2 STATUS!", nil},
		{"ctrl-a ctrl-e", "b\x01a\x05c\r", "abc", nil},
		{"ctrl-b ctrl-f", "ac\x02b\x06d\r", "abcd", nil},
		{"delete key", "abc" + home + del + "\r", "bc", nil},
		{"ctrl-d deletes under the cursor", "abc\x01\x04\r", "bc", nil},
		{"ctrl-k", "abcdef\x01" + right + right + "\x0b\r", "ab", nil},
		{"ctrl-u", "abcdef" + left + left + "\x15\r", "ef", nil},
		{"ctrl-w", "2 RESTART -n\x17\x17-i\r", "2 -i", nil},
		{"history up", up + "\r", "2 STOP", nil},
		{"history up twice, edit", up + up + " X\r", "SHOW X", nil},
		{"history past the start stays", up + up + up + up + "\r", "SHOW", nil},
		{"history back down to the new line", "new" + up + down + "\r", "new", nil},
		{"ctrl-p ctrl-n", "\x10\x10\x0e\r", "2 STOP", nil},
		{"ctrl-c", "abc\x03", "", ErrInterrupted},
		{"ctrl-d on empty line", "\x04", "", io.EOF},
		{"end of input", "partial", "partial", io.EOF},
		{"unicode", "héllo" + left + "\x7f\r", "hélo", nil},
		{"unknown escapes ignored", "a\x1bxb\x1b[5~c\x1b[1;5Cd\r", "abcd", nil},
		{"control characters ignored", "a\tb\x00c\r", "abc", nil},
		{"ctrl-l clears and keeps the line", "ab\x0cc\r", "abc", nil},
		{"left at start, right at end stay", left + "a" + right + right + "b\r", "ab", nil},
		{"backspace at start", "\x7fa\r", "a", nil},
	}
	for _, tt := range tests {
		var out strings.Builder
		got, err := edit(bufio.NewReader(strings.NewReader(tt.keys)), &out, "> ", slices.Clone(hist))
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
		if !strings.HasPrefix(out.String(), "\r> \x1b[K") {
			t.Errorf("%s: output does not start with the prompt: %q", tt.name, out.String())
		}
	}
}

func TestRedraw(t *testing.T) {
	var out strings.Builder
	l := &line{w: &out, prompt: "p> ", buf: []rune("abcd"), pos: 1}
	l.redraw()
	if out.String() != "\r"+"p> abcd\x1b[K\x1b[3D" {
		t.Fatalf("redraw %q", out.String())
	}
}

// Input that is not a terminal is read as lines; the history is written
// on Close and read back by the next Editor.
func TestPipeAndHistoryFile(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fmt.Fprint(w, "SHOW\r\n\n2 STOP\nlast")
	w.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "hist")
	os.WriteFile(path, []byte("old1\nold2\n"), 0o600)
	var out strings.Builder
	e := New(r, &out, path)
	if e.Terminal() {
		t.Fatal("a pipe is a terminal")
	}
	var got []string
	for {
		l, err := e.ReadLine("> ")
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
		e.AddHistory(l)
	}
	if !slices.Equal(got, []string{"SHOW", "", "2 STOP", "last"}) || out.Len() != 0 {
		t.Fatalf("lines %q, output %q", got, out.String())
	}
	e.AddHistory("last") // a repeat is not added
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old1\nold2\nSHOW\n2 STOP\nlast\n" {
		t.Fatalf("history file %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v", fi.Mode())
	}
	e2 := New(r, &out, path)
	if h := e2.History(); !slices.Equal(h, []string{"old1", "old2", "SHOW", "2 STOP", "last"}) {
		t.Fatalf("history read back %q", h)
	}
	for i := range MaxHistory + 10 {
		e2.AddHistory(fmt.Sprint("cmd", i))
	}
	if h := e2.History(); len(h) != MaxHistory || h[len(h)-1] != fmt.Sprint("cmd", MaxHistory+9) {
		t.Fatalf("history not bounded: %d entries", len(h))
	}
	// No file: nothing written, no error.
	if err := New(r, &out, "").Close(); err != nil {
		t.Fatal(err)
	}
}
