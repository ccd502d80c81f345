// Package streamload is the Stream Load acceptance test (issue 5): an in-process cluster (two
// compute nodes) is loaded with the real `curl` binary exactly as Doris's documentation shows —
// `curl --location-trusted -u user:passwd -H "label:..." -T file -XPUT
// http://fe:8030/api/{db}/{table}/_stream_load` — in CSV and JSON, with `columns` expressions,
// `where`, bad rows under and over `max_filter_ratio`, a repeated label, two-phase commit then
// commit and abort through _stream_load_2pc, and group commit; every response is checked field
// by field (and key by key, in Doris's order) and the table through the MySQL protocol. It skips
// with a message when curl is not installed (`make test-deps` installs it). It has tests only.
package streamload
