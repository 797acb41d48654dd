package sqlnode

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// noObjects gives a database the engine's view, trigger, stored procedure
// and event interfaces, with none of them stored: reads find nothing and
// creating one is ER_NOT_SUPPORTED_YET. With users enabled the engine
// wraps every database in its privilege checker, which has these
// interfaces whatever it wraps and reports "database doesn't support
// views" (and the like) when the wrapped database lacks them, failing
// even the statements that only look whether a name is a view.
type noObjects struct{}

var (
	_ sql.ViewDatabase            = (*Database)(nil)
	_ sql.TriggerDatabase         = (*Database)(nil)
	_ sql.StoredProcedureDatabase = (*Database)(nil)
	_ sql.EventDatabase           = (*Database)(nil)
	_ sql.ViewDatabase            = (*infoDatabase)(nil)
	_ sql.TriggerDatabase         = (*infoDatabase)(nil)
	_ sql.StoredProcedureDatabase = (*infoDatabase)(nil)
	_ sql.EventDatabase           = (*infoDatabase)(nil)
)

// CreateView implements sql.ViewDatabase.
func (noObjects) CreateView(*sql.Context, string, string, string) error {
	return errNotSupported("views")
}

// DropView implements sql.ViewDatabase.
func (noObjects) DropView(_ *sql.Context, name string) error {
	return sql.ErrViewDoesNotExist.New("", name)
}

// GetViewDefinition implements sql.ViewDatabase.
func (noObjects) GetViewDefinition(*sql.Context, string) (sql.ViewDefinition, bool, error) {
	return sql.ViewDefinition{}, false, nil
}

// AllViews implements sql.ViewDatabase.
func (noObjects) AllViews(*sql.Context) ([]sql.ViewDefinition, error) { return nil, nil }

// GetTriggers implements sql.TriggerDatabase.
func (noObjects) GetTriggers(*sql.Context) ([]sql.TriggerDefinition, error) { return nil, nil }

// CreateTrigger implements sql.TriggerDatabase.
func (noObjects) CreateTrigger(*sql.Context, sql.TriggerDefinition) error {
	return errNotSupported("triggers")
}

// DropTrigger implements sql.TriggerDatabase.
func (noObjects) DropTrigger(_ *sql.Context, name string) error {
	return sql.ErrTriggerDoesNotExist.New(name)
}

// GetStoredProcedure implements sql.StoredProcedureDatabase.
func (noObjects) GetStoredProcedure(*sql.Context, string) (sql.StoredProcedureDetails, bool, error) {
	return sql.StoredProcedureDetails{}, false, nil
}

// GetStoredProcedures implements sql.StoredProcedureDatabase.
func (noObjects) GetStoredProcedures(*sql.Context) ([]sql.StoredProcedureDetails, error) {
	return nil, nil
}

// SaveStoredProcedure implements sql.StoredProcedureDatabase.
func (noObjects) SaveStoredProcedure(*sql.Context, sql.StoredProcedureDetails) error {
	return errNotSupported("stored procedures")
}

// DropStoredProcedure implements sql.StoredProcedureDatabase.
func (noObjects) DropStoredProcedure(_ *sql.Context, name string) error {
	return sql.ErrStoredProcedureDoesNotExist.New(name)
}

// GetEvent implements sql.EventDatabase.
func (noObjects) GetEvent(*sql.Context, string) (sql.EventDefinition, bool, error) {
	return sql.EventDefinition{}, false, nil
}

// GetEvents implements sql.EventDatabase.
func (noObjects) GetEvents(*sql.Context) ([]sql.EventDefinition, interface{}, error) {
	return nil, nil, nil
}

// SaveEvent implements sql.EventDatabase.
func (noObjects) SaveEvent(*sql.Context, sql.EventDefinition) (bool, error) {
	return false, errNotSupported("events")
}

// DropEvent implements sql.EventDatabase.
func (noObjects) DropEvent(_ *sql.Context, name string) error {
	return sql.ErrEventDoesNotExist.New(name)
}

// UpdateEvent implements sql.EventDatabase.
func (noObjects) UpdateEvent(*sql.Context, string, sql.EventDefinition) (bool, error) {
	return false, errNotSupported("events")
}

// UpdateLastExecuted implements sql.EventDatabase.
func (noObjects) UpdateLastExecuted(*sql.Context, string, time.Time) error {
	return errNotSupported("events")
}

// NeedsToReloadEvents implements sql.EventDatabase.
func (noObjects) NeedsToReloadEvents(*sql.Context, interface{}) (bool, error) { return false, nil }
