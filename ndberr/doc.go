// Package ndberr holds gondb's error codes in the style of NDB: every error a
// data node or the API can return has a number, a message, a status
// (temporary, permanent, unknown result) and a classification that tells an
// application what to do about it (retry, fix the request, add memory).
//
// Codes are wire values: data nodes send the number, the API turns it back
// into the same *Error. Codes that NDB also has keep NDB's number and meaning,
// so that operators can look them up in NDB's documentation; gondb-only codes
// live at 9000 and above. A code is never reused for another meaning.
//
// Errors are package-level values compared with errors.Is; returning one
// allocates nothing, which matters because they travel the hot path.
//
// ndberr is a leaf package: it imports nothing from gondb.
package ndberr
