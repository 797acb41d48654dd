// Package ndbinfo defines the monitoring tables (NDB's ndbinfo) and their Prometheus view. It is built by the monitoring issue; this package holds no code yet.
package ndbinfo
