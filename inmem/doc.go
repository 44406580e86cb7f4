// Package inmem implements numeneon.Layer and numeneon.Presence inside one
// process. It cannot carry an event from one process to another: a server
// started with several workers, or several instances, must use the redis
// package instead, and `numeneon serve --workers N` refuses to start with
// this layer when N > 1.
package inmem
