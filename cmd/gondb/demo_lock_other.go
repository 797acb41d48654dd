//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

// lockDemoDir does nothing where flock is missing: a second demo on the
// same datadir then waits on the embedded etcd's files.
func lockDemoDir(string) (func(), error) { return func() {}, nil }
