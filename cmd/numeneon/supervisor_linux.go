package main

import "syscall"

// workerProcAttr makes a worker die with its supervisor, even when the
// supervisor is killed (SIGKILL, out of memory) and cannot stop it: the
// kernel sends the worker SIGTERM, so no orphan keeps serving the port.
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
