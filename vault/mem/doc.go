// Package mem is an in-memory vault.Storage for tests. It keeps the vault contract (atomic Put,
// classified errors, prefix semantics) so code tested against it behaves the same on a real
// backend. Safe for concurrent use.
package mem
