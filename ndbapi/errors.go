package ndbapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gondb/gondb/ndberr"
)

// Error is a failed transaction or operation: the NDB code with its
// message and classification (package ndberr), and where it happened.
type Error struct {
	Code           int
	Message        string
	Classification ndberr.Classification
	// Op is the operation's position in its transaction (its definition
	// order), or -1 when the error is the transaction's own.
	Op int
	// Node is the data node whose TC reported it (0: raised by the API).
	Node uint16
	// Detail says more, when the API raised the error itself.
	Detail string
}

func newError(code int, op int, node uint16, detail string) *Error {
	e := ndberr.ByCode(code)
	return &Error{Code: e.Code, Message: e.Message, Classification: e.Classification, Op: op, Node: node, Detail: detail}
}

func (e *Error) Error() string {
	s := fmt.Sprintf("ndbapi: %s (NDB error %d, %s, %s)", e.Message, e.Code, e.Classification, e.Status())
	if e.Op >= 0 {
		s += fmt.Sprintf(" in operation %d", e.Op)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Status is the error's status: temporary, permanent or unknown result.
func (e *Error) Status() ndberr.Status { return e.Classification.Status() }

// Temporary reports whether running the transaction again may succeed.
func (e *Error) Temporary() bool { return e.Status() == ndberr.StatusTemporary }

// UnknownResult reports whether the transaction may or may not have
// committed (the API lost contact with its TC while committing).
func (e *Error) UnknownResult() bool { return e.Status() == ndberr.StatusUnknownResult }

// Is matches another *Error or an *ndberr.Error with the same code, so
// errors.Is(err, ndberr.ErrRowExists) works.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Code == e.Code
	case *ndberr.Error:
		return t.Code == e.Code
	}
	return false
}

// IsTemporary reports whether err (or an error it wraps) is an NDB error
// whose transaction may succeed when run again.
func IsTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return ndberr.IsTemporary(err)
}

// Code returns err's NDB error code, or 0.
func Code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ndberr.CodeOf(err)
}

// RetryPolicy says how RunTransaction retries temporary errors.
type RetryPolicy struct {
	// MaxAttempts bounds the runs of the function, the first included.
	MaxAttempts int
	// Backoff is the first wait; each retry doubles it up to MaxBackoff,
	// with up to 50% random jitter so clients that collided spread out.
	Backoff, MaxBackoff time.Duration
}

// DefaultRetryPolicy retries like NDB's examples: 10 attempts, 1 ms
// doubling to 100 ms (a deadlock time-out already took 1.2 s).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, Backoff: time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

// RunTransaction runs fn in a new transaction of ndb (started with table
// and key as its distribution hint; both may be nil) and commits it if fn
// did not, retrying from the start while the error is temporary. fn must
// define its operations and may Execute(NoCommit) to read; returning an
// error rolls the transaction back and, unless temporary, ends the retries.
// It returns the last error.
func RunTransaction(ctx context.Context, ndb *Ndb, table *Table, keyHint []byte, fn func(tx *Transaction) error, p RetryPolicy) error {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	wait := p.Backoff
	var err error
	for attempt := 0; attempt < p.MaxAttempts; attempt++ {
		if attempt > 0 {
			d := wait
			if d > 0 {
				d += time.Duration(rand.Int64N(int64(d)/2 + 1))
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(err, ctx.Err())
			case <-t.C:
			}
			if wait *= 2; p.MaxBackoff > 0 && wait > p.MaxBackoff {
				wait = p.MaxBackoff
			}
		}
		err = runOnce(ndb, table, keyHint, fn)
		if err == nil || !IsTemporary(err) {
			return err
		}
	}
	return err
}

func runOnce(ndb *Ndb, table *Table, keyHint []byte, fn func(tx *Transaction) error) error {
	tx, err := ndb.StartTransaction(table, keyHint)
	if err != nil {
		return err
	}
	defer tx.Close()
	if err := fn(tx); err != nil {
		if tx.state == txOpen {
			tx.Execute(Rollback)
		}
		return err
	}
	if tx.state == txOpen {
		return tx.Execute(Commit)
	}
	return tx.Err()
}
