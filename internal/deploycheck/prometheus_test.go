package deploycheck

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/gondb/gondb/mgmnode/config"
)

type relabel struct {
	SourceLabels []string `yaml:"source_labels"`
	Action       string   `yaml:"action"`
	Regex        string   `yaml:"regex"`
	Replacement  string   `yaml:"replacement"`
	TargetLabel  string   `yaml:"target_label"`
}

type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
		KubernetesSDConfigs []struct {
			Role string `yaml:"role"`
		} `yaml:"kubernetes_sd_configs"`
		RelabelConfigs []relabel `yaml:"relabel_configs"`
	} `yaml:"scrape_configs"`
}

// prometheus.yml parses (strictly: a misspelt key fails), its local job
// scrapes the ports deploy/local's commands open, and its Kubernetes job
// reads the annotations the manifests set.
func TestPrometheusConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var pc promConfig
	if err := yaml.UnmarshalStrict(raw, &pc); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	if pc.Global.ScrapeInterval == "" {
		t.Error("no global scrape_interval")
	}
	local := parseINI(t, filepath.Join(deployDir, "local/config.ini"))
	ports := map[string]int{} // "kind/node id" -> port; "kind/0" when the command names no id
	for _, cmd := range localCommands(t) {
		ports[cmd.kind+"/"+strconv.Itoa(cmd.nodeID)] = cmd.httpPort
	}
	jobs := map[string]bool{}
	for _, sc := range pc.ScrapeConfigs {
		if jobs[sc.JobName] {
			t.Errorf("job %q twice", sc.JobName)
		}
		jobs[sc.JobName] = true
		for _, rc := range sc.RelabelConfigs {
			if rc.Regex != "" {
				if _, err := regexp.Compile("^(?:" + rc.Regex + ")$"); err != nil {
					t.Errorf("job %s: regex %q: %v", sc.JobName, rc.Regex, err)
				}
			}
		}
	}
	for _, sc := range pc.ScrapeConfigs {
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
