// Package transporttest holds helpers for testing transporters: throwaway
// certificate authorities and node certificates for TLS tests, and a
// conformance suite that every Transporter implementation runs. It is
// imported only by tests.
package transporttest
