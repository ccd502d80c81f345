// Package session runs the statements of one client connection: it parses the text, keeps the
// session's state (current database, session variables), and dispatches each statement to the
// catalog (DDL, SHOW), the binder and coordinator (SELECT, INSERT ... VALUES | SELECT, DELETE,
// UPDATE: DML replies carry Doris's info string; SHOW LOAD reads the Meta Service's ListTxns),
// the DDL executor (CREATE,
// DROP and ALTER TABLE, DROP DATABASE, the storage vault statements) or answers it itself (SET,
// SHOW PARTITIONS and SHOW TABLETS from the catalog and the Meta Service's versions and tablet
// statistics, the variables and functions MySQL clients ask for on connect).
//
// A Session is used by one goroutine at a time (its connection's). The Shared services it is
// built from are safe for concurrent use by every session.
package session
