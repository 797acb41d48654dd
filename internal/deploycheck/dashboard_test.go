package deploycheck

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// metricsDoc is docs/metrics.md, seen from this package.
const metricsDoc = "../../docs/metrics.md"

// documented returns the gondb_* metrics of docs/metrics.md's tables, by
// name, with their type (counter, gauge, histogram).
func documented(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(gondb_[a-z0-9_]+)` \\| ([a-z]+) \\|").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) < 20 {
		t.Fatalf("docs/metrics.md documents only %d gondb_* metrics; is the table format still | `name` | type |?", len(out))
	}
	return out
}

var metricName = regexp.MustCompile(`gondb_[a-z0-9_]+`)

// undocumented returns the gondb_* metric names in a PromQL expression
// that docs/metrics.md does not document: a histogram's series
// (name_bucket, name_sum, name_count) count as the histogram's name.
func undocumented(expr string, docs map[string]string) []string {
	var bad []string
	for _, name := range metricName.FindAllString(expr, -1) {
		if _, ok := docs[name]; ok {
			continue
		}
		found := false
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && docs[base] == "histogram" {
				found = true
			}
		}
		if !found {
			bad = append(bad, name)
		}
	}
	return bad
}

func TestUndocumented(t *testing.T) {
	docs := map[string]string{"gondb_a_total": "counter", "gondb_h_seconds": "histogram", "gondb_g": "gauge"}
	tests := []struct {
		expr string
		bad  []string
	}{
		{`sum(rate(gondb_a_total{instance=~"$instance"}[5m]))`, nil},
		{`histogram_quantile(0.99, sum by (le) (rate(gondb_h_seconds_bucket[5m])))`, nil},
		{`gondb_h_seconds_sum / gondb_h_seconds_count`, nil},
		{`rate(gondb_a_total_bucket[5m])`, []string{"gondb_a_total_bucket"}}, // not a histogram
		{`gondb_g_count + gondb_missing`, []string{"gondb_g_count", "gondb_missing"}},
		{`up{job="gondb"}`, nil},
	}
	for _, tt := range tests {
		if got := undocumented(tt.expr, docs); !slices.Equal(got, tt.bad) {
			t.Errorf("undocumented(%q) = %v, want %v", tt.expr, got, tt.bad)
		}
	}
}

func TestBalanced(t *testing.T) {
	tests := []struct {
		expr string
		ok   bool
	}{
		{`sum by (le) (rate(gondb_h_bucket{instance=~"$instance"}[5m]))`, true},
		{`gondb_a{job=")"}`, true}, // brackets inside quotes do not count
		{`sum(rate(gondb_a[5m])`, false},
		{`gondb_a{job="x}`, false},
		{`rate(gondb_a[5m)]`, false},
	}
	for _, tt := range tests {
		if err := balanced(tt.expr); (err == nil) != tt.ok {
			t.Errorf("balanced(%q) = %v, want ok %v", tt.expr, err, tt.ok)
		}
	}
}

// balanced checks the brackets and quotes of a PromQL expression.
func balanced(expr string) error {
	var stack []rune
	pair := map[rune]rune{')': '(', ']': '[', '}': '{'}
	quoted := false
	for _, r := range expr {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pair[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pair[r] {
				return errors.New("unbalanced " + string(r))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if quoted || len(stack) > 0 {
		return errors.New("unclosed bracket or quote")
	}
	return nil
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelTarget struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource *dsRef `json:"datasource"`
}

type panel struct {
	ID         int           `json:"id"`
	Type       string        `json:"type"`
	Title      string        `json:"title"`
	Datasource *dsRef        `json:"datasource"`
	Targets    []panelTarget `json:"targets"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Panels []panel `json:"panels"` // a row's
}

type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *dsRef          `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

// leafPanels returns the panels of ps, those inside rows included, and
// not the rows.
func leafPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		if p.Type == "row" {
			out = append(out, leafPanels(p.Panels)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

const dsVar = "${DS_PROMETHEUS}"

// What the dashboard must chart (issue 10): at least one query names
// each of these.
var charted = []string{
	"gondb_tc_operations_total", "gondb_tc_commits_total", "gondb_tc_aborts_total", "gondb_tc_aborts_by_code_total",
	"gondb_tc_transaction_duration_seconds_bucket", "gondb_datamemory_used_bytes", "gondb_datamemory_total_bytes",
	"gondb_redo_used_bytes", "gondb_lcp_fragments_total", "gondb_gcp_lag_epochs", "gondb_transporter_sent_bytes_total",
	"gondb_transporter_received_bytes_total", "gondb_transporter_send_buffer_bytes", "gondb_thread_busy_rounds_total",
	"gondb_thread_rounds_total", "gondb_datanode_started",
}

// Every deploy/grafana/*.json is a dashboard whose panels query the
// DS_PROMETHEUS data source for documented metrics of the selected
// instances.
func TestGrafanaDashboards(t *testing.T) {
	docs := documented(t)
	var files []string
	for _, f := range filesUnder(t, ".json") {
		if strings.HasPrefix(f, "grafana/") {
			files = append(files, f)
		}
	}
	if !slices.Contains(files, "grafana/gondb.json") {
		t.Errorf("no deploy/grafana/gondb.json among %v", files)
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			checkDashboard(t, name, docs, name == "grafana/gondb.json")
		})
	}
}

// checkDashboard checks one dashboard file (its path under deploy/);
// main is the dashboard that must chart every metric of charted.
func checkDashboard(t *testing.T, name string, docs map[string]string, main bool) {
	f := "deploy/" + name
	raw, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raw) {
		t.Fatalf("%s: not valid JSON", f)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("%s: title %q, uid %q, schemaVersion %d: want a title, a uid and schemaVersion >= 36", f, d.Title, d.UID, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type == "datasource" && string(v.Query) != `"prometheus"` {
			t.Errorf("%s: variable %s chooses %s data sources, want prometheus", f, v.Name, v.Query)
		}
		if v.Type == "query" {
			if v.Datasource == nil || v.Datasource.UID != dsVar {
				t.Errorf("%s: variable %s does not query %s", f, v.Name, dsVar)
			}
			if bad := undocumented(v.Definition+" "+string(v.Query), docs); len(bad) > 0 {
				t.Errorf("%s: variable %s names undocumented metrics %v", f, v.Name, bad)
			}
		}
	}
	if vars["DS_PROMETHEUS"] != "datasource" || vars["instance"] != "query" {
		t.Errorf("%s: variables %v, want DS_PROMETHEUS (datasource) and instance (query)", f, vars)
	}

	all := leafPanels(d.Panels)
	if len(all) == 0 {
		t.Errorf("%s: no panels", f)
	}
	ids := map[int]bool{}
	named := map[string]bool{}
	for i, p := range all {
		where := f + ": panel " + strconv.Quote(p.Title)
		if p.ID == 0 || ids[p.ID] {
			t.Errorf("%s: id %d missing or used twice", where, p.ID)
		}
		ids[p.ID] = true
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != dsVar {
			t.Errorf("%s: data source %+v, want prometheus %s", where, p.Datasource, dsVar)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		for _, o := range all[:i] {
			h := o.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("%s overlaps panel %q", where, o.Title)
			}
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId %q missing or used twice", where, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != dsVar {
				t.Errorf("%s: query %s uses data source %+v", where, tg.RefID, tg.Datasource)
			}
			if err := balanced(tg.Expr); err != nil {
				t.Errorf("%s: query %s %q: %v", where, tg.RefID, tg.Expr, err)
			}
			if !strings.Contains(tg.Expr, `instance=~"$instance"`) {
				t.Errorf("%s: query %s %q ignores the instance variable", where, tg.RefID, tg.Expr)
			}
			names := metricName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: query %s %q names no gondb_* metric", where, tg.RefID, tg.Expr)
			}
			for _, n := range names {
				named[n] = true
			}
			if bad := undocumented(tg.Expr, docs); len(bad) > 0 {
				t.Errorf("%s: query %s names metrics docs/metrics.md does not document: %v", where, tg.RefID, bad)
			}
		}
	}
	if main {
		for _, n := range charted {
			if !named[n] {
				t.Errorf("%s: no panel charts %s", f, n)
			}
		}
	}
}
