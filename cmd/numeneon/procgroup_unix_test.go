//go:build unix

package main_test

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// inOwnGroup makes cmd the leader of a process group of its own, so that a
// shell and the server it starts are stopped together by stopGroup.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// stopGroup sends SIGTERM to cmd's process group, or SIGKILL when kill.
func stopGroup(cmd *exec.Cmd, kill bool) {
	sig := unix.SIGTERM
	if kill {
		sig = unix.SIGKILL
	}
	_ = unix.Kill(-cmd.Process.Pid, sig)
}
