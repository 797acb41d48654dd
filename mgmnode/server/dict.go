package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/schemacodec"
)

// The schema dictionary (mgmapi.DictionaryService). Table records live in
// etcd through state; definitions are schemacodec images whose id and
// version equal the record's.
//
// Creating a table is two etcd writes: state.CreateTable assigns the id
// (storing the definition with id 0 at version 1), then AlterTable stores
// the definition carrying that id as version 2. Readers never see the
// first: the watch skips records whose definition has id 0, and reads
// (which may meet one only if this server died between the writes) serve
// it with the record's id and version patched in.

var _ mgmapi.DictionaryService = (*Server)(nil)

// dictErr is storeErr with the dictionary's codes.
func dictErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, state.ErrTableExists):
		return &mgmapi.Error{Code: mgmapi.CodeTableExists, Msg: err.Error()}
	case errors.Is(err, state.ErrNoSuchTable):
		return &mgmapi.Error{Code: mgmapi.CodeNoSuchTable, Msg: err.Error()}
	}
	return storeErr(err)
}

// tableInfo converts a record, making its definition carry the record's
// id and version.
func tableInfo(t state.Table) (mgmapi.TableInfo, error) {
	ti := mgmapi.TableInfo{ID: t.ID, Name: t.Name, Version: t.Version, Definition: t.Definition, Revision: t.Revision}
	def, err := schemacodec.Decode(t.Definition)
	if err != nil {
		return ti, &mgmapi.Error{Code: mgmapi.CodeInternal, Msg: fmt.Sprintf("dictionary record of table %s (id %d): %v", t.Name, t.ID, err)}
	}
	if def.ID != t.ID || def.Version != t.Version || def.Name != t.Name {
		def.ID, def.Version, def.Name = t.ID, t.Version, t.Name
		if ti.Definition, err = schemacodec.Encode(def); err != nil {
			return ti, &mgmapi.Error{Code: mgmapi.CodeInternal, Msg: err.Error()}
		}
	}
	return ti, nil
}

func (s *Server) CreateTable(ctx context.Context, req *mgmapi.CreateTableRequest) (*mgmapi.TableReply, error) {
	def, err := schemacodec.Decode(req.Definition)
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %s: %v", req.Name, err)
	}
	if def.Name == "" {
		def.Name = req.Name
	}
	if req.Name == "" || def.Name != req.Name {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %q: the definition names table %q", req.Name, def.Name)
	}
	// Validate with an id in range; ids are below 2^23 (dih.HiddenTableID).
	def.ID, def.Version = 1, 1
	if _, err := schemacodec.Encode(def); err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %s: %v", req.Name, err)
	}
	if err := validTable(def); err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %s: %v", req.Name, err)
	}
	def.ID = 0
	first, err := schemacodec.Encode(def)
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %s: %v", req.Name, err)
	}
	rec, err := s.st.CreateTable(ctx, req.Name, first)
	if err != nil {
		return nil, dictErr(err)
	}
	if rec.ID >= maxTableID {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "create table %s: table ids are exhausted (id %d)", req.Name, rec.ID)
	}
	def.ID, def.Version = rec.ID, rec.Version+1
	final, err := schemacodec.Encode(def)
	if err != nil {
		return nil, &mgmapi.Error{Code: mgmapi.CodeInternal, Msg: err.Error()}
	}
	if rec, err = s.st.AlterTable(ctx, rec.ID, rec.Version, "", final); err != nil {
		return nil, dictErr(fmt.Errorf("create table %s: store the definition with id %d: %w", req.Name, rec.ID, err))
	}
	ti, err := tableInfo(rec)
	if err != nil {
		return nil, err
	}
	s.clog.add(mgmapi.SeverityInfo, "CreateTable", s.cfg.NodeID, "Table %s created with id %d", req.Name, rec.ID)
	return &mgmapi.TableReply{Table: ti}, nil
}

// maxTableID: data nodes number unique indexes' hidden tables as
// 1<<31 | id<<8 | index, so table ids stay below 2^23.
const maxTableID = 1 << 23

// stopPoll is how often an open WatchTables stream checks whether the
// server is stopping.
const stopPoll = 50 * time.Millisecond

func (s *Server) DropTable(ctx context.Context, req *mgmapi.DropTableRequest) (*mgmapi.TableReply, error) {
	rec, err := s.st.DropTable(ctx, req.Name)
	if err != nil {
		return nil, dictErr(err)
	}
	s.clog.add(mgmapi.SeverityInfo, "DropTable", s.cfg.NodeID, "Table %s (id %d) dropped", req.Name, rec.ID)
	ti, err := tableInfo(rec)
	if err != nil { // dropped all the same; say so without the definition
		ti = mgmapi.TableInfo{ID: rec.ID, Name: rec.Name, Version: rec.Version, Revision: rec.Revision}
	}
	return &mgmapi.TableReply{Table: ti}, nil
}

// AlterTable stores a new version of a table: for now only index changes
// (schema.CheckIndexChange), which data nodes apply online. The version
// check and the write are one etcd transaction (state.AlterTable).
func (s *Server) AlterTable(ctx context.Context, req *mgmapi.AlterTableRequest) (*mgmapi.TableReply, error) {
	def, err := schemacodec.Decode(req.Definition)
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "alter table %s: %v", req.Name, err)
	}
	rec, err := s.st.Table(ctx, req.Name)
	if err != nil {
		return nil, dictErr(err)
	}
	if rec.Version != req.Version {
		return nil, mgmapi.Errorf(mgmapi.CodeConflict, "alter table %s: it is at version %d, not %d", req.Name, rec.Version, req.Version)
	}
	cur, err := schemacodec.Decode(rec.Definition)
	if err != nil {
		return nil, &mgmapi.Error{Code: mgmapi.CodeInternal, Msg: fmt.Sprintf("dictionary record of table %s (id %d): %v", rec.Name, rec.ID, err)}
	}
	cur.ID, cur.Version, cur.Name = rec.ID, rec.Version, rec.Name
	def.ID, def.Version = rec.ID, rec.Version+1
	if def.Name == "" {
		def.Name = req.Name
	}
	if err := schema.CheckIndexChange(cur, def); err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "alter table %s: %v", req.Name, err)
	}
	if err := validTable(def); err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "alter table %s: %v", req.Name, err)
	}
	next, err := schemacodec.Encode(def)
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "alter table %s: %v", req.Name, err)
	}
	if rec, err = s.st.AlterTable(ctx, rec.ID, req.Version, "", next); err != nil {
		return nil, dictErr(err)
	}
	ti, err := tableInfo(rec)
	if err != nil {
		return nil, err
	}
	s.clog.add(mgmapi.SeverityInfo, "AlterTable", s.cfg.NodeID, "Table %s (id %d) altered to version %d: %d indexes added, %d dropped",
		req.Name, rec.ID, rec.Version, len(schema.IndexesAdded(cur, def)), len(schema.IndexesDropped(cur, def)))
	return &mgmapi.TableReply{Table: ti}, nil
}

func (s *Server) GetTable(ctx context.Context, req *mgmapi.GetTableRequest) (*mgmapi.TableReply, error) {
	var rec state.Table
	var err error
	switch {
	case req.Name != "":
		rec, err = s.st.Table(ctx, req.Name)
	case req.ID != 0:
		rec, err = s.st.TableByID(ctx, req.ID)
	default:
		return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "get table: give a name or an id")
	}
	if err != nil {
		return nil, dictErr(err)
	}
	ti, err := tableInfo(rec)
	if err != nil {
		return nil, err
	}
	return &mgmapi.TableReply{Table: ti}, nil
}

func (s *Server) ListTables(ctx context.Context, _ *mgmapi.ListTablesRequest) (*mgmapi.ListTablesReply, error) {
	recs, rev, err := s.st.ListTables(ctx)
	if err != nil {
		return nil, dictErr(err)
	}
	out := &mgmapi.ListTablesReply{Tables: make([]mgmapi.TableInfo, 0, len(recs)), Revision: rev}
	for _, r := range recs {
		ti, err := tableInfo(r)
		if err != nil {
			return nil, err
		}
		out.Tables = append(out.Tables, ti)
	}
	return out, nil
}

func (s *Server) WatchTables(req *mgmapi.WatchTablesRequest, stream mgmapi.TableEventStream) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		// End the watch when the server starts stopping: Stop's
		// GracefulStop waits for open streams, and nothing else ends
		// this one (Subscribe's streams end through their sessions).
		t := time.NewTicker(stopPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if s.stopping.Load() {
					cancel()
					return
				}
			}
		}
	}()
	after := req.AfterRevision
	if after == 0 {
		list, err := s.ListTables(ctx, &mgmapi.ListTablesRequest{})
		if err != nil {
			return err
		}
		for _, ti := range list.Tables {
			if err := stream.Send(&mgmapi.TableEvent{Kind: mgmapi.TableExists, Table: ti, Revision: ti.Revision}); err != nil {
				return err
			}
		}
		if err := stream.Send(&mgmapi.TableEvent{Kind: mgmapi.TablesSynced, Revision: list.Revision}); err != nil {
			return err
		}
		after = list.Revision
	}
	for ev := range s.st.WatchTables(ctx, after) {
		if ev.Err != nil {
			if ctx.Err() != nil {
				break
			}
			return dictErr(ev.Err)
		}
		out := &mgmapi.TableEvent{Kind: mgmapi.TablePut, Revision: ev.Table.Revision}
		if ev.Dropped {
			out.Kind = mgmapi.TableDropped
			if ti, err := tableInfo(ev.Table); err == nil {
				out.Table = ti
			} else {
				out.Table = mgmapi.TableInfo{ID: ev.Table.ID, Name: ev.Table.Name, Version: ev.Table.Version, Revision: ev.Table.Revision}
			}
		} else {
			if def, err := schemacodec.Decode(ev.Table.Definition); err == nil && def.ID == 0 {
				continue // the first of CreateTable's two writes
			}
			ti, err := tableInfo(ev.Table)
			if err != nil {
				return err
			}
			out.Table = ti
		}
		if err := stream.Send(out); err != nil {
			return err
		}
	}
	if s.stopping.Load() {
		return mgmapi.Errorf(mgmapi.CodeShuttingDown, "management server %d is stopping", s.cfg.NodeID)
	}
	return nil
}
