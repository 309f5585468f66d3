//go:build linux

package dynamolocal

import "syscall"

// sysProcAttr puts the emulator in its own process group and has the kernel kill it when the
// thread that started it (kept alive until it exits) goes away with this process.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
