// Package app holds the business rules of NUMENEON, once, over a
// numeneon.Store and a numeneon.Layer: who may do what, what input is valid,
// which events a change raises, and the order in which a change is stored,
// committed and published.
//
// Every method takes ctx first; the acting user travels in ctx
// (numeneon.NewContextWithUser, set by the api's authentication). Errors are
// *numeneon.Error values with domain codes, wrapped with what failed; the api
// maps codes to HTTP statuses.
//
// Events are stored in the same transaction as the change that raises them
// and published on the layer only after that transaction committed, so a
// client never sees an event for a change that was rolled back, and a client
// that missed the publish finds the event in the store when it resumes.
package app
