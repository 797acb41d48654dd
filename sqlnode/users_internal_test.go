package sqlnode

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
)

// The head row's header reads back what was written, and damaged or
// newer headers are refused with errPrivFormat.
func TestPrivHead(t *testing.T) {
	good := appendPrivHead(nil, privHead{chunks: 3, bytes: 70000, hash: 0x0102030405060708})
	if len(good) != privHeadBytes {
		t.Fatalf("header is %d bytes, want %d", len(good), privHeadBytes)
	}
	// The layout is pinned: magic, format, chunks, bytes, hash, little endian.
	want := []byte{'G', 'N', 'P', 'V', 1, 3, 0, 0, 0, 0x70, 0x11, 0x01, 0, 8, 7, 6, 5, 4, 3, 2, 1}
	if !bytes.Equal(good, want) {
		t.Fatalf("header % x, want % x", good, want)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		in   []byte
		want privHead
		err  string
	}{
		{"round trip", good, privHead{chunks: 3, bytes: 70000, hash: 0x0102030405060708}, ""},
		{"empty data", appendPrivHead(nil, privHead{}), privHead{}, ""},
		{"longer data is tolerated", append(bytes.Clone(good), 9, 9), privHead{chunks: 3, bytes: 70000, hash: 0x0102030405060708}, ""},
		{"short", good[:privHeadBytes-1], privHead{}, "is not a privileges header"},
		{"nil", nil, privHead{}, "is not a privileges header"},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), privHead{}, "is not a privileges header"},
		{"format 0", mod(func(b []byte) []byte { b[4] = 0; return b }), privHead{}, "format 0"},
		{"newer format", mod(func(b []byte) []byte { b[4] = privFormatCurrent + 1; return b }), privHead{}, "a newer gondb wrote them"},
		{"bytes without chunks", appendPrivHead(nil, privHead{bytes: 10}), privHead{}, "cannot be in 0 chunks"},
		{"chunks without bytes", appendPrivHead(nil, privHead{chunks: 1}), privHead{}, "cannot be in 1 chunks"},
		{"too many bytes per chunk", appendPrivHead(nil, privHead{chunks: 1, bytes: 70000}), privHead{}, "cannot be in 1 chunks"},
		{"too many chunks", appendPrivHead(nil, privHead{chunks: privMaxChunks + 1, bytes: 1 << 20}), privHead{}, "cannot be in"},
	}
	for _, tt := range tests {
		h, err := parsePrivHead(tt.in)
		if tt.err == "" {
			if err != nil || h != tt.want {
				t.Errorf("%s: %+v, %v; want %+v", tt.name, h, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, errPrivFormat) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want errPrivFormat containing %q", tt.name, err, tt.err)
		}
	}
}

func TestSplitPrivBlob(t *testing.T) {
	blob := bytes.Repeat([]byte("0123456789"), 10)
	tests := []struct {
		n, size int
		want    []int // chunk sizes
	}{
		{0, 30, nil},
		{1, 30, []int{1}},
		{30, 30, []int{30}},
		{31, 30, []int{30, 1}},
		{100, 30, []int{30, 30, 30, 10}},
		{100, 1000, []int{100}},
	}
	for _, tt := range tests {
		chunks := splitPrivBlob(blob[:tt.n], tt.size)
		var sizes []int
		var joined []byte
		for _, c := range chunks {
			sizes = append(sizes, len(c))
			joined = append(joined, c...)
		}
		if len(sizes) != len(tt.want) || !bytes.Equal(joined, blob[:tt.n]) {
			t.Errorf("%d bytes in chunks of %d: sizes %v, want %v", tt.n, tt.size, sizes, tt.want)
			continue
		}
		for i := range sizes {
			if sizes[i] != tt.want[i] {
				t.Errorf("%d bytes in chunks of %d: sizes %v, want %v", tt.n, tt.size, sizes, tt.want)
			}
		}
	}
}

// accountStatement recognizes the statements that change the grant
// tables, after comments and in any case, and nothing else.
func TestAccountStatement(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"CREATE USER u IDENTIFIED BY 'x'", true},
		{"create user u", true},
		{"  /* c */ Create\n\tUser u", true},
		{"-- note\nGRANT SELECT ON *.* TO u", true},
		{"# note\nrevoke all on *.* from u", true},
		{"DROP USER u", true},
		{"ALTER USER u IDENTIFIED BY 'y'", true},
		{"RENAME USER a TO b", true},
		{"CREATE ROLE r", true},
		{"DROP ROLE r", true},
		{"SET PASSWORD FOR u = 'x'", true},
		{"SET DEFAULT ROLE r TO u", true},
		{"SET autocommit = 0", false},
		{"CREATE TABLE user (a INT)", false},
		{"CREATE USERS", false},
		{"DROP TABLE t", false},
		{"SELECT 'GRANT'", false},
		{"INSERT INTO t VALUES (1)", false},
		{"/* unterminated", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := accountStatement(tt.q); got != tt.want {
			t.Errorf("accountStatement(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestMentionsMySQL(t *testing.T) {
	for q, want := range map[string]bool{
		"INSERT INTO mysql.user VALUES ()": true,
		"update MySQL.db set x = 1":        true,
		"SELECT 1 FROM `MYSQL`.`user`":     true,
		"mysql":                            true,
		"SELECT * FROM t":                  false,
		"mysq":                             false,
		"":                                 false,
		"my sql":                           false,
	} {
		if got := mentionsMySQL(q); got != want {
			t.Errorf("mentionsMySQL(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestRandomPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		pw, err := randomPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 20 || strings.Trim(pw, passwordChars) != "" {
			t.Fatalf("password %q: want 20 characters of %q", pw, passwordChars)
		}
		if seen[pw] {
			t.Fatalf("password %q generated twice", pw)
		}
		seen[pw] = true
	}
}

// The stored form of grant tables without users loads as no users,
// replacing what was there (a reload after the cluster lost its data).
func TestEmptyPrivBlob(t *testing.T) {
	db := mysql_db.CreateEmptyMySQLDb()
	ed := db.Editor()
	db.AddSuperUser(ed, "root", "%", "pw")
	ed.Close()
	ed = db.Editor()
	err := db.OverwriteUsersAndGrantData(sql.NewEmptyContext(), ed, emptyPrivBlob())
	n := 0
	ed.VisitUsers(func(*mysql_db.User) { n++ })
	ed.Close()
	if err != nil || n != 0 {
		t.Fatalf("loading the empty blob: %v, %d users left", err, n)
	}
}

// fastAllowed asks at least what the engine asks per statement kind, sees
// a change of the grant tables (the store's gen), and allocates nothing
// once it has answered for a plan.
func TestFastAllowed(t *testing.T) {
	db := mysql_db.CreateEmptyMySQLDb()
	ed := db.Editor()
	db.AddSuperUser(ed, "root", "%", "")
	put := func(name string, f func(ps mysql_db.PrivilegeSet)) {
		ps := mysql_db.NewPrivilegeSet()
		f(ps)
		ed.PutUser(&mysql_db.User{User: name, Host: "%", PrivilegeSet: ps, Plugin: "mysql_native_password"})
	}
	put("reader", func(ps mysql_db.PrivilegeSet) { ps.AddDatabase("d", sql.PrivilegeType_Select) })
	put("writer", func(ps mysql_db.PrivilegeSet) { ps.AddTable("d", "t", sql.PrivilegeType_Insert) })
	put("editor", func(ps mysql_db.PrivilegeSet) {
		ps.AddTable("d", "t", sql.PrivilegeType_Update, sql.PrivilegeType_Delete)
	})
	put("nobody", func(mysql_db.PrivilegeSet) {})
	ed.Close()
	db.SetEnabled(true)
	u := &userStore{db: db}

	kinds := []planKind{fpSelect, fpInsert, fpUpdate, fpDelete}
	tests := []struct {
		user string
		want [4]bool // select, insert, update, delete on d.t
	}{
		{"root", [4]bool{true, true, true, true}},
		{"reader", [4]bool{true, false, false, false}},
		{"writer", [4]bool{false, true, false, false}},
		{"editor", [4]bool{false, false, false, false}}, // UPDATE and DELETE read the key: SELECT too
		{"nobody", [4]bool{false, false, false, false}},
		{"unknown", [4]bool{false, false, false, false}},
	}
	for i, tt := range tests {
		s := NewSession(sql.NewBaseSessionWithClientServer("", sql.Client{User: tt.user, Address: "%"}, uint32(i+1)), nil)
		ctx := s.fastContext()
		for k, kind := range kinds {
			pl := &fastPlan{kind: kind, table: "t"}
			r := &fastRes{db: "d"}
			for round := range 2 { // computed, then cached
				if got := s.fastAllowed(ctx, u, pl, r); got != tt.want[k] {
					t.Errorf("%s, kind %d, round %d: allowed %v, want %v", tt.user, kind, round, got, tt.want[k])
				}
			}
			if tt.user == "unknown" {
				continue // the engine builds an empty set per call: a dropped user's session, refused anyway
			}
			if n := testing.AllocsPerRun(100, func() { s.fastAllowed(ctx, u, pl, r) }); n != 0 {
				t.Errorf("%s, kind %d: %v allocations per answered check, want 0", tt.user, kind, n)
			}
		}
	}

	// Dropping the reader (as DROP USER does, then the store's gen
	// moves): her session's answer changes.
	s := NewSession(sql.NewBaseSessionWithClientServer("", sql.Client{User: "reader", Address: "%"}, 99), nil)
	ctx := s.fastContext()
	pl, r := &fastPlan{kind: fpSelect, table: "t"}, &fastRes{db: "d"}
	if !s.fastAllowed(ctx, u, pl, r) {
		t.Fatal("reader may not select")
	}
	ed = db.Editor()
	ed.RemoveUser(mysql_db.UserPrimaryKey{Host: "%", User: "reader"})
	ed.Close()
	u.gen.Add(1)
	if s.fastAllowed(ctx, u, pl, r) {
		t.Fatal("a dropped user's session may still select on the fast path")
	}
}
