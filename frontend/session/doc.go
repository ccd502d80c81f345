// Package session runs the statements of one client connection: it parses the text, keeps the
// session's state (current database, session variables), and dispatches each statement to the
// catalog (DDL, SHOW), the binder and coordinator (SELECT, INSERT ... VALUES | SELECT, DELETE,
// UPDATE: DML replies carry Doris's info string; SHOW LOAD reads the Meta Service's ListTxns),
// the DDL executor (CREATE,
// DROP and ALTER TABLE, DROP DATABASE, the storage vault statements) or answers it itself (SET,
// SHOW PARTITIONS and SHOW TABLETS from the catalog and the Meta Service's versions and tablet
// statistics, the variables and functions MySQL clients ask for on connect).
//
// Statistics (analyze.go, stats.go, autoanalyze.go): ANALYZE TABLE t [(cols)] [WITH SYNC] runs one
// aggregate query through the normal query path (COUNT(*), and per column COUNT, APPROX_COUNT_
// DISTINCT, MIN, MAX, AVG(LENGTH) for strings) and stores per-column statistics in the Meta
// Service (PutTableStats); it always runs synchronously (WITH SYNC or not). ANALYZE DATABASE db
// does so for every table of the database, one after another. SHOW COLUMN STATS and
// DROP STATS read and drop them; DROP TABLE drops them (frontend/ddl). The optimizer reads them
// through statsCatalog (one GetTableStats per table and statement; session variable enable_stats
// = 0 plans without them). Shared.AutoAnalyze, when set, re-analyzes tables whose statistics are
// missing or whose row count moved by more than HealthThreshold: notified after INSERT, DELETE
// and UPDATE (unless enable_auto_analyze = 0), and by a periodic sweep (Stream Loads), one table
// at a time in its own goroutine.
//
// A Session is used by one goroutine at a time (its connection's). The Shared services it is
// built from are safe for concurrent use by every session.
package session
