package deploy

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"
)

// documented returns the gondb_* metrics of docs/metrics.md's tables, by
// name, with their type (counter, gauge, histogram).
func documented(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../docs/metrics.md")
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

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource *dsRef `json:"datasource"`
}

type panel struct {
	ID         int      `json:"id"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Datasource *dsRef   `json:"datasource"`
	Targets    []target `json:"targets"`
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

// Every grafana/*.json is a dashboard whose panels query the
// DS_PROMETHEUS data source for documented metrics of the selected
// instances.
func TestGrafanaDashboards(t *testing.T) {
	docs := documented(t)
	files, err := filepath.Glob("grafana/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no grafana/*.json (%v)", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Errorf("%s: not valid JSON", f)
			continue
		}
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
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

		var all []panel
		var flatten func(ps []panel)
		flatten = func(ps []panel) {
			for _, p := range ps {
				if p.Type == "row" {
					flatten(p.Panels)
					continue
				}
				all = append(all, p)
			}
		}
		flatten(d.Panels)
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
		if f == filepath.Join("grafana", "gondb.json") {
			for _, n := range charted {
				if !named[n] {
					t.Errorf("%s: no panel charts %s", f, n)
				}
			}
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

// The Prometheus configuration keys gondb's files use; UnmarshalStrict
// refuses any other, so a misspelt key fails.
type relabelConfig struct {
	SourceLabels []string `yaml:"source_labels"`
	Separator    *string  `yaml:"separator"`
	Action       string   `yaml:"action"`
	Regex        *string  `yaml:"regex"`
	Replacement  *string  `yaml:"replacement"`
	TargetLabel  string   `yaml:"target_label"`
}

type scrapeConfig struct {
	JobName        string `yaml:"job_name"`
	ScrapeInterval string `yaml:"scrape_interval"`
	MetricsPath    string `yaml:"metrics_path"`
	StaticConfigs  []struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
	KubernetesSDConfigs []struct {
		Role       string `yaml:"role"`
		Namespaces *struct {
			OwnNamespace bool     `yaml:"own_namespace"`
			Names        []string `yaml:"names"`
		} `yaml:"namespaces"`
	} `yaml:"kubernetes_sd_configs"`
	RelabelConfigs []relabelConfig `yaml:"relabel_configs"`
}

type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

var relabelActions = []string{"replace", "keep", "drop", "labelmap", "labeldrop", "labelkeep", "hashmod"}

// Every prometheus/*.yml parses as a Prometheus configuration; demo.yml
// follows gondb demo's ports; every Kubernetes job finds each gondb
// node's HTTP port among the manifests' pods, and nothing else.
func TestPrometheusConfigs(t *testing.T) {
	files, err := filepath.Glob("prometheus/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no prometheus/*.yml (%v)", err)
	}
	pods := manifestPods(t)
	parsed := map[string]promConfig{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pc promConfig
		if err := yaml.UnmarshalStrict(raw, &pc); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		parsed[filepath.Base(f)] = pc
		if pc.Global.ScrapeInterval == "" || len(pc.ScrapeConfigs) == 0 {
			t.Errorf("%s: no global scrape_interval or no scrape_configs", f)
		}
		jobs := map[string]bool{}
		for _, sc := range pc.ScrapeConfigs {
			where := f + ": job " + sc.JobName
			if sc.JobName == "" || jobs[sc.JobName] {
				t.Errorf("%s: job name missing or used twice", where)
			}
			jobs[sc.JobName] = true
			if len(sc.StaticConfigs) == 0 && len(sc.KubernetesSDConfigs) == 0 {
				t.Errorf("%s: neither static_configs nor kubernetes_sd_configs", where)
			}
			for _, st := range sc.StaticConfigs {
				for _, tg := range st.Targets {
					if _, port, err := net.SplitHostPort(tg); err != nil || port == "" {
						t.Errorf("%s: target %q is not host:port", where, tg)
					}
				}
			}
			for _, rc := range sc.RelabelConfigs {
				action := cmpOr(rc.Action, "replace")
				if !slices.Contains(relabelActions, action) {
					t.Errorf("%s: relabel action %q", where, rc.Action)
				}
				if rc.Regex != nil {
					if _, err := regexp.Compile("^(?:" + *rc.Regex + ")$"); err != nil {
						t.Errorf("%s: regex %q: %v", where, *rc.Regex, err)
					}
				}
				if (action == "keep" || action == "drop") && len(rc.SourceLabels) == 0 {
					t.Errorf("%s: %s without source_labels", where, action)
				}
				if action == "replace" && rc.TargetLabel == "" {
					t.Errorf("%s: replace without target_label", where)
				}
			}
			if len(sc.KubernetesSDConfigs) > 0 {
				if len(sc.KubernetesSDConfigs) != 1 || sc.KubernetesSDConfigs[0].Role != "pod" {
					t.Errorf("%s: want one kubernetes_sd_config with role pod", where)
				}
				checkPodDiscovery(t, where, sc.RelabelConfigs, pods)
			}
		}
	}
	demo, ok := parsed["demo.yml"]
	if !ok {
		t.Fatal("no prometheus/demo.yml")
	}
	checkDemo(t, demo)
	if _, ok := parsed["kubernetes.yml"]; !ok {
		t.Error("no prometheus/kubernetes.yml")
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkDemo: gondb demo --http-port P serves the management server on P
// and data node k on P+k (cmd/gondb/demo.go), all on 127.0.0.1.
func checkDemo(t *testing.T, pc promConfig) {
	t.Helper()
	base := 0
	data := map[int]int{} // node id -> port
	for _, sc := range pc.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				host, p, _ := net.SplitHostPort(tg)
				port, _ := strconv.Atoi(p)
				if host != "127.0.0.1" {
					t.Errorf("demo.yml: target %s: the demo listens on 127.0.0.1", tg)
				}
				switch st.Labels["kind"] {
				case "mgmd":
					base = port
				case "datanode":
					id, err := strconv.Atoi(st.Labels["node_id"])
					if err != nil {
						t.Errorf("demo.yml: data node target %s without a node_id label", tg)
					}
					data[id] = port
				default:
					t.Errorf("demo.yml: target %s of kind %q: the demo serves HTTP for mgmd and data nodes only", tg, st.Labels["kind"])
				}
			}
		}
	}
	if base == 0 || len(data) == 0 {
		t.Fatalf("demo.yml: mgmd port %d, %d data nodes: want both", base, len(data))
	}
	for id := 1; id <= len(data); id++ {
		if port, ok := data[id]; !ok || port != base+id {
			t.Errorf("demo.yml: data node %d on port %d, want %d (--http-port %d plus its id)", id, port, base+id, base)
		}
	}
}

// pod is one pod of a manifest's workload, as Kubernetes service
// discovery sees it.
type pod struct {
	workload    string
	labels      map[string]string
	annotations map[string]string
	ports       []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}
}

// manifestPods reads the pod templates of kubernetes/*.yaml.
func manifestPods(t *testing.T) []pod {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes/*.yaml (%v)", err)
	}
	var pods []pod
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(fh)
		for {
			var obj struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name string `yaml:"name"`
				} `yaml:"metadata"`
				Spec struct {
					Template struct {
						Metadata struct {
							Labels      map[string]string `yaml:"labels"`
							Annotations map[string]string `yaml:"annotations"`
						} `yaml:"metadata"`
						Spec struct {
							Containers []struct {
								Ports []struct {
									Name          string `yaml:"name"`
									ContainerPort int    `yaml:"containerPort"`
								} `yaml:"ports"`
							} `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			err := dec.Decode(&obj)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch obj.Kind {
			case "StatefulSet", "Deployment", "DaemonSet":
			default:
				continue
			}
			p := pod{workload: obj.Metadata.Name, labels: obj.Spec.Template.Metadata.Labels,
				annotations: obj.Spec.Template.Metadata.Annotations}
			for _, c := range obj.Spec.Template.Spec.Containers {
				p.ports = append(p.ports, c.Ports...)
			}
			pods = append(pods, p)
		}
		fh.Close()
	}
	if len(pods) < 3 {
		t.Fatalf("only %d workloads in kubernetes/*.yaml", len(pods))
	}
	return pods
}

var unsafeLabel = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// checkPodDiscovery runs a job's relabelling over the manifests' pods as
// Prometheus's pod discovery would (one target per container port): each
// gondb node (component mgmd, datanode, sqlnode) must be scraped on its
// port named http only, labelled with its kind; other pods not at all.
func checkPodDiscovery(t *testing.T, where string, rules []relabelConfig, pods []pod) {
	t.Helper()
	const podIP = "10.1.2.3"
	for _, p := range pods {
		kept := map[string]map[string]string{} // address -> labels
		for _, cp := range p.ports {
			l := map[string]string{
				"__address__":                                 net.JoinHostPort(podIP, strconv.Itoa(cp.ContainerPort)),
				"__meta_kubernetes_namespace":                 "gondb",
				"__meta_kubernetes_pod_name":                  p.workload + "-0",
				"__meta_kubernetes_pod_phase":                 "Running",
				"__meta_kubernetes_pod_container_port_name":   cp.Name,
				"__meta_kubernetes_pod_container_port_number": strconv.Itoa(cp.ContainerPort),
			}
			for k, v := range p.labels {
				l["__meta_kubernetes_pod_label_"+unsafeLabel.ReplaceAllString(k, "_")] = v
			}
			for k, v := range p.annotations {
				l["__meta_kubernetes_pod_annotation_"+unsafeLabel.ReplaceAllString(k, "_")] = v
			}
			if out, ok := relabel(l, rules); ok {
				kept[out["__address__"]] = out
			}
		}
		component := p.labels["app.kubernetes.io/component"]
		gondbNode := p.labels["app.kubernetes.io/name"] == "gondb" && slices.Contains([]string{"mgmd", "datanode", "sqlnode"}, component)
		if !gondbNode {
			if len(kept) > 0 {
				t.Errorf("%s scrapes %s (not a gondb node) at %v", where, p.workload, keys(kept))
			}
			continue
		}
		http := 0
		for _, cp := range p.ports {
			if cp.Name == "http" {
				http = cp.ContainerPort
			}
		}
		want := net.JoinHostPort(podIP, strconv.Itoa(http))
		if len(kept) != 1 || kept[want] == nil {
			t.Errorf("%s scrapes %s at %v, want only its http port %s", where, p.workload, keys(kept), want)
			continue
		}
		if kept[want]["kind"] != component {
			t.Errorf("%s labels %s kind=%q, want %q", where, p.workload, kept[want]["kind"], component)
		}
	}
}

func keys(m map[string]map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// relabel applies Prometheus relabel rules (keep, drop, replace) to a
// target's labels; false when a rule drops it.
func relabel(in map[string]string, rules []relabelConfig) (map[string]string, bool) {
	l := map[string]string{}
	for k, v := range in {
		l[k] = v
	}
	for _, rc := range rules {
		sep := ";"
		if rc.Separator != nil {
			sep = *rc.Separator
		}
		vals := make([]string, len(rc.SourceLabels))
		for i, s := range rc.SourceLabels {
			vals[i] = l[s]
		}
		val := strings.Join(vals, sep)
		re := "(.*)"
		if rc.Regex != nil {
			re = *rc.Regex
		}
		rx := regexp.MustCompile("^(?:" + re + ")$")
		m := rx.FindStringSubmatchIndex(val)
		switch cmpOr(rc.Action, "replace") {
		case "keep":
			if m == nil {
				return nil, false
			}
		case "drop":
			if m != nil {
				return nil, false
			}
		case "replace":
			if m == nil {
				continue
			}
			repl := "$1"
			if rc.Replacement != nil {
				repl = *rc.Replacement
			}
			if v := string(rx.ExpandString(nil, repl, val, m)); v != "" {
				l[rc.TargetLabel] = v
			} else {
				delete(l, rc.TargetLabel)
			}
		}
	}
	return l, true
}
