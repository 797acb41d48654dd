package deploycheck

import (
	"cmp"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/gondb/gondb/mgmnode/config"
)

// relabel is one rule of relabel_configs. Regex and Replacement are
// pointers because leaving them out means Prometheus's defaults, (.*)
// and $1, which an empty string does not.
type relabel struct {
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
	RelabelConfigs []relabel `yaml:"relabel_configs"`
}

// promConfig holds the Prometheus configuration keys gondb's files use;
// yaml.UnmarshalStrict refuses any other, so a misspelt key fails.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

var relabelActions = []string{"replace", "keep", "drop", "labelmap", "labeldrop", "labelkeep", "hashmod"}

// Every deploy/prometheus/*.yml parses (strictly: a misspelt key fails)
// and its jobs are well formed; every Kubernetes job finds each gondb
// node's http port among the manifests' pods, and nothing else.
// prometheus.yml's local job scrapes the ports deploy/local's commands
// open and its Kubernetes job reads the annotations the manifests set;
// demo.yml follows the ports of gondb demo.
func TestPrometheusConfigs(t *testing.T) {
	var files []string
	for _, f := range filesUnder(t, ".yml") {
		if strings.HasPrefix(f, "prometheus/") {
			files = append(files, f)
		}
	}
	for _, want := range []string{"prometheus/prometheus.yml", "prometheus/demo.yml", "prometheus/kubernetes.yml"} {
		if !slices.Contains(files, want) {
			t.Errorf("deploy/%s is missing", want)
		}
	}
	pods := manifestPods(t)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			f := "deploy/" + name
			raw, err := os.ReadFile(filepath.Join(deployDir, name))
			if err != nil {
				t.Fatal(err)
			}
			var pc promConfig
			if err := yaml.UnmarshalStrict(raw, &pc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			checkScrapeConfigs(t, f, pc, pods)
			switch name {
			case "prometheus/prometheus.yml":
				checkPrometheusYML(t, pc)
			case "prometheus/demo.yml":
				checkDemo(t, pc)
			}
		})
	}
}

// checkScrapeConfigs checks what every configuration needs: a global
// scrape interval, named jobs with targets, well-formed relabelling, and
// Kubernetes jobs that find the gondb nodes of the manifests.
func checkScrapeConfigs(t *testing.T, f string, pc promConfig, pods []podTemplate) {
	t.Helper()
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
		rulesOK := true
		for _, rc := range sc.RelabelConfigs {
			action := cmp.Or(rc.Action, "replace")
			if !slices.Contains(relabelActions, action) {
				t.Errorf("%s: relabel action %q", where, rc.Action)
			}
			if rc.Regex != nil {
				if _, err := regexp.Compile("^(?:" + *rc.Regex + ")$"); err != nil {
					t.Errorf("%s: regex %q: %v", where, *rc.Regex, err)
					rulesOK = false
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
			if rulesOK {
				checkPodDiscovery(t, where, sc.RelabelConfigs, pods)
			}
		}
	}
}

// checkPrometheusYML: prometheus.yml's gondb-local job scrapes what
// deploy/local runs, and its gondb-kubernetes job reads the annotations
// the manifests set.
func checkPrometheusYML(t *testing.T, pc promConfig) {
	t.Helper()
	local := parseINI(t, filepath.Join(deployDir, "local/config.ini"))
	ports := map[string]int{} // "kind/node id" -> port; "kind/0" when the command names no id
	for _, cmd := range localCommands(t) {
		ports[cmd.kind+"/"+strconv.Itoa(cmd.nodeID)] = cmd.httpPort
	}
	jobs := map[string]bool{}
	for _, sc := range pc.ScrapeConfigs {
		jobs[sc.JobName] = true
		switch sc.JobName {
		case "gondb-local":
			n := 0
			for _, st := range sc.StaticConfigs {
				kind, id := st.Labels["kind"], st.Labels["node_id"]
				for _, target := range st.Targets {
					n++
					host, port, err := net.SplitHostPort(target)
					if err != nil || host != "127.0.0.1" {
						t.Errorf("gondb-local target %q: want 127.0.0.1:PORT", target)
						continue
					}
					nid, _ := strconv.Atoi(id)
					if !localNodeExists(local, kind, nid) {
						t.Errorf("target %s: no %s node %s in deploy/local/config.ini", target, kind, id)
					}
					want, ok := ports[kind+"/"+id]
					if !ok {
						want = ports[kind+"/0"]
					}
					if strconv.Itoa(want) != port {
						t.Errorf("target %s (%s %s): deploy/local starts it with --http-port %d", target, kind, id, want)
					}
				}
			}
			if n != len(ports) {
				t.Errorf("gondb-local scrapes %d targets; deploy/local starts %d nodes", n, len(ports))
			}
		case "gondb-kubernetes":
			if len(sc.KubernetesSDConfigs) != 1 || sc.KubernetesSDConfigs[0].Role != "pod" {
				t.Error("gondb-kubernetes: want kubernetes_sd_configs with role pod")
			}
			used := map[string]bool{}
			for _, rc := range sc.RelabelConfigs {
				for _, l := range rc.SourceLabels {
					used[l] = true
				}
			}
			// The annotations of the manifests, as Prometheus names them.
			for _, a := range []string{"prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path"} {
				l := "__meta_kubernetes_pod_annotation_" + strings.NewReplacer(".", "_", "/", "_").Replace(a)
				if !used[l] {
					t.Errorf("gondb-kubernetes does not read the %s annotation (%s)", a, l)
				}
			}
		}
	}
	for _, j := range []string{"gondb-local", "gondb-kubernetes"} {
		if !jobs[j] {
			t.Errorf("no job %s", j)
		}
	}
}

func localNodeExists(c *config.Config, kind string, id int) bool {
	switch kind {
	case "mgmd":
		_, ok := c.MgmNodeByID(id)
		return ok
	case "datanode":
		_, ok := c.DataNodeByID(id)
		return ok
	case "sqlnode":
		a, ok := c.APINodeByID(id)
		return ok && a.Kind == config.KindMySQLD
	}
	return false
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

// podTemplate is the pod template of one workload of the manifests.
type podTemplate struct {
	workload string
	spec     *workloadSpec
}

// manifestPods returns the pod templates of deploy/kubernetes/*.yaml.
func manifestPods(t *testing.T) []podTemplate {
	t.Helper()
	var pods []podTemplate
	for _, o := range loadManifests(t) {
		switch o.Kind {
		case "StatefulSet", "Deployment", "DaemonSet":
			pods = append(pods, podTemplate{o.Metadata.Name, decodeSpec[workloadSpec](t, o)})
		}
	}
	if len(pods) < 3 {
		t.Fatalf("only %d workloads in deploy/kubernetes/*.yaml", len(pods))
	}
	return pods
}

var unsafeLabel = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// checkPodDiscovery runs a job's relabelling over the manifests' pods as
// Prometheus's pod discovery would (one target per container port): each
// gondb node (component mgmd, datanode, sqlnode) must be scraped on its
// port named http only, labelled with its kind; other pods not at all.
func checkPodDiscovery(t *testing.T, where string, rules []relabel, pods []podTemplate) {
	t.Helper()
	const podIP = "10.1.2.3"
	for _, p := range pods {
		meta, containers := p.spec.Template.Metadata, p.spec.Template.Spec.Containers
		kept := map[string]map[string]string{} // address -> labels
		http := 0
		for i := range containers {
			if n, ok := containers[i].port("http"); ok {
				http = n
			}
			for _, cp := range containers[i].Ports {
				l := map[string]string{
					"__address__":                                 net.JoinHostPort(podIP, strconv.Itoa(cp.ContainerPort)),
					"__meta_kubernetes_namespace":                 "gondb",
					"__meta_kubernetes_pod_name":                  p.workload + "-0",
					"__meta_kubernetes_pod_phase":                 "Running",
					"__meta_kubernetes_pod_container_port_name":   cp.Name,
					"__meta_kubernetes_pod_container_port_number": strconv.Itoa(cp.ContainerPort),
				}
				for k, v := range meta.Labels {
					l["__meta_kubernetes_pod_label_"+unsafeLabel.ReplaceAllString(k, "_")] = v
				}
				for k, v := range meta.Annotations {
					l["__meta_kubernetes_pod_annotation_"+unsafeLabel.ReplaceAllString(k, "_")] = v
				}
				if out, ok := applyRelabel(l, rules); ok {
					kept[out["__address__"]] = out
				}
			}
		}
		component := meta.Labels["app.kubernetes.io/component"]
		gondbNode := meta.Labels["app.kubernetes.io/name"] == "gondb" && slices.Contains([]string{"mgmd", "datanode", "sqlnode"}, component)
		addrs := slices.Sorted(maps.Keys(kept))
		if !gondbNode {
			if len(kept) > 0 {
				t.Errorf("%s scrapes %s (not a gondb node) at %v", where, p.workload, addrs)
			}
			continue
		}
		want := net.JoinHostPort(podIP, strconv.Itoa(http))
		if len(kept) != 1 || kept[want] == nil {
			t.Errorf("%s scrapes %s at %v, want only its http port %s", where, p.workload, addrs, want)
			continue
		}
		if kept[want]["kind"] != component {
			t.Errorf("%s labels %s kind=%q, want %q", where, p.workload, kept[want]["kind"], component)
		}
	}
}

// applyRelabel applies Prometheus relabel rules (keep, drop, replace) to
// a target's labels; false when a rule drops it. The rules' regexes must
// compile (checkScrapeConfigs checks them first).
func applyRelabel(in map[string]string, rules []relabel) (map[string]string, bool) {
	l := maps.Clone(in)
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
		switch cmp.Or(rc.Action, "replace") {
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

func TestApplyRelabel(t *testing.T) {
	ptr := func(s string) *string { return &s }
	in := map[string]string{"__address__": "10.0.0.1:9000", "a": "x", "b": "y", "port": "8081"}
	tests := []struct {
		name  string
		rules []relabel
		kept  bool
		label string // label to look at when kept
		want  string // its value; "" when absent
	}{
		{"keep match", []relabel{{SourceLabels: []string{"a", "b"}, Action: "keep", Regex: ptr("x;y")}}, true, "a", "x"},
		{"keep no match", []relabel{{SourceLabels: []string{"a"}, Action: "keep", Regex: ptr("z")}}, false, "", ""},
		{"drop match", []relabel{{SourceLabels: []string{"a"}, Action: "drop", Regex: ptr("x|z")}}, false, "", ""},
		{"default replace copies", []relabel{{SourceLabels: []string{"a"}, TargetLabel: "c"}}, true, "c", "x"},
		{"separator", []relabel{{SourceLabels: []string{"a", "b"}, Separator: ptr("-"), TargetLabel: "c"}}, true, "c", "x-y"},
		{"replacement groups", []relabel{{SourceLabels: []string{"__address__", "port"}, Regex: ptr(`([^:]+)(?::\d+)?;(\d+)`),
			Replacement: ptr("$1:$2"), TargetLabel: "__address__"}}, true, "__address__", "10.0.0.1:8081"},
		{"no match leaves label", []relabel{{SourceLabels: []string{"a"}, Regex: ptr("z"), TargetLabel: "b"}}, true, "b", "y"},
		{"empty result deletes", []relabel{{SourceLabels: []string{"missing"}, TargetLabel: "b"}}, true, "b", ""},
	}
	for _, tt := range tests {
		out, ok := applyRelabel(in, tt.rules)
		if ok != tt.kept {
			t.Errorf("%s: kept %v, want %v", tt.name, ok, tt.kept)
			continue
		}
		if ok && out[tt.label] != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.name, tt.label, out[tt.label], tt.want)
		}
	}
	if in["a"] != "x" || len(in) != 4 {
		t.Errorf("applyRelabel changed its input: %v", in)
	}
}

// deploy/README.md describes every file in deploy/.
func TestReadmeNamesEveryFile(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(deployDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range filesUnder(t, "") {
		if f == "README.md" {
			continue
		}
		if !strings.Contains(string(readme), f) {
			t.Errorf("deploy/README.md does not mention %s", f)
		}
	}
}
