package chaos

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill a replica if the test process
// dies (a panic or go test's timeout), so no cohostd outlives its test.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
