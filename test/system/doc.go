// Package system holds tests that treat Doric as a newcomer does: build the binary, start
// `doric standalone` in a temporary directory on free ports, drive it with the real `mysql` CLI
// (mariadb-client) and Debian's python3 with pymysql, stop it with SIGTERM, kill it with SIGKILL,
// start it again and check that everything acknowledged is still there. The README's transcript
// is replayed through the CLI and must reproduce.
//
// The tests need the binary (DORIC_BIN, set by `make test`; otherwise they build it), the `mysql`
// CLI and /usr/bin/python3 with pymysql (`make test-deps` installs both); without them the tests
// skip with a message saying what is missing.
package system
