// Package signal is gondb's message: the unit of work between blocks, inside
// a node (through lock-free rings) and between nodes (through transporters).
// It defines the Signal, its binary encoding and the Frame that carries a
// batch of signals.
//
// # Wire format (version 1), all integers little-endian
//
// A frame:
//
//	| magic "gS" (2B) | version (1B) | flags (1B) | signal count (2B) | reserved (2B) | payload length (4B) | checksum (4B) |
//
// The checksum is the payload's CRC32C when flag FlagChecksum is set, else 0.
//
//	| signal 1 | signal 2 | ... |
//
// A signal:
//
//	| number (2B) | word count (1B) | section count (1B) | sender node, block, instance (2B each) | receiver node, block, instance (2B each) |
//	| transaction/trace id (8B) | words (4B each) | section lengths (4B each) | section bytes |
//
// Limits (MaxWords, MaxSections, MaxSectionBytes, MaxFrameBytes) bound every
// length before it is used, and decoding never allocates: a decoded Signal's
// sections point into the frame's buffer, valid until that buffer is reused.
// A frame that fails validation is refused whole with ErrMalformed; the
// transporter that read it closes that one connection.
//
// signal is a leaf package: it imports nothing from gondb.
package signal
