package sqlnode

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/zeebo/xxh3"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// Users and privileges (docs/sqlnode.md, "Users and privileges"). The
// engine's grant tables (mysql_db.MySQLDb: accounts with their password
// hashes and auth plugins, roles, global, database and table privileges)
// live in each SQL node's memory; the cluster holds their serialized form
// (the engine's flatbuffer, as MySQLDb.Persist writes it) in a hidden
// dictionary table, so that every SQL node enforces the same users and
// grants:
//
//	mysql/gondb_privileges: chunk INT UNSIGNED PRIMARY KEY, version BIGINT UNSIGNED NOT NULL, data BLOB
//
// Row 0, the head, holds the version of the data (1 for the first, one
// more for each change) and, in data, the blob's header:
//
//	| magic "GNPV" (4B) | format (1B) | chunks (uint32 LE) | bytes (uint32 LE) | xxh3-64 of the blob (uint64 LE) |
//
// Rows 1..chunks hold the blob's consecutive pieces of at most
// privChunkBytes each (version: the version that wrote them). No head
// row: the cluster has no users yet, and the first SQL node creates root.
//
// Writes. CREATE USER, GRANT, REVOKE and the other account statements
// change the engine's tables under its write lock and then call Persist
// with the whole blob. Persist replaces every chunk and bumps the version
// in one transaction that first reads the head with an exclusive lock: a
// version or hash other than the one this SQL node last loaded means
// another SQL node changed the privileges meanwhile, so the statement
// fails and this node reloads (its tables hold a change the cluster does
// not).
//
// Reads. A committed read of the head at every connection's
// authentication (before the handshake) and every PrivilegePollInterval;
// when its version or hash moved, the head (with a shared lock, so that
// no writer commits in between) and the chunks are read, checked against
// the header's length and hash, and replace the engine's tables. The hash
// matters when the cluster goes back (a system restart that lost the last
// change) and a different change is then stored under the lost version.

// privTableName is the hidden table of the serialized privileges.
const privTableName = "mysql/gondb_privileges"

// The head's format: an ordered enum; a SQL node refuses data of a newer
// format than it knows (it would drop what it does not understand on the
// next write).
const (
	privFormat1       = 1
	privFormatCurrent = privFormat1
)

// privMagic starts the head's header.
var privMagic = [4]byte{'G', 'N', 'P', 'V'}

// privHeadBytes is the header's size.
const privHeadBytes = 4 + 1 + 4 + 4 + 8

// privChunkBytes is the most bytes of the blob a chunk row holds (NDB's
// rows hold at most about 30 KB; one chunk holds a few hundred accounts).
// A variable for tests.
var privChunkBytes = 30000

// privMaxChunks bounds the chunks (about 120 MB of privileges).
const privMaxChunks = 4096

// The columns of privTableName.
const (
	privColChunk   = 0
	privColVersion = 1
	privColData    = 2
)

func privTableDef() *schema.Table {
	return &schema.Table{Name: privTableName, PrimaryKey: []int{privColChunk}, Columns: []schema.Column{
		{Name: "chunk", Type: schema.TypeInt, Unsigned: true},
		{Name: "version", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "data", Type: schema.TypeBlob, Nullable: true},
	}}
}

// privHead is the head row's header.
type privHead struct {
	chunks uint32
	bytes  uint32
	hash   uint64
}

// appendPrivHead appends h's encoding to dst.
func appendPrivHead(dst []byte, h privHead) []byte {
	dst = append(dst, privMagic[:]...)
	dst = append(dst, privFormatCurrent)
	dst = binary.LittleEndian.AppendUint32(dst, h.chunks)
	dst = binary.LittleEndian.AppendUint32(dst, h.bytes)
	return binary.LittleEndian.AppendUint64(dst, h.hash)
}

// errPrivFormat: the stored privileges cannot be read.
var errPrivFormat = errors.New("sqlnode: stored privileges")

// parsePrivHead decodes a head row's header.
func parsePrivHead(b []byte) (privHead, error) {
	var h privHead
	if len(b) < privHeadBytes || [4]byte(b[:4]) != privMagic {
		return h, fmt.Errorf("%w: %s row 0 is not a privileges header (%d bytes)", errPrivFormat, privTableName, len(b))
	}
	if b[4] == 0 || b[4] > privFormatCurrent {
		return h, fmt.Errorf("%w: format %d, this SQL node reads format %d..%d (a newer gondb wrote them)", errPrivFormat, b[4], privFormat1, privFormatCurrent)
	}
	h.chunks = binary.LittleEndian.Uint32(b[5:])
	h.bytes = binary.LittleEndian.Uint32(b[9:])
	h.hash = binary.LittleEndian.Uint64(b[13:])
	if h.chunks > privMaxChunks || uint64(h.bytes) > uint64(h.chunks)*schema.MaxBlobBytes || (h.bytes > 0) != (h.chunks > 0) {
		return h, fmt.Errorf("%w: %d bytes cannot be in %d chunks", errPrivFormat, h.bytes, h.chunks)
	}
	return h, nil
}

// splitPrivBlob cuts blob into chunks of at most size bytes (none for an
// empty blob).
func splitPrivBlob(blob []byte, size int) [][]byte {
	var out [][]byte
	for len(blob) > 0 {
		n := min(size, len(blob))
		out = append(out, blob[:n])
		blob = blob[n:]
	}
	return out
}

// errPrivConflict: another SQL node changed the privileges since this one
// loaded them.
var errPrivConflict = mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState,
	"privileges were changed by another SQL node at the same time; this SQL node reloads them: run the statement again")

// errPrivStale: a failed write left this SQL node's tables ahead of the
// cluster's until the reload.
var errPrivStale = mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState,
	"privileges are being reloaded from the cluster after a failed change: run the statement again")

// userStore keeps the engine's grant tables and the cluster's copy in
// step. Safe for concurrent use.
//
// Locks: the MySQLDb's own lock (its Editor) is taken outside ndbMu, never
// inside it: Persist runs with the Editor held and takes ndbMu; a reload
// reads the cluster under ndbMu, lets it go, then takes the Editor. stMu
// is taken last and held only to read or set the state.
type userStore struct {
	c   *ndbapi.Cluster
	db  *mysql_db.MySQLDb
	log *slog.Logger

	ndbMu sync.Mutex
	ndb   *ndbapi.Ndb // the store's own; under ndbMu

	// stMu guards the state below; it is taken last, briefly.
	stMu sync.Mutex
	// applied is the cluster's data the MySQLDb holds (version 0:
	// none); changed only with the MySQLDb's Editor held.
	applied privState
	// dirty: the MySQLDb may hold a change the cluster does not have (a
	// write that failed), so the next check reloads even at the same
	// version, and Persist refuses until then.
	dirty bool
	// writes counts this SQL node's stored changes: a reload whose read
	// a write overtook does not apply it.
	writes uint64
	// reloads counts the loads of the cluster's data (tests).
	reloads atomic.Uint64
	// gen moves whenever the grant tables may have changed (a write, a
	// reload, a statement on the mysql database): the fast path's
	// per-session privilege answers are kept for one gen.
	gen atomic.Uint64
	// warned rate-limits the warning of a failed check (unix nanos).
	warned atomic.Int64
	// lastGCI is the epoch of the last write's commit (WaitDurable).
	lastGCI atomic.Uint64
}

var _ mysql_db.MySQLDbPersistence = (*userStore)(nil)

// privState identifies stored privileges: the head's version and the
// blob's hash. The hash tells apart two contents stored under one version
// (a cluster restart that lost the last change, then another change),
// which a SQL node that loaded the lost one must not take for its own.
type privState struct{ version, hash uint64 }

// state returns what the MySQLDb holds and whether it is dirty.
func (u *userStore) state() (privState, bool, uint64) {
	u.stMu.Lock()
	defer u.stMu.Unlock()
	return u.applied, u.dirty, u.writes
}

// setDirty marks the MySQLDb as holding a change the cluster may not.
func (u *userStore) setDirty() {
	u.stMu.Lock()
	u.dirty = true
	u.stMu.Unlock()
}

func newUserStore(c *ndbapi.Cluster, db *mysql_db.MySQLDb, log *slog.Logger) *userStore {
	u := &userStore{c: c, db: db, log: log}
	db.SetPersister(u)
	return u
}

// close releases the store's Ndb.
func (u *userStore) close() {
	u.ndbMu.Lock()
	if u.ndb != nil {
		u.ndb.Close()
		u.ndb = nil
	}
	u.ndbMu.Unlock()
}

// getNdb returns the store's Ndb. Called with ndbMu held.
func (u *userStore) getNdb() (*ndbapi.Ndb, error) {
	if u.ndb == nil {
		ndb, err := u.c.NewNdb()
		if err != nil {
			return nil, err
		}
		u.ndb = ndb
	}
	return u.ndb, nil
}

// table returns privTableName (as the API knows it now: a map lookup once
// known), creating it if asked (two SQL nodes may race: the loser uses
// the winner's).
func (u *userStore) table(ctx context.Context, create bool) (*ndbapi.Table, error) {
	t, err := u.c.Table(ctx, privTableName)
	if err != nil && create && errors.Is(err, ndbapi.ErrNoSuchTable) {
		t, err = u.c.CreateTable(ctx, privTableDef())
		if err != nil {
			if t2, err2 := u.c.Table(ctx, privTableName); err2 == nil {
				t, err = t2, nil // another SQL node made it first
			}
		}
	}
	return t, err
}

// withTable runs f with privTableName and the store's Ndb (ndbMu held by
// the caller). A table the data nodes do not serve yet (just created by
// another SQL node: the dictionary has it before every data node does) or
// that changed (dropped and made again) gives NDB 723 or 241; f runs again
// with the table as the API knows it then, for up to about 5 s.
func (u *userStore) withTable(ctx context.Context, create bool, f func(*ndbapi.Table, *ndbapi.Ndb) error) error {
	for attempt := 0; ; attempt++ {
		t, err := u.table(ctx, create)
		if err != nil {
			return err
		}
		ndb, err := u.getNdb()
		if err != nil {
			return err
		}
		err = f(t, ndb)
		if code := ndbapi.Code(err); (code != ndberr.ErrNoSuchTable.Code && code != ndberr.ErrSchemaVersion.Code) || attempt >= 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Duration(attempt+1)*10*time.Millisecond, 200*time.Millisecond)):
		}
	}
}

// chunkKey fills rb with chunk k's key.
func chunkKey(rb *schema.RowBuilder, k uint32) {
	rb.Reset()
	_ = rb.SetUint64(privColChunk, uint64(k))
}

// noRow reports whether err is NDB's "no such row" (626).
func noRow(err error) bool { return ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code }

// readState reads the head with a committed read (version 0: no data).
// Called with ndbMu held.
func (u *userStore) readState(ctx context.Context) (privState, error) {
	var st privState
	err := u.withTable(ctx, false, func(t *ndbapi.Table, ndb *ndbapi.Ndb) error {
		rb := t.NewRowBuilder()
		chunkKey(rb, 0)
		return ndbapi.RunTransaction(ctx, ndb, t, rb.AppendKey(nil), func(tx *ndbapi.Transaction) error {
			st = privState{}
			op := tx.Read(t, rb, ndbapi.CommittedRead)
			if err := tx.Execute(ndbapi.Commit); err != nil {
				return err
			}
			r, ok := op.Row()
			if !ok {
				return nil
			}
			h, err := parsePrivHead(r.Raw(privColData))
			if err != nil {
				return err
			}
			st = privState{version: r.Uint64(privColVersion), hash: h.hash}
			return nil
		}, ndbapi.DefaultRetryPolicy())
	})
	if noRow(err) || errors.Is(err, ndbapi.ErrNoSuchTable) {
		return privState{}, nil
	}
	return st, err
}

// readAll reads the head and the blob, consistently: the head with a
// shared lock, then the chunks. Version 0: no data (blob nil). Called
// with ndbMu held.
func (u *userStore) readAll(ctx context.Context) (privState, []byte, error) {
	var v uint64
	var blob []byte
	err := u.withTable(ctx, false, func(t *ndbapi.Table, ndb *ndbapi.Ndb) error {
		return u.readAllTx(ctx, t, ndb, &v, &blob)
	})
	if noRow(err) || errors.Is(err, ndbapi.ErrNoSuchTable) {
		return privState{}, nil, nil
	}
	if err != nil {
		return privState{}, nil, err
	}
	return privState{version: v, hash: xxh3.Hash(blob)}, blob, nil
}

// readAllTx is readAll's transaction on table t.
func (u *userStore) readAllTx(ctx context.Context, t *ndbapi.Table, ndb *ndbapi.Ndb, vp *uint64, blobp *[]byte) error {
	rb := t.NewRowBuilder()
	chunkKey(rb, 0)
	return ndbapi.RunTransaction(ctx, ndb, t, rb.AppendKey(nil), func(tx *ndbapi.Transaction) error {
		v, blob := uint64(0), []byte(nil)
		defer func() { *vp, *blobp = v, blob }()
		chunkKey(rb, 0)
		op := tx.Read(t, rb, ndbapi.LockShared)
		if err := tx.Execute(ndbapi.NoCommit); err != nil {
			return err
		}
		r, ok := op.Row()
		if !ok {
			return nil
		}
		v = r.Uint64(privColVersion)
		h, err := parsePrivHead(r.Raw(privColData))
		if err != nil {
			return err
		}
		ops := make([]*ndbapi.Operation, h.chunks)
		for k := range ops {
			chunkKey(rb, uint32(k+1))
			ops[k] = tx.Read(t, rb, ndbapi.CommittedRead)
		}
		if err := tx.Execute(ndbapi.Commit); err != nil {
			if noRow(err) {
				return fmt.Errorf("%w: version %d: a chunk of %d is missing", errPrivFormat, v, h.chunks)
			}
			return err
		}
		blob = make([]byte, 0, h.bytes)
		for _, op := range ops {
			r, ok := op.Row()
			if !ok {
				return fmt.Errorf("%w: version %d: a chunk of %d is missing", errPrivFormat, v, h.chunks)
			}
			blob = append(blob, r.Raw(privColData)...)
		}
		if uint32(len(blob)) != h.bytes || xxh3.Hash(blob) != h.hash {
			return fmt.Errorf("%w: version %d: %d bytes, checksum %x; the header says %d bytes, checksum %x",
				errPrivFormat, v, len(blob), xxh3.Hash(blob), h.bytes, h.hash)
		}
		return nil
	}, ndbapi.DefaultRetryPolicy())
}

// Persist implements mysql_db.MySQLDbPersistence: the engine calls it
// with the whole serialized grant tables after every change, holding its
// Editor. It stores data as the next version if the cluster's version is
// still the one this SQL node loaded.
func (u *userStore) Persist(ctx *sql.Context, data []byte) error {
	defer u.gen.Add(1)
	want, dirty, _ := u.state()
	if dirty {
		return errPrivStale
	}
	if len(data) > privMaxChunks*privChunkBytes {
		u.setDirty()
		return errNotSupported("privilege data of %d bytes (at most %d)", len(data), privMaxChunks*privChunkBytes)
	}
	u.ndbMu.Lock()
	next, gci, err := u.write(ctx, want, data)
	u.ndbMu.Unlock()
	switch {
	case err == nil:
		u.stMu.Lock()
		u.applied = next
		u.writes++
		u.stMu.Unlock()
		u.lastGCI.Store(gci)
		return nil
	case errors.Is(err, errPrivConflict):
		u.log.Info("sqlnode: privileges changed by another SQL node meanwhile; statement refused, reloading", "version", want.version)
	default:
		u.log.Warn("sqlnode: storing privileges", "err", err)
	}
	// The engine's tables hold the change; the cluster may not (or may:
	// a commit whose outcome is unknown). The next check reloads.
	u.setDirty()
	if errors.Is(err, errPrivConflict) {
		return errPrivConflict
	}
	return mysqlError(err)
}

// write stores data as the version after want if the cluster holds want;
// gci is the commit's epoch. Called with ndbMu held.
func (u *userStore) write(ctx context.Context, want privState, data []byte) (next privState, gci uint64, err error) {
	chunks := splitPrivBlob(data, privChunkBytes)
	next = privState{version: want.version + 1, hash: xxh3.Hash(data)}
	head := appendPrivHead(nil, privHead{chunks: uint32(len(chunks)), bytes: uint32(len(data)), hash: next.hash})
	err = u.withTable(ctx, true, func(t *ndbapi.Table, ndb *ndbapi.Ndb) error {
		var err error
		gci, err = u.writeTx(ctx, t, ndb, want, next, chunks, head)
		return err
	})
	return next, gci, err
}

// writeTx is write's transaction on table t.
func (u *userStore) writeTx(ctx context.Context, t *ndbapi.Table, ndb *ndbapi.Ndb, want, next privState, chunks [][]byte, head []byte) (gci uint64, err error) {
	rb := t.NewRowBuilder()
	chunkKey(rb, 0)
	err = ndbapi.RunTransaction(ctx, ndb, t, rb.AppendKey(nil), func(tx *ndbapi.Transaction) error {
		old := uint32(0)
		if want.version > 0 {
			chunkKey(rb, 0)
			op := tx.Read(t, rb, ndbapi.LockExclusive)
			if err := tx.Execute(ndbapi.NoCommit); err != nil {
				if noRow(err) {
					return errPrivConflict
				}
				return err
			}
			r, ok := op.Row()
			if !ok || r.Uint64(privColVersion) != want.version {
				return errPrivConflict
			}
			h, err := parsePrivHead(r.Raw(privColData))
			if err != nil {
				return err
			}
			if h.hash != want.hash {
				return errPrivConflict
			}
			old = h.chunks
		}
		for k, c := range chunks {
			chunkKey(rb, uint32(k+1))
			_ = rb.SetUint64(privColVersion, next.version)
			if err := rb.SetBytes(privColData, c); err != nil {
				return err
			}
			tx.Write(t, rb)
		}
		for k := uint32(len(chunks)) + 1; k <= old; k++ {
			chunkKey(rb, k)
			tx.Delete(t, rb)
		}
		chunkKey(rb, 0)
		_ = rb.SetUint64(privColVersion, next.version)
		if err := rb.SetBytes(privColData, head); err != nil {
			return err
		}
		if want.version == 0 {
			tx.Insert(t, rb) // another SQL node's first write makes it fail: 630
		} else {
			tx.Write(t, rb)
		}
		err := tx.Execute(ndbapi.Commit)
		if want.version == 0 && ndbapi.Code(err) == ndberr.ErrRowExists.Code {
			return errPrivConflict
		}
		gci = tx.GCI()
		return err
	}, ndbapi.DefaultRetryPolicy())
	return gci, err
}

// check reloads the privileges when the cluster's version differs from
// the one loaded (or a write failed): at authentication and in the poll.
func (u *userStore) check(ctx context.Context) error {
	u.ndbMu.Lock()
	st, err := u.readState(ctx)
	u.ndbMu.Unlock()
	if err != nil {
		return err
	}
	if cur, dirty, _ := u.state(); st == cur && !dirty {
		return nil
	}
	return u.reload(ctx)
}

// reload loads the cluster's privileges into the engine's tables, unless
// a write of this SQL node committed between the read and the Editor
// (what was read is older than what the tables hold then). An older
// version than the one held is loaded too: the cluster went back (a
// system restart lost its last changes).
func (u *userStore) reload(ctx context.Context) error {
	_, _, w := u.state()
	u.ndbMu.Lock()
	st, blob, err := u.readAll(ctx)
	u.ndbMu.Unlock()
	if err != nil {
		return err
	}
	ed := u.db.Editor()
	defer ed.Close()
	cur, dirty, w2 := u.state()
	if w2 != w || (st == cur && !dirty) {
		return nil
	}
	if blob == nil {
		blob = emptyPrivBlob()
	}
	if err := u.db.OverwriteUsersAndGrantData(sql.NewEmptyContext(), ed, blob); err != nil {
		return fmt.Errorf("%w: version %d: %v", errPrivFormat, st.version, err)
	}
	if st.version < cur.version {
		u.log.Warn("sqlnode: the cluster's privileges went back (a restart of the cluster lost the last changes)", "from", cur.version, "to", st.version)
	}
	u.db.SetEnabled(true)
	u.stMu.Lock()
	u.applied, u.dirty = st, false
	u.stMu.Unlock()
	u.reloads.Add(1)
	u.gen.Add(1)
	u.log.Debug("sqlnode: privileges loaded", "version", st.version, "bytes", len(blob))
	return nil
}

// warn logs a failed check, at most once a minute: the SQL node goes on
// with the privileges it has.
func (u *userStore) warn(what string, err error) {
	now := time.Now().UnixNano()
	last := u.warned.Load()
	if now-last < int64(time.Minute) || !u.warned.CompareAndSwap(last, now) {
		return
	}
	cur, _, _ := u.state()
	u.log.Warn("sqlnode: "+what+": checking the cluster's privileges; using the ones loaded", "version", cur.version, "err", err)
}

// checkTimeout bounds one check of the cluster's privileges (a
// connection's handshake waits for it).
const checkTimeout = 10 * time.Second

// poll checks the cluster's privilege version every interval until done
// is closed.
func (u *userStore) poll(interval time.Duration, done <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		if err := u.check(ctx); err != nil {
			u.warn("poll", err)
		}
		cancel()
	}
}

// rootUser and rootHost: the account the first SQL node creates.
const (
	rootUser = "root"
	rootHost = "%"
)

// start loads the cluster's privileges; when the cluster has none (a new
// cluster) it creates root@'%' with password pw (empty: a random one,
// returned as generated). created reports that this SQL node created
// root; another SQL node doing it at the same time wins or loses the
// race as a whole.
func (u *userStore) start(ctx context.Context, pw string) (created bool, generated string, err error) {
	if err := u.reload(ctx); err != nil {
		return false, "", err
	}
	if cur, _, _ := u.state(); cur.version > 0 {
		u.db.SetEnabled(true)
		if pw != "" {
			u.log.Info("sqlnode: the cluster has users already: the root password given is ignored (an existing password is never reset)")
		}
		return false, "", nil
	}
	if pw == "" {
		if pw, err = randomPassword(); err != nil {
			return false, "", err
		}
		generated = pw
	}
	ed := u.db.Editor()
	u.db.AddSuperUser(ed, rootUser, rootHost, pw)
	perr := u.db.Persist(sql.NewEmptyContext(), ed)
	ed.Close()
	if perr == nil {
		how := "given"
		if generated != "" {
			how = "generated"
		}
		// A generated password is told to the operator once: make sure
		// the cluster keeps it even if it stops as a whole right away (a
		// commit is on disk at the next global checkpoint, within about
		// 2 s). A given one would only be set again by the next start.
		if generated != "" {
			if err := u.c.WaitDurable(ctx, u.lastGCI.Load()); err != nil && ndbapi.Code(err) != errDiskless {
				u.log.Warn("sqlnode: root created, but not known to be on disk yet", "err", err)
			}
		}
		u.log.Info("sqlnode: the cluster had no users: created 'root'@'%' with all privileges", "password", how)
		return true, generated, nil
	}
	// Another SQL node stored the first users meanwhile (or the write
	// failed): take the cluster's.
	if err := u.reload(ctx); err != nil {
		return false, "", fmt.Errorf("sqlnode: creating root: %v; then reading the cluster's privileges: %w", perr, err)
	}
	if cur, _, _ := u.state(); cur.version == 0 {
		return false, "", fmt.Errorf("sqlnode: creating root: %w", perr)
	}
	u.log.Info("sqlnode: another SQL node created the cluster's first users at the same time: the root password given is ignored")
	return false, "", nil
}

// errDiskless is WaitDurable's answer on a diskless cluster (NDB 9010).
const errDiskless = 9010

// passwordChars are the characters of a generated password: letters and
// digits, so that it pastes into a shell and a DSN unquoted.
const passwordChars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// randomPassword returns 20 random characters of passwordChars (about
// 116 bits).
func randomPassword() (string, error) {
	var b [20]byte
	var out [20]byte
	for i := 0; i < len(out); {
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		for _, x := range b {
			// Rejection sampling keeps the characters uniform.
			if int(x) >= 256/len(passwordChars)*len(passwordChars) {
				continue
			}
			out[i] = passwordChars[int(x)%len(passwordChars)]
			if i++; i == len(out) {
				break
			}
		}
	}
	return string(out[:]), nil
}

// emptyPrivBlob is the serialized form of grant tables without users.
var emptyPrivBlob = sync.OnceValue(func() []byte {
	db := mysql_db.CreateEmptyMySQLDb()
	var c captured
	db.SetPersister(&c)
	ed := db.Editor()
	_ = db.Persist(sql.NewEmptyContext(), ed)
	ed.Close()
	return c.data
})

// captured is a persister that keeps the last blob.
type captured struct{ data []byte }

func (c *captured) Persist(_ *sql.Context, data []byte) error {
	c.data = append([]byte(nil), data...)
	return nil
}

// accountStatement reports whether a statement's text starts like one that
// changes accounts or privileges (CREATE/DROP/ALTER/RENAME USER, CREATE
// and DROP ROLE, GRANT, REVOKE, SET PASSWORD, SET DEFAULT ROLE): when such
// a statement fails, the engine may have changed its tables without
// storing them, so the SQL node reloads.
func accountStatement(q string) bool {
	w1, rest := leadingWord(q)
	switch w1 {
	case "GRANT", "REVOKE":
		return true
	case "CREATE", "DROP", "ALTER", "RENAME":
		w2, _ := leadingWord(rest)
		return w2 == "USER" || w2 == "ROLE"
	case "SET":
		w2, _ := leadingWord(rest)
		return w2 == "PASSWORD" || w2 == "DEFAULT"
	}
	return false
}

// leadingWord returns the first word of q upper-cased (after blanks and
// comments) and the text after it; "" when q starts otherwise.
func leadingWord(q string) (string, string) {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		if rest, ok := strings.CutPrefix(q, "/*"); ok {
			_, after, found := strings.Cut(rest, "*/")
			if !found {
				return "", ""
			}
			q = after
			continue
		}
		if strings.HasPrefix(q, "#") || strings.HasPrefix(q, "-- ") {
			_, after, found := strings.Cut(q, "\n")
			if !found {
				return "", ""
			}
			q = after
			continue
		}
		break
	}
	n := 0
	for n < len(q) && (q[n] >= 'a' && q[n] <= 'z' || q[n] >= 'A' && q[n] <= 'Z' || q[n] == '_') {
		n++
	}
	return strings.ToUpper(q[:n]), q[n:]
}

// afterStatement runs after every statement the engine ran: a failed
// account statement may have left the engine's tables ahead of the
// cluster's, and a failed write marks them dirty; either reloads now. A
// statement naming the mysql database may have changed the grant tables
// directly (INSERT INTO mysql.user ...: stored in the cluster by FLUSH
// PRIVILEGES or the next account statement), so the fast path asks again.
func (u *userStore) afterStatement(query string, err error) {
	if err != nil && accountStatement(query) {
		u.setDirty()
	}
	if mentionsMySQL(query) {
		u.gen.Add(1)
	}
	if _, dirty, _ := u.state(); !dirty {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if err := u.check(ctx); err != nil {
		u.warn("after a failed change", err)
	}
}

// mentionsMySQL reports whether q contains "mysql" in any case: a byte
// loop, since it runs after every statement the engine runs.
func mentionsMySQL(q string) bool {
	for i := 0; i+5 <= len(q); i++ {
		if q[i]|0x20 == 'm' && q[i+1]|0x20 == 'y' && q[i+2]|0x20 == 's' && q[i+3]|0x20 == 'q' && q[i+4]|0x20 == 'l' {
			return true
		}
	}
	return false
}

// atConnect runs before each connection's handshake: one key read of the
// cluster's privilege version, and a reload when it moved, so that a user
// created or changed on another SQL node is known here at once.
func (u *userStore) atConnect() {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if err := u.check(ctx); err != nil {
		u.warn("at a connection", err)
	}
}

// fastAllowed reports whether the session's user may run a fast-path
// statement (plan pl resolved as r) on its table; when not, the engine runs the statement
// and refuses it with MySQL's error. The answer is kept per resolved plan
// until the grant tables change (the engine's update counter, the
// store's gen), so
// a statement allocates nothing here once checked. It asks at least what
// the engine asks: SELECT to read, and SELECT too for UPDATE and DELETE,
// whose WHERE reads the key.
func (s *Session) fastAllowed(ctx *sql.Context, u *userStore, pl *fastPlan, r *fastRes) bool {
	if u == nil || !u.db.Enabled() {
		return true
	}
	db := u.db
	// The engine's counter moves with every change of its tables, but a
	// session whose user was dropped keeps the counter of its last set;
	// the store's gen covers that.
	gen := u.gen.Load()
	db.UserActivePrivilegeSet(ctx) // refreshes the session's set when the tables changed
	_, n := s.GetPrivilegeSet()
	if s.privOK == nil || s.privN != n || s.privGen != gen || len(s.privOK) > 1024 {
		s.privOK = make(map[*fastRes]bool)
		s.privN, s.privGen = n, gen
	}
	if ok, known := s.privOK[r]; known {
		return ok
	}
	var privs []sql.PrivilegeType
	switch pl.kind {
	case fpSelect:
		privs = []sql.PrivilegeType{sql.PrivilegeType_Select}
	case fpInsert:
		privs = []sql.PrivilegeType{sql.PrivilegeType_Insert}
	case fpUpdate:
		privs = []sql.PrivilegeType{sql.PrivilegeType_Update, sql.PrivilegeType_Select}
	case fpDelete:
		privs = []sql.PrivilegeType{sql.PrivilegeType_Delete, sql.PrivilegeType_Select}
	default:
		return false
	}
	ok := db.UserHasPrivileges(ctx, sql.NewPrivilegedOperation(sql.PrivilegeCheckSubject{Database: r.db, Table: pl.table}, privs...))
	s.privOK[r] = ok
	return ok
}
