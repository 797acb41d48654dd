package sqlnode

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/shopspring/decimal"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// SQL metadata. The dictionary holds what storage needs; what only SQL
// needs (which column is AUTO_INCREMENT, column defaults) lives in a
// hidden dictionary table of its own, one row per table, keyed by the
// table's dictionary name and written before the table is created, so
// that every SQL node that sees the table sees its metadata:
//
//	sys/sqlmeta: name VARCHAR(255) PRIMARY KEY, meta BLOB
//
// meta is JSON: {"v":1,"auto_increment":"id","defaults":{"k":{"v":"0"}}}
// ("v" is the format version; docs/sqlnode.md). A row whose column names
// do not match the table (a table dropped and created again outside SQL)
// is ignored. The auto-increment counters themselves are ndbapi's
// (sys/autoinc).

// metaTableName is the hidden table of SQL metadata.
const metaTableName = "sys/sqlmeta"

// metaVersion is the format of the meta column: an ordered enum; readers
// ignore rows of a newer version than they know.
const (
	metaVersion1       = 1
	metaVersionCurrent = metaVersion1
)

func metaTableDef() *schema.Table {
	return &schema.Table{Name: metaTableName, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "name", Type: schema.TypeVarchar, Length: 255, Charset: schema.CharsetUTF8MB4},
		{Name: "meta", Type: schema.TypeBlob},
	}}
}

// hiddenTable reports whether a dictionary table is internal to the SQL
// layer or the API and not shown as a SQL table.
func hiddenTable(name string) bool {
	return name == metaTableName || name == ndbapi.AutoIncTableName || name == privTableName
}

// tableMeta is a table's SQL metadata.
type tableMeta struct {
	Version  int                     `json:"v"`
	AutoInc  string                  `json:"auto_increment,omitempty"`
	Defaults map[string]defaultValue `json:"defaults,omitempty"`
}

// defaultValue is a column's literal default: its value as text (in the
// column type's SQL form), or NULL.
type defaultValue struct {
	Null  bool   `json:"null,omitempty"`
	Value string `json:"v,omitempty"`
	B64   bool   `json:"b64,omitempty"` // Value is base64 (bytes that are not UTF-8)
}

func (m *tableMeta) empty() bool { return m.AutoInc == "" && len(m.Defaults) == 0 }

// metaNdb runs f with the provider's own Ndb (DDL and table loading).
func (p *Provider) metaNdb(f func(*ndbapi.Ndb) error) error {
	p.ndbMu.Lock()
	defer p.ndbMu.Unlock()
	if p.ndb == nil {
		ndb, err := p.c.NewNdb()
		if err != nil {
			return err
		}
		p.ndb = ndb
	}
	return f(p.ndb)
}

// metaTable returns the metadata table, creating it if asked.
func (p *Provider) metaTable(ctx context.Context, create bool) (*ndbapi.Table, error) {
	t, err := p.c.Table(ctx, metaTableName)
	if err == nil || !create || !errors.Is(err, ndbapi.ErrNoSuchTable) {
		return t, err
	}
	t, err = p.c.CreateTable(ctx, metaTableDef())
	if err != nil {
		if t2, err2 := p.c.Table(ctx, metaTableName); err2 == nil {
			return t2, nil // another SQL node made it first
		}
		return nil, err
	}
	p.invalidate()
	return t, nil
}

// writeMeta stores the metadata of the table named dict (deletes it when
// m is empty).
func (p *Provider) writeMeta(ctx context.Context, dict string, m *tableMeta) error {
	mt, err := p.metaTable(ctx, !m.empty())
	if errors.Is(err, ndbapi.ErrNoSuchTable) {
		return nil // empty metadata and no table: nothing to delete
	}
	if err != nil {
		return err
	}
	var blob []byte
	if !m.empty() {
		m.Version = metaVersionCurrent
		if blob, err = json.Marshal(m); err != nil {
			return err
		}
		if len(blob) > schema.MaxBlobBytes {
			return errNotSupported("table %s: %d bytes of column defaults (at most %d)", dict, len(blob), schema.MaxBlobBytes)
		}
	}
	rb := mt.NewRowBuilder()
	if err := rb.SetString(0, dict); err != nil {
		return errNotSupported("table name %s: %v", dict, err)
	}
	if blob != nil {
		if err := rb.SetBytes(1, blob); err != nil {
			return err
		}
	}
	return p.metaNdb(func(ndb *ndbapi.Ndb) error {
		err := ndbapi.RunTransaction(ctx, ndb, mt, rb.AppendKey(nil), func(tx *ndbapi.Transaction) error {
			if blob == nil {
				tx.Delete(mt, rb)
			} else {
				tx.Write(mt, rb)
			}
			return nil
		}, ndbapi.DefaultRetryPolicy())
		if blob == nil && ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code {
			return nil
		}
		return err
	})
}

// readMeta reads the metadata of dictionary table t; mt is the metadata
// table (nil: there is none, so no table has metadata).
func (p *Provider) readMeta(ctx context.Context, mt *ndbapi.Table, t *ndbapi.Table) (*tableMeta, error) {
	m := &tableMeta{}
	if mt == nil {
		return m, nil
	}
	rb := mt.NewRowBuilder()
	if err := rb.SetString(0, t.Name()); err != nil {
		return m, nil
	}
	var blob []byte
	err := p.metaNdb(func(ndb *ndbapi.Ndb) error {
		return ndbapi.RunTransaction(ctx, ndb, mt, rb.AppendKey(nil), func(tx *ndbapi.Transaction) error {
			op := tx.Read(mt, rb, ndbapi.CommittedRead)
			if err := tx.Execute(ndbapi.Commit); err != nil {
				return err
			}
			if r, ok := op.Row(); ok && !r.IsNull(1) {
				blob = append([]byte(nil), r.Raw(1)...)
			}
			return nil
		}, ndbapi.DefaultRetryPolicy())
	})
	if ndbapi.Code(err) == ndberr.ErrNoSuchRow.Code || blob == nil {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(blob, m); err != nil {
		return nil, fmt.Errorf("sqlnode: table %s: SQL metadata: %w", t.Name(), err)
	}
	if m.Version > metaVersionCurrent {
		p.log.Warn("sqlnode: SQL metadata of a newer format ignored", "table", t.Name(), "version", m.Version)
		return &tableMeta{}, nil
	}
	// Metadata of another table of that name (dropped and created again
	// outside SQL) names columns it does not have: ignore it.
	if m.AutoInc != "" && t.Def.Column(m.AutoInc) < 0 {
		return &tableMeta{}, nil
	}
	for c := range m.Defaults {
		if t.Def.Column(c) < 0 {
			return &tableMeta{}, nil
		}
	}
	return m, nil
}

// encodeDefault is the stored form of column c's literal default v. The
// form must read back to the same value (checked), else the default is
// refused.
func encodeDefault(ctx *sql.Context, c *sql.Column, v any) (defaultValue, error) {
	var dv defaultValue
	switch x := v.(type) {
	case nil:
		dv.Null = true
		return dv, nil
	case string:
		if !utf8.ValidString(x) {
			dv.B64, dv.Value = true, base64.StdEncoding.EncodeToString([]byte(x))
		} else {
			dv.Value = x
		}
	case []byte:
		dv.B64, dv.Value = true, base64.StdEncoding.EncodeToString(x)
	case decimal.Decimal:
		dv.Value = x.String()
	case time.Time:
		dv.Value = x.Format("2006-01-02 15:04:05.999999")
	default:
		dv.Value = fmt.Sprint(v)
	}
	back, err := dv.decode(ctx, c.Type)
	if err != nil {
		return dv, errNotSupported("column %s: default %v: %v", c.Name, v, err)
	}
	if cmp, err := c.Type.Compare(ctx, back, v); err != nil || cmp != 0 {
		return dv, errNotSupported("column %s: default %v cannot be stored exactly", c.Name, v)
	}
	return dv, nil
}

// decode is the default's value for a column of type typ.
func (dv defaultValue) decode(ctx *sql.Context, typ sql.Type) (any, error) {
	if dv.Null {
		return nil, nil
	}
	var in any = dv.Value
	if dv.B64 {
		b, err := base64.StdEncoding.DecodeString(dv.Value)
		if err != nil {
			return nil, err
		}
		in = b
	}
	v, _, err := typ.Convert(ctx, in)
	return v, err
}

// setDefaults gives the table's columns their stored defaults.
func (t *Table) setDefaults(meta *tableMeta) error {
	if meta == nil || len(meta.Defaults) == 0 {
		return nil
	}
	ctx := sql.NewEmptyContext()
	for name, dv := range meta.Defaults {
		c := t.def.Column(name)
		if c < 0 {
			continue
		}
		col := t.sch[c]
		v, err := dv.decode(ctx, col.Type)
		if err != nil {
			return fmt.Errorf("sqlnode: table %s: default of column %s: %w", t.name, name, err)
		}
		d, err := sql.NewColumnDefaultValue(expression.NewLiteral(v, col.Type), col.Type, true, false, col.Nullable)
		if err != nil {
			return fmt.Errorf("sqlnode: table %s: default of column %s: %w", t.name, name, err)
		}
		col.Default = d
	}
	return nil
}
