package server

import (
	"fmt"

	"github.com/gondb/gondb/schema"
)

// validTable checks what a data node will do with the table: its layout,
// and the layouts of its unique indexes' hidden tables.
func validTable(t *schema.Table) error {
	l, err := schema.NewLayout(t)
	if err != nil {
		return err
	}
	for i := range t.Indexes {
		if t.Indexes[i].Kind != schema.IndexUniqueHash {
			continue
		}
		ht, err := schema.UniqueIndexTable(l, &t.Indexes[i], 1)
		if err != nil {
			return fmt.Errorf("unique index %s: %w", t.Indexes[i].Name, err)
		}
		if _, err := schema.NewLayout(ht); err != nil {
			return fmt.Errorf("unique index %s: %w", t.Indexes[i].Name, err)
		}
	}
	return nil
}
