// Package vector holds column vectors and batches: the unit of data every compute operator passes
// to the next (DESIGN §7). It is a leaf: it imports only compute/types and the commonpb contract.
//
// A Vector is one column: a SQL type, one typed value slice chosen by the type's physical
// representation (types.T.Physical: Int64, Int128, Float64 or Bytes; the other three are nil) and
// an optional null bitmap (bit i set = row i is NULL; nil = no NULLs). A NULL row still has a slot
// in the value slice; its content is unspecified (writers store the zero value).
//
// A Batch is a set of vectors of the same physical length N plus an optional selection vector Sel:
// when Sel is nil every row 0..N-1 is active, otherwise only the rows listed in Sel (strictly
// increasing) are. Operators that drop rows (filter, limit) only shrink Sel; operators that
// materialize (project results, aggregation, sort, the wire) read through it.
//
// Ownership: a batch handed to a consumer is never modified by its producer afterwards, and a
// consumer must not modify a batch it received (it may keep references to it). Byte slices in a
// Bytes vector may alias a shared buffer (a decoded page); they are read-only.
//
// Vectors and batches are not safe for concurrent mutation; immutable ones may be read from any
// number of goroutines.
//
// Wire form (commonpb.ColumnData): values as in compute/types; the null bitmap is bytes with row i
// at bit i%8 (least significant first) of byte i/8, and is empty when no row is NULL; DECIMAL
// with precision > 18 and LARGEINT are pairs (hi, lo) in decimal128.
package vector
