package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/doricdb/doric/internal/standalone"
)

// inProcess is Doric's standalone assembly inside this process, for CPU profiles of the load.
type inProcess struct {
	c       *standalone.Cluster
	stopped bool
	profile *os.File
}

func startInProcess(dataDir, cpuProfile string) (server, error) {
	c, err := standalone.Start(context.Background(), standalone.Config{DataDir: dataDir, MySQLAddr: "127.0.0.1:0",
		HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	s := &inProcess{c: c}
	if cpuProfile != "" {
		if s.profile, err = os.Create(cpuProfile); err != nil {
			c.Stop()
			return nil, err
		}
		if err := pprof.StartCPUProfile(s.profile); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *inProcess) mysqlAddr() string { return s.c.MySQLAddr() }
func (s *inProcess) httpAddr() string  { return s.c.Frontend.HTTPAddr() }
func (s *inProcess) loaded() string    { return ", in process" }

func (s *inProcess) stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	if s.profile != nil {
		pprof.StopCPUProfile()
		s.profile.Close()
		fmt.Println("CPU profile of the Doric loads (and of the MySQL checks) in", s.profile.Name())
	}
	_ = s.c.Stop()
}
