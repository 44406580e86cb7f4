package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/groupcommit"
)

// publishTimeout bounds how long a request waits for the broker after its
// change committed. The event is already stored, so giving up only delays
// delivery until the client resumes.
const publishTimeout = 5 * time.Second

// Service applies the business rules. It is safe for concurrent use.
type Service struct {
	store  numeneon.Store
	layer  numeneon.Layer
	tokens *auth.Tokens
	logger *slog.Logger
	// messages commits the message write path: one transaction per message
	// by default, shared transactions with group commit (Options.GroupCommit).
	messages keyedWriter
	users    *userCache
	policy   AccountPolicy     // validated: defaults filled in
	now      func() time.Time  // nil: time.Now; see UseClock
	music    *musicSearch      // nil until UseCatalogue: no music search
	push     *PushSender       // nil until StartPush: no Web Push
	presence numeneon.Presence // nil until UsePresence: no friend is online
}

// keyedWriter runs a write in a transaction; key names the user whose
// per-user counter the write takes. groupcommit.Committer is one.
type keyedWriter interface {
	Update(ctx context.Context, key int64, fn func(ctx context.Context, tx numeneon.Tx) error) error
}

// storeWriter gives every write a transaction of its own.
type storeWriter struct{ store numeneon.Store }

func (w storeWriter) Update(ctx context.Context, _ int64, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	return w.store.Update(ctx, fn)
}

// Options are a Service's optional parts; the zero value is valid.
type Options struct {
	// GroupCommit, when set, commits concurrent messages together in
	// shared transactions; nil gives every message its own transaction.
	GroupCommit *groupcommit.Committer
}

// NewService returns a Service over store and layer, minting and verifying
// tokens with tokens. A nil logger discards logs.
func NewService(store numeneon.Store, layer numeneon.Layer, tokens *auth.Tokens, logger *slog.Logger, opts Options) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var messages keyedWriter = storeWriter{store}
	if opts.GroupCommit != nil {
		messages = opts.GroupCommit
	}
	return &Service{
		store: store, layer: layer, tokens: tokens, logger: logger,
		messages: messages, users: newUserCache(),
		policy: AccountPolicy{RefreshRotation: RotationReuse, PasswordMinLength: DefaultPasswordMinLength},
	}
}

// actor returns the acting user of ctx, or EUNAUTHORIZED for an anonymous
// context: every rule below starts from who is asking.
func actor(ctx context.Context) (*numeneon.User, error) {
	u := numeneon.UserFromContext(ctx)
	if u == nil {
		return nil, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	return u, nil
}

// newNotification builds a notification of type typ for userID with data
// encoded as JSON; tx.CreateNotification gives it its id.
func newNotification(userID int64, typ string, data any) (*numeneon.Notification, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return &numeneon.Notification{UserID: userID, Type: typ, Data: b}, nil
}

// storeNotification builds and stores one event inside tx.
func storeNotification(ctx context.Context, tx numeneon.Tx, userID int64, typ string, data any) (*numeneon.Notification, error) {
	n, err := newNotification(userID, typ, data)
	if err != nil {
		return nil, err
	}
	if err := tx.CreateNotification(ctx, n); err != nil {
		return nil, fmt.Errorf("store %s event for user %d: %w", typ, userID, err)
	}
	return n, nil
}

// publish hands committed notifications to the layer. It must only be called
// after the transaction that stored them committed. A failure is logged, not
// returned: the change and its event are durable, and the client's resume
// from its last id delivers what the broker did not.
func (s *Service) publish(ctx context.Context, notes ...*numeneon.Notification) {
	if len(notes) == 0 || s.layer == nil {
		return
	}
	envs := make([]numeneon.Envelope, len(notes))
	for i, n := range notes {
		envs[i] = n.Envelope()
	}
	// The request may be cancelled the moment it has its answer; the
	// publish belongs to the committed change, not to the request.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.layer.Publish(ctx, envs...); err != nil {
		s.logger.Warn("publish events after commit", "events", len(envs), "user_id", envs[0].UserID, "err", err)
	}
	if s.push != nil {
		// Never blocks: the push goes out from the sender's workers.
		s.push.enqueue(notes)
	}
}
