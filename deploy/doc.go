// Package deploy holds no code: its files are the configuration examples,
// systemd units, Kubernetes manifests, Prometheus configurations and the
// Grafana dashboard that run gondb outside `gondb demo` (README.md).
//
// Its tests check the monitoring files against the code's documentation:
//
//   - every grafana/*.json dashboard is valid JSON with a Prometheus data
//     source variable (DS_PROMETHEUS) and an instance variable; every panel
//     has that data source and at least one query; every metric a query
//     names (gondb_*, with a histogram's _bucket, _sum and _count
//     suffixes) is documented in docs/metrics.md;
//   - every prometheus/*.yml parses strictly as a Prometheus
//     configuration (the keys gondb's files use); demo.yml follows the
//     ports of `gondb demo --http-port P`; kubernetes.yml's relabelling,
//     run over the pods of kubernetes/*.yaml, keeps each gondb node's http
//     port and nothing else.
//
// internal/deploycheck tests the rest of the directory (config.ini files,
// units, manifests, prometheus.yml against deploy/local).
//
// The tests import go.yaml.in/yaml/v2 and nothing from gondb; nothing
// imports this package.
package deploy
