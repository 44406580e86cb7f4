package numeneon

import "context"

// ErrCallInsideUpdate is what a Store method returns when it is called with
// the context of an Update's fn: inside fn, read and write through the tx
// only. The rule is the same on every database: on SQLite a second
// transaction would wait for the single writer fn holds, and on PostgreSQL a
// read on another connection does not see fn's writes and can deadlock with
// it when the pool runs dry.
var ErrCallInsideUpdate = Errorf(EINTERNAL, "a Store method was called inside Update's fn; use the tx")

// updateKey marks the context Store.Update hands to fn.
type updateKey struct{}

// WithinUpdate returns ctx marked as the context of an Update's fn. Stores
// call it; everyone else only passes the context on.
func WithinUpdate(ctx context.Context) context.Context {
	return context.WithValue(ctx, updateKey{}, true)
}

// InUpdate reports whether ctx is (derived from) the context of an Update's
// fn, where Store methods refuse with ErrCallInsideUpdate.
func InUpdate(ctx context.Context) bool {
	v, _ := ctx.Value(updateKey{}).(bool)
	return v
}
