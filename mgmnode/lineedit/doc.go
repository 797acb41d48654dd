// Package lineedit reads command lines from a terminal with editing and a
// history, for interactive tools (`gondb mgm`): cursor movement, deletion,
// Emacs-style control keys and the arrow keys, and a history kept in a
// file between sessions. When input is not a terminal it just reads lines.
//
// Keys: Left/Right or Ctrl-B/F move; Home/End or Ctrl-A/E jump; Backspace
// and Delete (or Ctrl-D on a non-empty line) delete; Ctrl-K, Ctrl-U and
// Ctrl-W cut to the end, to the start and the word before; Up/Down or
// Ctrl-P/N walk the history; Ctrl-L clears the screen; Ctrl-C abandons
// the line (ErrInterrupted); Ctrl-D on an empty line ends input (io.EOF).
// Characters are taken as one column wide.
//
// The terminal is in raw mode only while ReadLine waits for a line, so
// output between lines is ordinary. Raw mode uses termios through
// golang.org/x/sys/unix on Linux; elsewhere input is read as plain lines.
//
// Threading: an Editor is used by one goroutine. It imports nothing from
// gondb.
package lineedit
