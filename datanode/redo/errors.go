package redo

import (
	"errors"
	"strconv"

	"github.com/gondb/gondb/ndberr"
)

// Error is a redo error that carries an NDB error code. The values below are
// shared and never modified; match them with errors.Is.
type Error struct {
	code      int
	temporary bool
	msg       string
}

func (e *Error) Error() string {
	return "redo: " + e.msg + " (NDB error " + strconv.Itoa(e.code) + ")"
}

// Code is the NDB error number (0 for gondb-internal errors without one).
func (e *Error) Code() int { return e.code }

// Temporary reports whether retrying later may succeed.
func (e *Error) Temporary() bool { return e.temporary }

// NDB returns the ndberr error with the same code: what LQH sends to TC.
func (e *Error) NDB() *ndberr.Error { return ndberr.ByCode(e.code) }

var (
	// ErrLogOverloaded: the ring is nearly full; the head would come within
	// the safety margin of the tail. Temporary: an LCP releases the tail.
	// NDB's 410, class Overload.
	ErrLogOverloaded = &Error{code: 410, temporary: true, msg: ndberr.ErrRedoLogOverloaded.Message}
	// ErrBufferOverloaded: the in-memory redo buffer is full; the writer has
	// not caught up. Temporary. NDB's 1221, class Overload.
	ErrBufferOverloaded = &Error{code: 1221, temporary: true, msg: ndberr.ErrRedoBufferOverloaded.Message}
)

// Errors without an NDB code: bugs in the caller or a closed log.
var (
	ErrClosed         = errors.New("redo: log is closed")
	ErrRecordTooLarge = errors.New("redo: record larger than half the redo buffer or MaxRecordSize")
	ErrBadRecord      = errors.New("redo: bad record (unknown op, key over MaxKeySize, or a delete with a row)")
	ErrNoLog          = errors.New("redo: no redo log metadata in the part directory")
)

// CorruptError reports a page or record that fails its checks inside the
// part of the log that was synced: data that was promised durable is bad.
// Offset is the byte offset in File of the page (or, when the page's own
// checks pass, of the record header) at fault.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return "redo: corrupt log: " + e.File + " at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
}
