// Package api is the HTTP face of NUMENEON: the routes of API.md on a
// standard library ServeMux, the middleware every request passes (logging,
// panic recovery, body limit, CORS, rate limits, authentication), the one
// table that turns domain error codes into HTTP statuses, and the JSON shapes
// the existing NUMENEON client reads.
//
// Handlers only decode, call the app.Service and encode: every rule lives in
// package app. The WebSocket endpoint is mounted from Config.Socket; this
// package supplies the Origin allow-list and handshake rate limit it uses.
package api
