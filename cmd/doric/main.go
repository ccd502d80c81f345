// Command doric is Doric's one binary: a subcommand per role.
//
//	doric standalone   every role in one process over an embedded KV store and a local vault
//	doric metaservice  the Meta Service (gRPC) over a KV store
//	doric frontend     the MySQL-protocol frontend (catalog journal on local disk)
//	doric compute      a compute node of a compute group
//	doric recycler     the recycler
//	doric version      print the version
//
// Every flag can also be set by the environment variable DORIC_<FLAG> (upper case, '-' as '_');
// a flag on the command line wins. Port flags accept 0 for a free port; the process logs the
// addresses it bound. SIGINT and SIGTERM shut it down gracefully. The garbage collector runs at
// GOGC=400 under a soft memory limit of 75 % of the machine's memory unless GOGC / GOMEMLIMIT say
// otherwise (memory.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	_ "time/tzdata" // session time zones by IANA name on hosts without a zoneinfo database

	"github.com/doricdb/doric/internal/buildinfo"
)

type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, log *slog.Logger) error
}

func commands() []command {
	return []command{
		{"standalone", "run every role in one process (embedded KV store, local vault)", runStandalone},
		{"metaservice", "run the Meta Service", runMetaService},
		{"frontend", "run a frontend (MySQL protocol, catalog)", runFrontend},
		{"compute", "run a compute node", runCompute},
		{"recycler", "run the recycler", runRecycler},
		{"version", "print the version", func(context.Context, []string, *slog.Logger) error {
			fmt.Println("doric", buildinfo.Version)
			return nil
		}},
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: doric <command> [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", c.name, c.short)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'doric <command> -h' for the flags of a command.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
		tuneMemory(log)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		err := c.run(ctx, os.Args[2:], log)
		stop()
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			log.Error("exit", "command", name, "err", err)
			os.Exit(1)
		}
		return
	}
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		return
	}
	fmt.Fprintf(os.Stderr, "doric: unknown command %q\n\n", name)
	usage()
	os.Exit(2)
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("DORIC_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// parse parses args into fs after seeding every flag from DORIC_<FLAG> in the environment.
func parse(fs *flag.FlagSet, args []string) error {
	var bad []string
	fs.VisitAll(func(f *flag.Flag) {
		env := "DORIC_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q: %v", env, v, err))
			}
		}
	})
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("bad environment: %s", strings.Join(bad, "; "))
	}
	return fs.Parse(args)
}
