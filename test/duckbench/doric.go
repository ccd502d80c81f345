package duckbench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Doric is a running `doric standalone` (a process of the built binary).
type Doric struct {
	MySQL, HTTP string // the addresses it listens on
	cmd         *exec.Cmd
	log         *os.File
	cpu         float64 // CPU seconds (user+system) at the previous Usage
}

var readyRe = regexp.MustCompile(`msg="doric standalone ready" mysql=(\S+) http=(\S+)`)

// StartDoric runs bin standalone on free ports with dataDir and waits for its ready line; its log
// goes to doric.log beside dataDir.
func StartDoric(bin, dataDir string) (*Doric, error) {
	logPath := filepath.Join(filepath.Dir(dataDir), "doric.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "standalone", "--data-dir", dataDir, "--mysql-port", "0", "--http-port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	d := &Doric{cmd: cmd, log: logf}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if m := readyRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m:
				default:
				}
			}
		}
		close(ready)
	}()
	select {
	case m, ok := <-ready:
		if !ok {
			d.Stop()
			return nil, fmt.Errorf("%s standalone exited before it was ready (log: %s)", bin, logPath)
		}
		d.MySQL, d.HTTP = m[1], m[2]
	case <-time.After(2 * time.Minute):
		d.Stop()
		return nil, fmt.Errorf("%s standalone was not ready within 2 minutes (log: %s)", bin, logPath)
	}
	return d, nil
}

// Stop stops it (SIGTERM, then SIGKILL after 30 s).
func (d *Doric) Stop() {
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.log.Close()
}

// Usage notes the CPU time the process spent since the previous call (on a shared machine the
// fairer figure than the wall time) and its peak resident set (VmHWM).
func (d *Doric) Usage() string {
	return d.cpuTime() + d.peakRSS()
}

func (d *Doric) cpuTime() string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	if err != nil {
		return ""
	}
	// Fields after the command name (which is in parentheses): utime and stime are 14th and 15th.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return ""
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	const ticks = 100 // USER_HZ on Linux
	cpu := (ut + st) / ticks
	defer func() { d.cpu = cpu }()
	return fmt.Sprintf(", CPU %.1f s", cpu-d.cpu)
}

func (d *Doric) peakRSS() string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return fmt.Sprintf(", peak RSS %.1f GiB", float64(kb)/(1<<20))
		}
	}
	return ""
}
