package lineedit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// ErrInterrupted is returned by ReadLine when the user pressed Ctrl-C.
var ErrInterrupted = errors.New("interrupted")

// MaxHistory is how many lines the history keeps.
const MaxHistory = 500

// Editor reads lines with editing and history.
type Editor struct {
	in       io.Reader
	fd       int
	term     bool
	out      io.Writer
	r        *bufio.Reader
	history  []string
	histPath string
	added    bool
}

// New makes an Editor reading in and echoing to out. Editing is on when in
// is a terminal. historyPath, when not empty, is loaded now and written by
// Close (missing or unreadable: an empty history).
func New(in *os.File, out io.Writer, historyPath string) *Editor {
	e := &Editor{in: in, fd: int(in.Fd()), out: out, r: bufio.NewReader(in), histPath: historyPath}
	e.term = isTerminal(e.fd)
	if historyPath != "" {
		if b, err := os.ReadFile(historyPath); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimRight(l, "\r"); l != "" {
					e.history = append(e.history, l)
				}
			}
			if len(e.history) > MaxHistory {
				e.history = e.history[len(e.history)-MaxHistory:]
			}
		}
	}
	return e
}

// Terminal reports whether input is a terminal (editing is on).
func (e *Editor) Terminal() bool { return e.term }

// History returns the history, oldest first.
func (e *Editor) History() []string { return append([]string(nil), e.history...) }

// AddHistory appends line to the history, unless it is empty or repeats
// the last entry.
func (e *Editor) AddHistory(line string) {
	line = strings.TrimSpace(line)
	if line == "" || strings.ContainsAny(line, "\n\r") || (len(e.history) > 0 && e.history[len(e.history)-1] == line) {
		return
	}
	e.history = append(e.history, line)
	if len(e.history) > MaxHistory {
		e.history = e.history[len(e.history)-MaxHistory:]
	}
	e.added = true
}

// Close writes the history file (when lines were added), replacing it
// atomically. The input is not closed.
func (e *Editor) Close() error {
	if e.histPath == "" || !e.added {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(e.histPath), ".history-*")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	_, err = tmp.WriteString(strings.Join(e.history, "\n") + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), e.histPath)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// ReadLine shows prompt and returns the line entered, without its end.
// At the end of input it returns io.EOF (with any partial last line). When
// input is not a terminal, the prompt is not shown and lines are read as
// they are.
func (e *Editor) ReadLine(prompt string) (string, error) {
	if !e.term {
		l, err := e.r.ReadString('\n')
		l = strings.TrimRight(l, "\r\n")
		if err == io.EOF && l != "" {
			return l, nil
		}
		return l, err
	}
	restore, err := makeRaw(e.fd)
	if err != nil {
		return "", err
	}
	defer restore()
	return edit(e.r, e.out, prompt, e.history)
}

// line is the line being edited.
type line struct {
	w      io.Writer
	prompt string
	buf    []rune
	pos    int
	hist   []string
	hidx   int    // len(hist): the new line
	saved  []rune // the new line while walking the history
}

func (l *line) redraw() {
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(l.prompt)
	b.WriteString(string(l.buf))
	b.WriteString("\x1b[K")
	if back := len(l.buf) - l.pos; back > 0 {
		fmt.Fprintf(&b, "\x1b[%dD", back)
	}
	io.WriteString(l.w, b.String())
}

func (l *line) insert(r rune) {
	l.buf = append(l.buf, 0)
	copy(l.buf[l.pos+1:], l.buf[l.pos:])
	l.buf[l.pos] = r
	l.pos++
}

func (l *line) deleteAt(i int) {
	if i < 0 || i >= len(l.buf) {
		return
	}
	l.buf = append(l.buf[:i], l.buf[i+1:]...)
}

func (l *line) histMove(d int) {
	to := l.hidx + d
	if to < 0 || to > len(l.hist) {
		return
	}
	if l.hidx == len(l.hist) {
		l.saved = append([]rune(nil), l.buf...)
	}
	l.hidx = to
	if to == len(l.hist) {
		l.buf = append([]rune(nil), l.saved...)
	} else {
		l.buf = []rune(l.hist[to])
	}
	l.pos = len(l.buf)
}

// Keys, as decoded from the input.
const (
	keyUp = -(iota + 1)
	keyDown
	keyRight
	keyLeft
	keyHome
	keyEnd
	keyDelete
	keyUnknown
)

// readKey returns the next key: a rune, or one of the key constants for an
// escape sequence.
func readKey(r *bufio.Reader) (rune, error) {
	c, _, err := r.ReadRune()
	if err != nil || c != 0x1b {
		return c, err
	}
	c, _, err = r.ReadRune()
	if err != nil {
		return 0, err
	}
	if c != '[' && c != 'O' {
		return keyUnknown, nil // Alt-<key>: ignored
	}
	var num []rune
	for {
		c, _, err = r.ReadRune()
		if err != nil {
			return 0, err
		}
		if c >= '0' && c <= '9' || c == ';' {
			num = append(num, c)
			continue
		}
		break
	}
	switch c {
	case 'A':
		return keyUp, nil
	case 'B':
		return keyDown, nil
	case 'C':
		return keyRight, nil
	case 'D':
		return keyLeft, nil
	case 'H':
		return keyHome, nil
	case 'F':
		return keyEnd, nil
	case '~':
		switch string(num) {
		case "1", "7":
			return keyHome, nil
		case "4", "8":
			return keyEnd, nil
		case "3":
			return keyDelete, nil
		}
	}
	return keyUnknown, nil
}

// edit runs the editor over r until a line is entered.
func edit(r *bufio.Reader, w io.Writer, prompt string, hist []string) (string, error) {
	l := &line{w: w, prompt: prompt, hist: hist, hidx: len(hist)}
	l.redraw()
	for {
		k, err := readKey(r)
		if err != nil {
			io.WriteString(w, "\r\n")
			return string(l.buf), err
		}
		switch k {
		case '\r', '\n':
			io.WriteString(w, "\r\n")
			return string(l.buf), nil
		case 3: // Ctrl-C
			io.WriteString(w, "^C\r\n")
			return "", ErrInterrupted
		case 4: // Ctrl-D
			if len(l.buf) == 0 {
				io.WriteString(w, "\r\n")
				return "", io.EOF
			}
			l.deleteAt(l.pos)
		case 1, keyHome: // Ctrl-A
			l.pos = 0
		case 5, keyEnd: // Ctrl-E
			l.pos = len(l.buf)
		case 2, keyLeft: // Ctrl-B
			if l.pos > 0 {
				l.pos--
			}
		case 6, keyRight: // Ctrl-F
			if l.pos < len(l.buf) {
				l.pos++
			}
		case 0x7f, 8: // Backspace, Ctrl-H
			if l.pos > 0 {
				l.pos--
				l.deleteAt(l.pos)
			}
		case keyDelete:
			l.deleteAt(l.pos)
		case 11: // Ctrl-K
			l.buf = l.buf[:l.pos]
		case 21: // Ctrl-U
			l.buf = append([]rune(nil), l.buf[l.pos:]...)
			l.pos = 0
		case 23: // Ctrl-W
			i := l.pos
			for i > 0 && unicode.IsSpace(l.buf[i-1]) {
				i--
			}
			for i > 0 && !unicode.IsSpace(l.buf[i-1]) {
				i--
			}
			l.buf = append(l.buf[:i], l.buf[l.pos:]...)
			l.pos = i
		case 12: // Ctrl-L
			io.WriteString(w, "\x1b[H\x1b[2J")
		case 16, keyUp: // Ctrl-P
			l.histMove(-1)
		case 14, keyDown: // Ctrl-N
			l.histMove(+1)
		default:
			if k >= 0x20 && unicode.IsPrint(k) {
				l.insert(k)
			}
		}
		l.redraw()
	}
}
