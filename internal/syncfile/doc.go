// Package syncfile holds the two steps every durable small-file write in
// gondb takes: write a file and fsync it before closing, and fsync its
// directory after a rename, so the new name survives a power cut. The
// redo log's metadata, the sysfile and the LCP control files use them.
//
// syncfile imports only the standard library.
package syncfile
