// Package buildinfo carries the version stamped into the binary at link time.
package buildinfo

// Version is set by the linker (-X); "dev" in a plain `go build`.
var Version = "dev"

// MySQLVersion is the server version string MySQL clients see: a MySQL-compatible version
// first (drivers parse it), then Doric's own, as Doris reports "5.7.99".
func MySQLVersion() string { return "5.7.99-Doric-" + Version }
