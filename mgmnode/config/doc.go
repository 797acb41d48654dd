// Package config owns the cluster configuration file, config.ini in MySQL
// NDB Cluster's format: its syntax, the table of parameters (name, sections,
// type, default, range, unit, meaning), the resolution of defaults
// (built-in default < [x default] section < the node's own section), node id
// and node group assignment, validation, the canonical writer (WriteINI) and
// the reference page docs/config.md, which is generated from the same table.
//
// The table in params.go is the single source of truth: the parser, the
// validator, WriteINI and WriteReference all read it, and a test fails when
// docs/config.md no longer matches it (go test ./mgmnode/config -update
// rewrites the page).
//
// # Errors and warnings
//
// Parse collects every problem, not just the first: the error it returns is
// an errors.Join of *Error values in line order, each naming the file, line,
// section, parameter, value and, for ranges, what is allowed. Every *Error
// matches ErrInvalid with errors.Is. NDB parameters that gondb accepts but
// ignores, and deprecated ones, give a Warning instead.
//
// # Threading and I/O
//
// Parsing is a pure function of its input: the package reads only the
// reader or the one file it is given, starts no goroutines and keeps no
// global mutable state. A Config is a plain value; share it read-only.
// Validate never changes it.
//
// # Imports
//
// config imports only the standard library. It must never import datanode
// (nor sqlnode, ndbapi or cmd): the full ThreadConfig check lives in
// datanode/thread, so the caller that may import both passes it in through
// Options.CheckThreadConfig; without it only the shape of a ThreadConfig
// value is checked here.
package config
