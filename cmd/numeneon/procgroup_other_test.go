//go:build !unix

package main_test

import "os/exec"

// inOwnGroup does nothing where there are no process groups to signal.
func inOwnGroup(*exec.Cmd) {}

// stopGroup kills cmd's process alone: without process groups or SIGTERM,
// its children are not reached.
func stopGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
