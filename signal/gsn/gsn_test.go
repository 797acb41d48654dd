package gsn

import (
	"testing"

	"github.com/gondb/gondb/signal"
)

// TestNumbersArePinned: these are wire values. Changing one breaks every
// mixed-version cluster; add new numbers instead.
func TestNumbersArePinned(t *testing.T) {
	pinned := map[signal.Number]signal.Number{
		TCKEYREQ: 10, TCKEYCONF: 11, TCKEYREF: 12, TCCOMMITCONF: 13, TCROLLBACKREP: 14,
		LQHKEYREQ: 20, LQHKEYCONF: 21, LQHKEYREF: 22, COMMIT: 23, COMMITTED: 24,
		COMPLETE: 25, COMPLETED: 26, ABORT: 27, ABORTED: 28,
		GCP_SAVEREQ: 50, GCP_SAVECONF: 51, GCP_COPYGCIREQ: 52, GCP_COPYGCICONF: 53, GCP_SAVED_REP: 54,
		FS_SYNCREDOREQ: 55, FS_SYNCREDOCONF: 56, FS_WRITESYSFILEREQ: 57, FS_WRITESYSFILECONF: 58,
	}
	seen := map[signal.Number]bool{}
	for got, want := range pinned {
		if got != want {
			t.Errorf("signal number %d changed to %d", want, got)
		}
		if seen[got] {
			t.Errorf("signal number %d used twice", got)
		}
		seen[got] = true
	}
	if BlockAPI != 1 || BlockTC != 2 || BlockLQH != 3 || BlockDIH != 4 || BlockFS != 5 {
		t.Error("block numbers changed")
	}
	if OpRead != 1 || OpReadExclusive != 2 || OpInsert != 3 || OpUpdate != 4 || OpWrite != 5 || OpDelete != 6 {
		t.Error("operation numbers changed")
	}
}
