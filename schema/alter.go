package schema

import (
	"errors"
	"fmt"
	"slices"
)

// ErrUnsupportedChange: a new version of a table changes something a
// running cluster cannot change in place.
var ErrUnsupportedChange = errors.New("schema: unsupported table change")

// CheckIndexChange checks that next is a version of old that differs only
// in what the cluster changes online (CREATE INDEX and DROP INDEX):
//
//   - ordered indexes appended after old's indexes;
//   - indexes of old replaced by the dropped placeholder (IndexDropped),
//     in place, so every other index keeps its number.
//
// The columns, keys, table options and every index that stays must be
// equal; a new unique index, which needs its hidden table filled from the
// rows, is not supported yet. Errors match ErrUnsupportedChange. The
// tables are not changed; next should also pass Validate.
func CheckIndexChange(old, next *Table) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: table %s: %s", ErrUnsupportedChange, old.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case next.Name != old.Name:
		return bad("the name changes to %s", next.Name)
	case !slices.Equal(next.Columns, old.Columns):
		return bad("the columns change")
	case !slices.Equal(next.PrimaryKey, old.PrimaryKey):
		return bad("the primary key changes")
	case !slices.Equal(next.DistributionKey, old.DistributionKey):
		return bad("the distribution key changes")
	case next.ReadBackup != old.ReadBackup || next.FullyReplicated != old.FullyReplicated:
		return bad("the READ_BACKUP or FULLY_REPLICATED option changes")
	case len(next.Indexes) < len(old.Indexes):
		return bad("%d indexes become %d (a dropped index keeps its place as IndexDropped)", len(old.Indexes), len(next.Indexes))
	}
	for i := range old.Indexes {
		o, n := &old.Indexes[i], &next.Indexes[i]
		if n.Kind == IndexDropped {
			continue
		}
		if o.Kind == IndexDropped {
			return bad("index %d was dropped; its place cannot be reused (by %s)", i, n.Name)
		}
		if n.Name != o.Name || n.Kind != o.Kind || !slices.Equal(n.Columns, o.Columns) {
			return bad("index %d (%s) changes; drop it and create another", i, o.Name)
		}
	}
	for i := len(old.Indexes); i < len(next.Indexes); i++ {
		if n := &next.Indexes[i]; n.Kind != IndexOrdered {
			return bad("new index %s is not an ordered index (unique indexes are created with the table only)", n.Name)
		}
	}
	return nil
}

// IndexesAdded lists the positions of the ordered indexes that next, a
// version of old that passes CheckIndexChange, adds.
func IndexesAdded(old, next *Table) []int {
	var out []int
	for i := len(old.Indexes); i < len(next.Indexes); i++ {
		out = append(out, i)
	}
	return out
}

// IndexesDropped lists the positions of old's indexes that next drops.
func IndexesDropped(old, next *Table) []int {
	var out []int
	for i := range old.Indexes {
		if old.Indexes[i].Kind != IndexDropped && i < len(next.Indexes) && next.Indexes[i].Kind == IndexDropped {
			out = append(out, i)
		}
	}
	return out
}
