// Package tablet stores tablet metadata: TabletMeta under keys.Tablet (table, index, partition,
// tablet ids, so the tablets of a table or partition are one range) and the id-only TabletMeta
// under keys.TabletIndex that finds it from the tablet id.
//
// Create stores a tablet with its zero statistics (package stats). It is idempotent per tablet:
// creating a tablet again with an identical meta succeeds and changes nothing; a different meta
// under an existing tablet id fails with metaerr.ErrAlreadyExists. Empty vault ids take the
// instance's default vault and zero creation times take the current time, before the comparison.
//
// Functions run inside the caller's kv transaction and may be called concurrently from
// different transactions.
package tablet
