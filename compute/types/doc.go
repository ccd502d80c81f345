// Package types defines Doric's SQL types and the in-memory representation of their values. It is
// a leaf: it imports nothing else from the repository except the generated commonpb contract.
//
// Representation (shared by column vectors, segment files, plan literals and the wire batch):
//
//	BOOLEAN                       int64, 0 or 1
//	TINYINT SMALLINT INT BIGINT   int64, range-checked to the declared width
//	LARGEINT                      Int128
//	FLOAT DOUBLE                  float64
//	DECIMAL(p,s), p <= 18         int64, the unscaled value (123.45 in DECIMAL(5,2) is 12345)
//	DECIMAL(p,s), p > 18          Int128, the unscaled value
//	DATE                          int64, days since 1970-01-01 (proleptic Gregorian)
//	DATETIME(s)                   int64, microseconds since 1970-01-01 00:00:00
//	CHAR VARCHAR STRING           []byte
//
// Everything here is a pure function or an immutable value; it is safe for concurrent use.
package types
