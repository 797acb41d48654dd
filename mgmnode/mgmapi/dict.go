package mgmapi

import (
	"context"

	"google.golang.org/grpc"
)

// The schema dictionary is a second gRPC service on the same server and
// connection, gondb.mgm.Dictionary, so that the Management service's
// interface stays as it is. Every management server serves it from the
// shared etcd; no forwarding between servers.
const DictionaryServiceName = "gondb.mgm.Dictionary"

// Dictionary method names: /gondb.mgm.Dictionary/<name>.
const (
	MethodCreateTable = "CreateTable"
	MethodDropTable   = "DropTable"
	MethodAlterTable  = "AlterTable"
	MethodGetTable    = "GetTable"
	MethodListTables  = "ListTables"
	MethodWatchTables = "WatchTables"
)

// TableInfo is one table of the dictionary. Definition is the table in
// schema/schemacodec's encoding; its id and version are ID and Version.
type TableInfo struct {
	ID         uint32 `json:"id"`
	Name       string `json:"name"`
	Version    uint32 `json:"version"`
	Definition []byte `json:"definition"`
	// Revision is the etcd revision of the record.
	Revision int64 `json:"revision,omitempty"`
}

// CreateTableRequest adds a table. Definition is schemacodec's encoding;
// its id is ignored (the server assigns one) and its name must be Name
// or empty.
type CreateTableRequest struct {
	Name       string `json:"name"`
	Definition []byte `json:"definition"`
}

// DropTableRequest removes the table named Name.
type DropTableRequest struct {
	Name string `json:"name"`
}

// AlterTableRequest stores a new version of the table named Name.
// Definition is schemacodec's encoding of the whole new definition; its id
// and version are ignored. The table must still be at Version (else
// CodeConflict: read it again and retry), and the new definition may only
// add ordered indexes or drop indexes (schema.CheckIndexChange; else
// CodeInvalid). The reply is the table as stored, at Version+1.
type AlterTableRequest struct {
	Name       string `json:"name"`
	Version    uint32 `json:"version"`
	Definition []byte `json:"definition"`
}

// GetTableRequest names a table by Name, or by ID when Name is empty.
type GetTableRequest struct {
	Name string `json:"name,omitempty"`
	ID   uint32 `json:"id,omitempty"`
}

// TableReply is a table: the created one, the one read, or the dropped
// one's last record.
type TableReply struct {
	Table TableInfo `json:"table"`
}

// ListTablesRequest asks for every table.
type ListTablesRequest struct{}

// ListTablesReply is every table in id order, read at Revision.
type ListTablesReply struct {
	Tables   []TableInfo `json:"tables"`
	Revision int64       `json:"revision"`
}

// WatchTablesRequest opens a table event stream. With AfterRevision 0 the
// stream starts with the whole dictionary (TableExists events, then
// TablesSynced); otherwise it sends the changes after that etcd revision.
type WatchTablesRequest struct {
	AfterRevision int64 `json:"after_revision,omitempty"`
}

// TableEventKind says what a TableEvent reports.
type TableEventKind string

const (
	// TableExists: part of the stream's first snapshot.
	TableExists TableEventKind = "exists"
	// TablesSynced: the snapshot is complete; Revision is its revision.
	TablesSynced TableEventKind = "synced"
	// TablePut: a table was created or changed (Table is its new record).
	TablePut TableEventKind = "put"
	// TableDropped: a table was dropped (Table is its last record, or
	// only its id when that is unknown).
	TableDropped TableEventKind = "dropped"
)

// TableEvent is one message of the WatchTables stream.
type TableEvent struct {
	Kind     TableEventKind `json:"kind"`
	Table    TableInfo      `json:"table"`
	Revision int64          `json:"revision"`
}

// DictionaryService is what a management server implements for the
// dictionary. Methods are called concurrently.
type DictionaryService interface {
	CreateTable(context.Context, *CreateTableRequest) (*TableReply, error)
	DropTable(context.Context, *DropTableRequest) (*TableReply, error)
	AlterTable(context.Context, *AlterTableRequest) (*TableReply, error)
	GetTable(context.Context, *GetTableRequest) (*TableReply, error)
	ListTables(context.Context, *ListTablesRequest) (*ListTablesReply, error)
	// WatchTables sends events on stream until stream.Context() ends,
	// the server stops, or the watch fails (the error ends the stream).
	WatchTables(*WatchTablesRequest, TableEventStream) error
}

// TableEventStream is the server side of WatchTables; one goroutine sends.
type TableEventStream interface {
	Context() context.Context
	Send(*TableEvent) error
}

type tableEventServerStream struct{ grpc.ServerStream }

func (s tableEventServerStream) Send(e *TableEvent) error { return s.SendMsg(e) }

var dictionaryDesc = grpc.ServiceDesc{
	ServiceName: DictionaryServiceName,
	HandlerType: (*DictionaryService)(nil),
	Methods: []grpc.MethodDesc{
		unary(DictionaryServiceName, MethodCreateTable, DictionaryService.CreateTable),
		unary(DictionaryServiceName, MethodDropTable, DictionaryService.DropTable),
		unary(DictionaryServiceName, MethodAlterTable, DictionaryService.AlterTable),
		unary(DictionaryServiceName, MethodGetTable, DictionaryService.GetTable),
		unary(DictionaryServiceName, MethodListTables, DictionaryService.ListTables),
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    MethodWatchTables,
		ServerStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			req := new(WatchTablesRequest)
			if err := ss.RecvMsg(req); err != nil {
				return err
			}
			return srv.(DictionaryService).WatchTables(req, tableEventServerStream{ss})
		},
	}},
	Metadata: "gondb/mgmnode/mgmapi",
}

var watchTablesDesc = grpc.StreamDesc{StreamName: MethodWatchTables, ServerStreams: true}

// RegisterDictionary adds the Dictionary service, implemented by impl, to
// s (made with ServerOptions, which also apply to it).
func RegisterDictionary(s *grpc.Server, impl DictionaryService) {
	s.RegisterService(&dictionaryDesc, impl)
}

func (c *Client) CreateTable(ctx context.Context, r *CreateTableRequest, o ...grpc.CallOption) (*TableReply, error) {
	return invoke[CreateTableRequest, TableReply](c, ctx, DictionaryServiceName, MethodCreateTable, r, o)
}

func (c *Client) DropTable(ctx context.Context, r *DropTableRequest, o ...grpc.CallOption) (*TableReply, error) {
	return invoke[DropTableRequest, TableReply](c, ctx, DictionaryServiceName, MethodDropTable, r, o)
}

func (c *Client) AlterTable(ctx context.Context, r *AlterTableRequest, o ...grpc.CallOption) (*TableReply, error) {
	return invoke[AlterTableRequest, TableReply](c, ctx, DictionaryServiceName, MethodAlterTable, r, o)
}

func (c *Client) GetTable(ctx context.Context, r *GetTableRequest, o ...grpc.CallOption) (*TableReply, error) {
	return invoke[GetTableRequest, TableReply](c, ctx, DictionaryServiceName, MethodGetTable, r, o)
}

func (c *Client) ListTables(ctx context.Context, r *ListTablesRequest, o ...grpc.CallOption) (*ListTablesReply, error) {
	return invoke[ListTablesRequest, ListTablesReply](c, ctx, DictionaryServiceName, MethodListTables, r, o)
}

// TableEventReceiver is the client side of WatchTables.
type TableEventReceiver interface {
	// Recv returns the next event, or the error that ended the stream.
	Recv() (*TableEvent, error)
}

// WatchTables opens a table event stream; cancel ctx to end it.
func (c *Client) WatchTables(ctx context.Context, r *WatchTablesRequest, o ...grpc.CallOption) (TableEventReceiver, error) {
	s, err := openStream[TableEvent](ctx, c, &watchTablesDesc, "/"+DictionaryServiceName+"/"+MethodWatchTables, r, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}
