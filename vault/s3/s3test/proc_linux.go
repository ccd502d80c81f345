package s3test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the server if the test process dies without cleaning up.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
