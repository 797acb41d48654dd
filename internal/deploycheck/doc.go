// Package deploycheck holds tests only: they check the files under deploy/
// (config.ini examples, systemd units, Kubernetes manifests, the
// Prometheus configuration) so that an example that no longer loads, or a
// manifest that no longer matches its config.ini, fails `go test`.
//
//   - every deploy/**/*.ini is accepted by mgmnode/config, with the data
//     node's full ThreadConfig check and no warnings;
//   - the Kubernetes manifests parse as YAML, carry no namespace, and agree
//     with each other and with the config.ini in their ConfigMap (node ids
//     derived from pod ordinals, host names, replica counts, ports,
//     readiness probes on /health, Prometheus annotations);
//   - the systemd units run the documented command lines with the limits
//     and restart policy a node needs;
//   - prometheus.yml parses and scrapes what deploy/local runs.
//
// The tests import mgmnode/config, datanode/thread (for
// ParseThreadConfig) and go.yaml.in/yaml/v2; nothing imports this
// package.
package deploycheck
