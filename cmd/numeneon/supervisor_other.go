//go:build !linux

package main

import "syscall"

// workerProcAttr has nothing to add off Linux: there is no parent-death
// signal. It is never used there anyway, since the supervisor only runs for
// --workers N>1, which is refused off Linux (see multipleWorkers).
func workerProcAttr() *syscall.SysProcAttr { return nil }
