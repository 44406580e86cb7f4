package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// maxReportReasonLen bounds a report's reason: enough to explain, not a
// place to store documents.
const maxReportReasonLen = 1000

// NewReport is a user's report: of a user (UserID), or of a message
// (MessageID, which names its sender; UserID may be given too and must then
// be that sender).
type NewReport struct {
	UserID    int64
	MessageID int64
	Reason    string
}

// Report stores the caller's report for the operator (numeneon user
// reports) and returns it. The reason is required (at most 1000
// characters); a message may be reported only by its receiver (anyone else
// gets ENOTFOUND, as for a message they cannot see); reporting oneself is
// EINVALID, an unknown user ENOTFOUND.
func (s *Service) Report(ctx context.Context, in NewReport) (*numeneon.Report, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	switch {
	case strings.ContainsRune(in.Reason, 0):
		fe.add("reason", "Null characters are not allowed.")
	case !utf8.ValidString(in.Reason):
		fe.add("reason", "Not valid UTF-8.")
	case strings.TrimSpace(in.Reason) == "":
		fe.add("reason", "This field may not be blank.")
	case tooLong(in.Reason, maxReportReasonLen):
		fe.add("reason", fmt.Sprintf("Ensure this field has no more than %d characters.", maxReportReasonLen))
	}
	if in.UserID < 0 {
		fe.add("user_id", "A valid integer is required.")
	}
	if in.MessageID < 0 {
		fe.add("message_id", "A valid integer is required.")
	}
	if in.UserID == 0 && in.MessageID == 0 && len(fe) == 0 {
		fe.add("user_id", "Name a user_id or a message_id to report.")
	}
	if err := fe.err(); err != nil {
		return nil, err
	}
	r := &numeneon.Report{ReporterID: me.ID, UserID: in.UserID, Reason: in.Reason}
	if in.MessageID != 0 {
		m, err := s.store.FindMessage(ctx, in.MessageID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND || (err == nil && m.ReceiverID != me.ID && m.SenderID != me.ID) {
			return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Message not found.")
		} else if err != nil {
			return nil, fmt.Errorf("find message %d: %w", in.MessageID, err)
		}
		if m.SenderID == me.ID {
			return nil, numeneon.FieldError("message_id", "You cannot report your own message.")
		}
		if in.UserID != 0 && in.UserID != m.SenderID {
			return nil, numeneon.FieldError("user_id", "Must be the sender of the reported message.")
		}
		r.UserID, r.MessageID = m.SenderID, &m.ID
	}
	if r.UserID == me.ID {
		return nil, numeneon.FieldError("user_id", "You cannot report yourself.")
	}
	if err := s.requireUser(ctx, r.UserID); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateReport(ctx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("report user %d as %d: %w", r.UserID, me.ID, err)
	}
	return r, nil
}
