//go:build unix && !linux

package dynamolocal

import "syscall"

// sysProcAttr puts the emulator in its own process group. Without Linux's parent-death signal an
// emulator outlives a process killed before Close.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
