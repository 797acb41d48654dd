// Package mem is the data node's DataMemory: one pool of fixed-size pages
// (PageSize, 32 KiB) carved out of a single region mapped outside the Go heap,
// so row memory never enters the garbage collector's pointer graph and a
// node with hundreds of GiB of rows has a small, quiet heap.
//
// Pages are named by integer PageIDs, never by pointers. The pool is shared by
// all LDM threads of a node: allocating or freeing a page takes a mutex, which
// is fine because a page holds hundreds of rows; rows themselves are never
// locked (each fragment belongs to one LDM thread).
//
// Accounting: the pool counts pages in use; callers account per table and
// fragment. When no page is free, Alloc returns ndberr.ErrOutOfDataMemory and
// nothing else changes, so the node keeps serving reads and deletes.
//
// mem imports only ndberr.
package mem
