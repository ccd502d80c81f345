//go:build unix

package exec_test

import "syscall"

// processCPU returns the process's user + system CPU time in nanoseconds (every thread, the
// garbage collector's included): a benchmark metric that other processes on the machine disturb
// less than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
