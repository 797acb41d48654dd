// Package deploycheck holds tests only: they check the files under deploy/
// (config.ini examples, systemd units, Kubernetes manifests, Prometheus
// configurations, Grafana dashboards) so that an example that no longer
// loads, a manifest that no longer matches its config.ini, or a dashboard
// that charts an undocumented metric, fails `go test`.
//
//   - every deploy/**/*.ini is accepted by mgmnode/config, with the data
//     node's full ThreadConfig check and no warnings;
//   - the Kubernetes manifests parse as YAML, carry no namespace, and agree
//     with each other and with the config.ini in their ConfigMap (node ids
//     derived from pod ordinals, host names, replica counts, ports,
//     readiness probes on /health, Prometheus annotations);
//   - the systemd units run the documented command lines with the limits
//     and restart policy a node needs;
//   - every deploy/prometheus/*.yml parses strictly as a Prometheus
//     configuration (the keys gondb's files use) with well-formed jobs and
//     relabelling; prometheus.yml scrapes what deploy/local runs and reads
//     the manifests' prometheus.io/* annotations; demo.yml follows the
//     ports of `gondb demo --http-port P` (mgmd on P, data node k on P+k);
//     every Kubernetes job (kubernetes.yml's included), its relabelling
//     run over the pods of the manifests, keeps each gondb node's http
//     port and nothing else;
//   - every deploy/grafana/*.json dashboard is valid JSON with a
//     Prometheus data source variable (DS_PROMETHEUS) and an instance
//     variable; every panel has that data source, at least one query and a
//     place on the grid; every metric a query names (gondb_*, with a
//     histogram's _bucket, _sum and _count suffixes) is documented in
//     docs/metrics.md, and gondb.json charts the metrics it must;
//   - deploy/README.md names every file of deploy/.
//
// The tests import mgmnode/config, datanode/thread (for
// ParseThreadConfig) and go.yaml.in/yaml/v2; nothing imports this
// package.
package deploycheck
