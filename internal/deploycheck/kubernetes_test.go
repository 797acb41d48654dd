package deploycheck

import (
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/gondb/gondb/mgmnode/config"
)

// intOrString is a Kubernetes IntOrString, kept as text.
type intOrString string

func (v *intOrString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = intOrString(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("neither a number nor a string: %s", b)
	}
	*v = intOrString(strconv.Itoa(n))
	return nil
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type k8sObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Data       map[string]string `json:"data"`
	Spec       json.RawMessage   `json:"spec"`
	file       string
}

type servicePort struct {
	Name       string      `json:"name"`
	Port       int         `json:"port"`
	TargetPort intOrString `json:"targetPort"`
}

type serviceSpec struct {
	ClusterIP                string            `json:"clusterIP"`
	PublishNotReadyAddresses bool              `json:"publishNotReadyAddresses"`
	Selector                 map[string]string `json:"selector"`
	Ports                    []servicePort     `json:"ports"`
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type envVar struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ValueFrom *struct {
		ConfigMapKeyRef *struct {
			Name string `json:"name"`
			Key  string `json:"key"`
		} `json:"configMapKeyRef"`
		FieldRef *struct {
			FieldPath string `json:"fieldPath"`
		} `json:"fieldRef"`
	} `json:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string      `json:"path"`
		Port intOrString `json:"port"`
	} `json:"httpGet"`
	TCPSocket *struct {
		Port intOrString `json:"port"`
	} `json:"tcpSocket"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []envVar `json:"env"`
	Ports   []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	ReadinessProbe *probe `json:"readinessProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `json:"requests"`
		Limits   map[string]string `json:"limits"`
	} `json:"resources"`
}

type volume struct {
	Name      string `json:"name"`
	ConfigMap *struct {
		Name  string `json:"name"`
		Items []struct {
			Key string `json:"key"`
		} `json:"items"`
	} `json:"configMap"`
}

type workloadSpec struct {
	Replicas            *int          `json:"replicas"`
	ServiceName         string        `json:"serviceName"`
	PodManagementPolicy string        `json:"podManagementPolicy"`
	Selector            labelSelector `json:"selector"`
	Strategy            struct {
		RollingUpdate struct {
			MaxSurge intOrString `json:"maxSurge"`
		} `json:"rollingUpdate"`
	} `json:"strategy"`
	Template struct {
		Metadata objectMeta `json:"metadata"`
		Spec     struct {
			Containers []container `json:"containers"`
			Volumes    []volume    `json:"volumes"`
		} `json:"spec"`
	} `json:"template"`
}

type pdbSpec struct {
	Selector       labelSelector `json:"selector"`
	MaxUnavailable *intOrString  `json:"maxUnavailable"`
	MinAvailable   *intOrString  `json:"minAvailable"`
}

// apiVersions are the kinds the manifests may use.
var apiVersions = map[string]string{
	"ConfigMap":           "v1",
	"Service":             "v1",
	"StatefulSet":         "apps/v1",
	"Deployment":          "apps/v1",
	"PodDisruptionBudget": "policy/v1",
}

// jsonable turns what yaml.v2 decodes into values encoding/json takes.
func jsonable(v any) (any, error) {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("non-string key %v", k)
			}
			var err error
			if m[ks], err = jsonable(e); err != nil {
				return nil, err
			}
		}
		return m, nil
	case []any:
		for i, e := range x {
			var err error
			if x[i], err = jsonable(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// yamlDocs decodes every document of a YAML file into JSON text.
func yamlDocs(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs [][]byte
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		if v == nil {
			continue
		}
		j, err := jsonable(v)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs)+1, err)
		}
		b, err := json.Marshal(j)
		if err != nil {
			return nil, err
		}
		docs = append(docs, b)
	}
}

func loadManifests(t *testing.T) []*k8sObject {
	t.Helper()
	var objs []*k8sObject
	for _, name := range filesUnder(t, ".yaml") {
		if !strings.HasPrefix(name, "kubernetes/") {
			continue
		}
		docs, err := yamlDocs(filepath.Join(deployDir, name))
		if err != nil {
			t.Fatalf("deploy/%s: %v", name, err)
		}
		for _, d := range docs {
			o := &k8sObject{file: name}
			if err := json.Unmarshal(d, o); err != nil {
				t.Fatalf("deploy/%s: %v", name, err)
			}
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		t.Fatal("no manifests under deploy/kubernetes")
	}
	return objs
}

func (o *k8sObject) String() string { return o.file + ": " + o.Kind + " " + o.Metadata.Name }

func decodeSpec[T any](t *testing.T, o *k8sObject) *T {
	t.Helper()
	var s T
	if err := json.Unmarshal(o.Spec, &s); err != nil {
		t.Fatalf("%v: spec: %v", o, err)
	}
	return &s
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (c *container) port(name string) (int, bool) {
	for _, p := range c.Ports {
		if p.Name == name || strconv.Itoa(p.ContainerPort) == name {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

func (c *container) commandLine() string {
	return strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
}

// cluster is the parsed manifests, indexed.
type cluster struct {
	objs       []*k8sObject
	services   map[string]*serviceSpec
	workloads  map[string]*workloadSpec // StatefulSets and Deployments by name
	kinds      map[string]string        // workload name -> kind
	configMaps map[string]map[string]string
}

func indexManifests(t *testing.T, objs []*k8sObject) *cluster {
	t.Helper()
	c := &cluster{objs: objs, services: map[string]*serviceSpec{}, workloads: map[string]*workloadSpec{},
		kinds: map[string]string{}, configMaps: map[string]map[string]string{}}
	seen := map[string]bool{}
	for _, o := range objs {
		if want, ok := apiVersions[o.Kind]; !ok {
			t.Errorf("%v: kind %q is not one the manifests are checked for", o, o.Kind)
			continue
		} else if o.APIVersion != want {
			t.Errorf("%v: apiVersion %q, want %q", o, o.APIVersion, want)
		}
		if o.Metadata.Name == "" {
			t.Errorf("%v: no metadata.name", o)
		}
		if o.Metadata.Namespace != "" {
			t.Errorf("%v: sets namespace %q; the manifests are namespace-agnostic (kubectl apply -n)", o, o.Metadata.Namespace)
		}
		if o.Metadata.Labels["app.kubernetes.io/name"] != "gondb" {
			t.Errorf("%v: no app.kubernetes.io/name=gondb label", o)
		}
		key := o.Kind + "/" + o.Metadata.Name
		if seen[key] {
			t.Errorf("%v: defined twice", o)
		}
		seen[key] = true
		switch o.Kind {
		case "ConfigMap":
			c.configMaps[o.Metadata.Name] = o.Data
		case "Service":
			c.services[o.Metadata.Name] = decodeSpec[serviceSpec](t, o)
		case "StatefulSet", "Deployment":
			c.workloads[o.Metadata.Name] = decodeSpec[workloadSpec](t, o)
			c.kinds[o.Metadata.Name] = o.Kind
		}
	}
	return c
}

// The manifests parse, carry no namespace, and every reference between
// them resolves: selectors, service names, ports, ConfigMap keys.
func TestKubernetesManifests(t *testing.T) {
	c := indexManifests(t, loadManifests(t))
	for _, name := range []string{"gondb-mgmd", "gondb-datanode", "gondb-sqlnode"} {
		if c.workloads[name] == nil || c.services[name] == nil {
			t.Errorf("no workload and Service %s", name)
		}
	}
	for name, w := range c.workloads {
		kind := c.kinds[name]
		t.Run(kind+"/"+name, func(t *testing.T) {
			checkWorkload(t, c, name, kind, w)
		})
	}
	for name, s := range c.services {
		matched := false
		for _, w := range c.workloads {
			if !subset(s.Selector, w.Template.Metadata.Labels) {
				continue
			}
			matched = true
			for _, p := range s.Ports {
				target := string(p.TargetPort)
				if target == "" {
					target = strconv.Itoa(p.Port)
				}
				found := false
				for i := range w.Template.Spec.Containers {
					if _, ok := w.Template.Spec.Containers[i].port(target); ok {
						found = true
					}
				}
				if !found {
					t.Errorf("Service %s: port %s targets %q, which no container declares", name, p.Name, target)
				}
			}
		}
		if !matched {
			t.Errorf("Service %s: selector %v matches no pod template", name, s.Selector)
		}
	}
	for _, o := range c.objs {
		if o.Kind != "PodDisruptionBudget" {
			continue
		}
		p := decodeSpec[pdbSpec](t, o)
		if (p.MaxUnavailable == nil) == (p.MinAvailable == nil) {
			t.Errorf("%v: set exactly one of maxUnavailable and minAvailable", o)
		}
		matched := false
		for _, w := range c.workloads {
			matched = matched || subset(p.Selector.MatchLabels, w.Template.Metadata.Labels)
		}
		if !matched {
			t.Errorf("%v: selector matches no pod template", o)
		}
	}
}

func checkWorkload(t *testing.T, c *cluster, name, kind string, w *workloadSpec) {
	if w.Replicas == nil || *w.Replicas < 1 {
		t.Error("replicas not set")
	}
	labels := w.Template.Metadata.Labels
	if !subset(w.Selector.MatchLabels, labels) {
		t.Errorf("selector %v does not match the pod labels %v", w.Selector.MatchLabels, labels)
	}
	if kind == "StatefulSet" {
		s := c.services[w.ServiceName]
		switch {
		case s == nil:
			t.Errorf("serviceName %q names no Service", w.ServiceName)
		case s.ClusterIP != "None":
			t.Errorf("Service %s is not headless (clusterIP: None)", w.ServiceName)
		case !s.PublishNotReadyAddresses:
			t.Errorf("Service %s: cluster members must resolve each other before they are ready (publishNotReadyAddresses: true)", w.ServiceName)
		case !subset(s.Selector, labels):
			t.Errorf("Service %s does not select this StatefulSet's pods", w.ServiceName)
		}
		if w.PodManagementPolicy != "Parallel" {
			t.Errorf("podManagementPolicy %q: members that wait for each other to start need Parallel", w.PodManagementPolicy)
		}
	}
	volumes := map[string]bool{}
	for _, v := range w.Template.Spec.Volumes {
		volumes[v.Name] = true
		if v.ConfigMap == nil {
			continue
		}
		data, ok := c.configMaps[v.ConfigMap.Name]
		if !ok {
			t.Errorf("volume %s: no ConfigMap %s", v.Name, v.ConfigMap.Name)
		}
		for _, it := range v.ConfigMap.Items {
			if _, ok := data[it.Key]; !ok {
				t.Errorf("volume %s: ConfigMap %s has no key %q", v.Name, v.ConfigMap.Name, it.Key)
			}
		}
	}
	for i := range w.Template.Spec.Containers {
		ct := &w.Template.Spec.Containers[i]
		if ct.Image == "" {
			t.Errorf("container %s has no image", ct.Name)
		}
		if ct.Resources.Requests["cpu"] == "" || ct.Resources.Requests["memory"] == "" {
			t.Errorf("container %s: requests no cpu or memory", ct.Name)
		}
		if ct.Resources.Limits["memory"] == "" {
			t.Errorf("container %s: no memory limit", ct.Name)
		}
		for _, e := range ct.Env {
			if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.ConfigMapKeyRef
			if _, ok := c.configMaps[ref.Name][ref.Key]; !ok {
				t.Errorf("container %s: env %s refers to ConfigMap %s key %q, which does not exist", ct.Name, e.Name, ref.Name, ref.Key)
			}
		}
		if ct.ReadinessProbe == nil {
			t.Errorf("container %s has no readiness probe", ct.Name)
		}
		for _, p := range []*probe{ct.ReadinessProbe, ct.LivenessProbe} {
			if p == nil {
				continue
			}
			port := ""
			if p.HTTPGet != nil {
				port = string(p.HTTPGet.Port)
			} else if p.TCPSocket != nil {
				port = string(p.TCPSocket.Port)
			}
			if _, ok := ct.port(port); !ok {
				t.Errorf("container %s: probe port %q is not a container port", ct.Name, port)
			}
		}
		if strings.HasPrefix(ct.Image, "gondb") {
			checkGondbContainer(t, ct, labels, w.Template.Metadata.Annotations)
		}
	}
}

// checkGondbContainer checks what every gondb node needs: the subcommand
// of its component, an http port scraped through the annotations and
// probed on /health.
func checkGondbContainer(t *testing.T, ct *container, labels, annotations map[string]string) {
	component := labels["app.kubernetes.io/component"]
	line := ct.commandLine()
	if !strings.Contains(line, "gondb "+component+" ") {
		t.Errorf("container %s does not run gondb %s: %q", ct.Name, component, line)
	}
	http, ok := ct.port("http")
	if !ok {
		t.Errorf("container %s has no port named http", ct.Name)
		return
	}
	if !strings.Contains(line, "--http-port "+strconv.Itoa(http)) {
		t.Errorf("container %s: port http is %d but the command line has no --http-port %d", ct.Name, http, http)
	}
	if p := ct.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/health" {
		t.Errorf("container %s: the readiness probe must GET /health", ct.Name)
	} else if port, _ := ct.port(string(p.HTTPGet.Port)); port != http {
		t.Errorf("container %s: readiness probe on port %s, want the http port", ct.Name, p.HTTPGet.Port)
	}
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(http),
		"prometheus.io/path":   "/metrics",
	}
	for k, v := range want {
		if annotations[k] != v {
			t.Errorf("pod annotation %s=%q, want %q", k, annotations[k], v)
		}
	}
}

// nodeIDOffset finds "$((ordinal + N))" after --ndb-nodeid: node id =
// pod ordinal + N.
var nodeIDOffsetRE = regexp.MustCompile(`--ndb-nodeid "?\$\(\(\s*ordinal\s*\+\s*(\d+)\s*\)\)"?`)

func nodeIDOffset(t *testing.T, w *workloadSpec) int {
	t.Helper()
	line := w.Template.Spec.Containers[0].commandLine()
	if !strings.Contains(line, `ordinal="${POD_NAME##*-}"`) {
		t.Errorf("command line does not take the ordinal from POD_NAME: %q", line)
	}
	m := nodeIDOffsetRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("command line derives no node id from the ordinal: %q", line)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// The config.ini in the ConfigMap describes the pods the StatefulSets make:
// node ids from ordinals, host names, ports and replica counts agree.
func TestKubernetesConfigMatchesPods(t *testing.T) {
	c := indexManifests(t, loadManifests(t))
	data := c.configMaps["gondb-config"]
	if data == nil {
		t.Fatal("no ConfigMap gondb-config")
	}
	cfg := parseINIText(t, "deploy/kubernetes/configmap.yaml: config.ini", data["config.ini"])
	mgmd, dn, sql := c.workloads["gondb-mgmd"], c.workloads["gondb-datanode"], c.workloads["gondb-sqlnode"]
	if mgmd == nil || dn == nil || sql == nil {
		t.Fatal("missing a workload (see TestKubernetesManifests)")
	}

	// Data nodes: pod i is node ordinal+offset on <sts>-i.<service>.
	if *dn.Replicas != len(cfg.DataNodes) {
		t.Errorf("gondb-datanode has %d replicas, config.ini %d data nodes", *dn.Replicas, len(cfg.DataNodes))
	}
	off := nodeIDOffset(t, dn)
	transporter, _ := dn.Template.Spec.Containers[0].port("transporter")
	for i := 0; i < *dn.Replicas; i++ {
		d, ok := cfg.DataNodeByID(i + off)
		if !ok {
			t.Errorf("pod gondb-datanode-%d runs node %d, which config.ini lacks", i, i+off)
			continue
		}
		if want := fmt.Sprintf("gondb-datanode-%d.%s", i, dn.ServiceName); d.HostName != want {
			t.Errorf("data node %d: HostName %q, want the pod's name %q", d.NodeID, d.HostName, want)
		}
		if d.ServerPort != transporter {
			t.Errorf("data node %d: ServerPort %d, container port transporter %d", d.NodeID, d.ServerPort, transporter)
		}
	}

	// Management nodes, and the connect string naming all of them.
	if *mgmd.Replicas != len(cfg.MgmNodes) {
		t.Errorf("gondb-mgmd has %d replicas, config.ini %d management nodes", *mgmd.Replicas, len(cfg.MgmNodes))
	}
	off = nodeIDOffset(t, mgmd)
	mgmPort, _ := mgmd.Template.Spec.Containers[0].port("mgm")
	var connect []string
	for i := 0; i < *mgmd.Replicas; i++ {
		m, ok := cfg.MgmNodeByID(i + off)
		if !ok {
			t.Errorf("pod gondb-mgmd-%d runs node %d, which config.ini lacks", i, i+off)
			continue
		}
		if want := fmt.Sprintf("gondb-mgmd-%d.%s", i, mgmd.ServiceName); m.HostName != want {
			t.Errorf("mgmd %d: HostName %q, want %q", m.NodeID, m.HostName, want)
		}
		if m.PortNumber != mgmPort {
			t.Errorf("mgmd %d: PortNumber %d, container port mgm %d", m.NodeID, m.PortNumber, mgmPort)
		}
		connect = append(connect, net.JoinHostPort(m.HostName, strconv.Itoa(m.PortNumber)))
	}
	if got, want := data["connectstring"], strings.Join(connect, ","); got != want {
		t.Errorf("connectstring %q, want %q", got, want)
	}
	if *mgmd.Replicas > 1 {
		// Several mgmds must share one etcd: every endpoint is a pod of
		// the etcd StatefulSet.
		etcd := c.workloads["gondb-etcd"]
		eps := strings.Split(data["etcd-endpoints"], ",")
		if etcd == nil || data["etcd-endpoints"] == "" || len(eps) != *etcd.Replicas {
			t.Errorf("%d mgmd replicas need a shared etcd: etcd-endpoints %q", *mgmd.Replicas, data["etcd-endpoints"])
		}
		for i, ep := range eps {
			if want := fmt.Sprintf("http://gondb-etcd-%d.gondb-etcd:2379", i); ep != want {
				t.Errorf("etcd endpoint %d is %q, want %q", i, ep, want)
			}
		}
	}

	// SQL nodes: a free [mysqld] slot for every pod, surge pods included.
	free := 0
	for _, a := range cfg.APINodes {
		if a.Kind == config.KindMySQLD && a.HostName == "" {
			free++
		}
	}
	surge, _ := strconv.Atoi(string(sql.Strategy.RollingUpdate.MaxSurge))
	if free < *sql.Replicas+surge {
		t.Errorf("%d [mysqld] slots for any host; gondb-sqlnode runs up to %d pods", free, *sql.Replicas+surge)
	}
	if line := sql.Template.Spec.Containers[0].commandLine(); !strings.Contains(line, "--port 3306") {
		t.Errorf("SQL node does not listen on 3306: %q", line)
	}
	if s := c.services["gondb-sqlnode"]; s == nil || len(s.Ports) == 0 || s.Ports[0].Port != 3306 {
		t.Error("Service gondb-sqlnode does not serve port 3306")
	}
}
