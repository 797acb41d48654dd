package deploycheck

import (
	"bufio"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/mgmnode/config"
)

// deployDir is the repository's deploy/ folder, seen from this package.
const deployDir = "../../deploy"

func checkThreadConfig(s string) error {
	_, err := thread.ParseThreadConfig(s)
	return err
}

func parseINI(t *testing.T, path string) *config.Config {
	t.Helper()
	c, warnings, err := config.ParseFileWith(path, config.Options{CheckThreadConfig: checkThreadConfig})
	if err != nil {
		t.Fatalf("%s is not a valid config.ini:\n%v", path, err)
	}
	for _, w := range warnings {
		t.Errorf("%s: deploy files should load without warnings: %v", path, w)
	}
	return c
}

func parseINIText(t *testing.T, name, text string) *config.Config {
	t.Helper()
	c, warnings, err := config.ParseWith(name, strings.NewReader(text), config.Options{CheckThreadConfig: checkThreadConfig})
	if err != nil {
		t.Fatalf("%s is not a valid config.ini:\n%v", name, err)
	}
	for _, w := range warnings {
		t.Errorf("%s: deploy files should load without warnings: %v", name, w)
	}
	return c
}

// filesUnder lists deploy/ files whose names end in ext, relative to deploy/.
func filesUnder(t *testing.T, ext string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(deployDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ext) {
			rel, err := filepath.Rel(deployDir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// shape is what a config.ini under deploy/ promises in its comments.
type shape struct {
	dataNodes, replicas, mgmNodes, sqlSlots int
	distinctDataHosts                       bool // no two data nodes on one host
}

var iniShapes = map[string]shape{
	"local/config.ini":        {dataNodes: 2, replicas: 2, mgmNodes: 1, sqlSlots: 1},
	"examples/laptop.ini":     {dataNodes: 2, replicas: 2, mgmNodes: 1, sqlSlots: 1},
	"examples/four-hosts.ini": {dataNodes: 4, replicas: 2, mgmNodes: 2, sqlSlots: 2, distinctDataHosts: true},
}

// Every config.ini example loads, and has the cluster its comments describe.
func TestConfigFilesLoad(t *testing.T) {
	files := filesUnder(t, ".ini")
	for name := range iniShapes {
		if !slices.Contains(files, name) {
			t.Errorf("deploy/%s is missing", name)
		}
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			c := parseINI(t, filepath.Join(deployDir, name))
			want, ok := iniShapes[name]
			if !ok {
				return // a new example: loading is all we know to check
			}
			var sql, api int
			for _, a := range c.APINodes {
				if a.Kind == config.KindMySQLD {
					sql++
				} else {
					api++
				}
			}
			got := shape{len(c.DataNodes), c.Cluster.NoOfReplicas, len(c.MgmNodes), sql, want.distinctDataHosts}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if api == 0 {
				t.Error("no [api] slot: tools such as gondb mgm need one")
			}
			// A node group must not live on one host when hosts are distinct.
			if want.distinctDataHosts {
				hosts := map[string]bool{}
				for _, d := range c.DataNodes {
					if hosts[d.HostName] {
						t.Errorf("two data nodes on %s", d.HostName)
					}
					hosts[d.HostName] = true
				}
			}
		})
	}
}

// deploy/local is what people run first: everything on 127.0.0.1 under
// /tmp/gondb-local, and the commands in its comments match its nodes.
func TestLocalConfig(t *testing.T) {
	path := filepath.Join(deployDir, "local/config.ini")
	c := parseINI(t, path)
	for _, d := range c.DataNodes {
		if d.HostName != "127.0.0.1" || !strings.HasPrefix(d.DataDir, "/tmp/gondb-local") {
			t.Errorf("data node %d: HostName %q DataDir %q, want 127.0.0.1 and /tmp/gondb-local", d.NodeID, d.HostName, d.DataDir)
		}
	}
	for _, m := range c.MgmNodes {
		if m.HostName != "127.0.0.1" || !strings.HasPrefix(m.DataDir, "/tmp/gondb-local") {
			t.Errorf("mgmd %d: HostName %q DataDir %q", m.NodeID, m.HostName, m.DataDir)
		}
	}
	cmds := localCommands(t)
	var dataIDs []int
	for _, cmd := range cmds {
		switch cmd.kind {
		case "datanode":
			dataIDs = append(dataIDs, cmd.nodeID)
			if _, ok := c.DataNodeByID(cmd.nodeID); !ok {
				t.Errorf("comment starts data node %d, which config.ini lacks", cmd.nodeID)
			}
		case "mgmd", "sqlnode":
		default:
			t.Errorf("comment runs unknown command %q", cmd.kind)
		}
		if cmd.kind != "mgmd" && cmd.connect != net.JoinHostPort(c.MgmNodes[0].HostName, strconv.Itoa(c.MgmNodes[0].PortNumber)) {
			t.Errorf("gondb %s -c %s, but the mgmd is at %s:%d", cmd.kind, cmd.connect, c.MgmNodes[0].HostName, c.MgmNodes[0].PortNumber)
		}
	}
	if len(dataIDs) != len(c.DataNodes) {
		t.Errorf("comments start data nodes %v; config.ini has %d", dataIDs, len(c.DataNodes))
	}
}

// localCommand is a `gondb ...` line in deploy/local/config.ini's comments.
type localCommand struct {
	kind, connect    string
	nodeID, httpPort int
}

var localCmdRE = regexp.MustCompile(`^#\s+gondb (\w+)\s+(-.*)$`)

func localCommands(t *testing.T) []localCommand {
	t.Helper()
	f, err := os.Open(filepath.Join(deployDir, "local/config.ini"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []localCommand
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := localCmdRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		cmd := localCommand{kind: m[1]}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i++ {
			switch fields[i] {
			case "-c":
				cmd.connect = fields[i+1]
			case "--ndb-nodeid":
				cmd.nodeID, _ = strconv.Atoi(fields[i+1])
			case "--http-port":
				cmd.httpPort, _ = strconv.Atoi(fields[i+1])
			}
		}
		if cmd.httpPort == 0 {
			t.Errorf("local command %q has no --http-port", sc.Text())
		}
		out = append(out, cmd)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("deploy/local/config.ini shows no gondb command lines")
	}
	return out
}
