package deploycheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unit is a systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if u[section] != nil {
				t.Errorf("%s:%d: section [%s] twice", path, n, section)
			}
			u[section] = map[string][]string{}
		case section == "":
			t.Errorf("%s:%d: %q outside a section", path, n, line)
		case strings.HasSuffix(line, `\`):
			t.Errorf("%s:%d: continuation lines are not checked; keep ExecStart on one line", path, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s:%d: %q is not key=value", path, n, line)
				continue
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) get(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

var unitWants = map[string]struct {
	exec     string // must appear in ExecStart
	httpPort string // default GONDB_HTTP_PORT (docs/metrics.md)
}{
	"gondb-mgmd.service":      {"gondb mgmd -f /etc/gondb/config.ini --configdir /var/lib/gondb/mgmd ", "8081"},
	"gondb-datanode@.service": {"gondb datanode -c ${GONDB_CONNECTSTRING} --ndb-nodeid %i ", "8082"},
	"gondb-sqlnode.service":   {"gondb sqlnode -c ${GONDB_CONNECTSTRING} --port 3306 ", "8083"},
}

var envRefRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

func TestSystemdUnits(t *testing.T) {
	files := filesUnder(t, ".service")
	for name := range unitWants {
		if !slices.Contains(files, "systemd/"+name) {
			t.Errorf("deploy/systemd/%s is missing", name)
		}
	}
	for _, file := range files {
		name := strings.TrimPrefix(file, "systemd/")
		t.Run(name, func(t *testing.T) {
			want, ok := unitWants[name]
			if !ok {
				t.Fatalf("deploy/%s: a unit this test does not know; add it to unitWants", file)
			}
			u := parseUnit(t, filepath.Join(deployDir, file))
			exec := u.get("Service", "ExecStart")
			if !strings.HasPrefix(exec, "/") {
				t.Errorf("ExecStart %q: the binary needs an absolute path", exec)
			}
			if !strings.Contains(exec+" ", want.exec) {
				t.Errorf("ExecStart %q lacks %q", exec, want.exec)
			}
			if !strings.Contains(exec, "--http-port ${GONDB_HTTP_PORT}") {
				t.Errorf("ExecStart %q does not pass --http-port ${GONDB_HTTP_PORT}", exec)
			}
			// Every variable ExecStart uses has a default, so a missing
			// environment file cannot leave a flag without its value.
			env := map[string]string{}
			for _, e := range u["Service"]["Environment"] {
				k, v, _ := strings.Cut(e, "=")
				env[k] = v
			}
			for _, m := range envRefRE.FindAllStringSubmatch(exec, -1) {
				if _, ok := env[m[1]]; !ok {
					t.Errorf("ExecStart uses $%s, which has no Environment= default", m[1])
				}
			}
			if env["GONDB_HTTP_PORT"] != want.httpPort {
				t.Errorf("GONDB_HTTP_PORT defaults to %q, want %s (docs/metrics.md)", env["GONDB_HTTP_PORT"], want.httpPort)
			}
			checks := []struct{ section, key string }{
				{"Unit", "Description"},
				{"Service", "User"},
				{"Service", "Restart"},
				{"Service", "LimitNOFILE"},
				{"Service", "LimitMEMLOCK"},
				{"Install", "WantedBy"},
			}
			for _, c := range checks {
				if u.get(c.section, c.key) == "" {
					t.Errorf("[%s] %s= not set", c.section, c.key)
				}
			}
			if got := u.get("Service", "User"); got != "gondb" {
				t.Errorf("User=%s, want gondb", got)
			}
			if r := u.get("Service", "Restart"); r != "on-failure" && r != "always" {
				t.Errorf("Restart=%s: a node that fails must come back", r)
			}
			if n := u.get("Service", "LimitNOFILE"); n != "infinity" {
				if v, err := strconv.Atoi(n); err != nil || v < 65536 {
					t.Errorf("LimitNOFILE=%s, want at least 65536", n)
				}
			}
		})
	}
}
