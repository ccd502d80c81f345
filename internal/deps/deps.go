//go:build tools

// Package deps pins modules that the tree needs before any package imports them.
package deps

import (
	_ "github.com/cockroachdb/datadriven"
	_ "github.com/go-mysql-org/go-mysql/server"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/hashicorp/raft"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "go.etcd.io/bbolt"
)
