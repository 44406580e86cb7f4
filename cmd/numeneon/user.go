package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/pglayer"
)

const userUsage = `Usage: numeneon user [config flags] <action> [args]

Actions, on the database DATABASE_URL names (the one serve uses):
  list [-limit N] [-before ID]   users, newest first, inactive ones included
  show <id|username>             one user
  deactivate <id|username>       refuse the user's tokens and close their sockets (4003), everywhere
  activate <id|username>         let the user sign in again (old tokens stay refused)
  set-password <id|username>     read a new password from the first line of stdin; every token of the user is refused
  reports [-limit N] [-before ID]  reports of users and messages, newest first
`

// runUser runs numeneon user: the operator's hand on accounts. Serving
// processes notice its changes within a second (app.UserWatch); with a
// shared layer (PostgreSQL or Redis) it also closes the user's sockets on
// every process itself, in order with their events.
func runUser(ctx context.Context, cfg *Config, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: missing action")
	}
	action, args := args[0], args[1:]
	store, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	var layer numeneon.Layer
	if cfg.SharedLayer() {
		events, _ := store.(pglayer.Events)
		l, presence, err := openLayer(ctx, cfg, events, logger)
		if err != nil {
			return err
		}
		_ = presence.Close()
		defer l.Close()
		layer = l
	}
	svc := app.NewService(store, layer, auth.NewTokens([]byte(cfg.SecretKey)), logger, app.Options{})
	if err := svc.SetAccountPolicy(cfg.AccountPolicy()); err != nil {
		return err
	}

	switch action {
	case "list", "reports":
		fs := flag.NewFlagSet("user "+action, flag.ContinueOnError)
		fs.SetOutput(stderr)
		limit := fs.Int("limit", 50, "how many")
		before := fs.Int64("before", 0, "only ids below this one (the next page)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		page := numeneon.Page{Limit: *limit, Before: *before}
		if action == "list" {
			users, err := store.ListUsers(ctx, page)
			if err != nil {
				return err
			}
			return printUsers(stdout, users)
		}
		reports, err := store.ListReports(ctx, page)
		if err != nil {
			return err
		}
		return printReports(stdout, reports)
	case "show", "deactivate", "activate", "set-password":
		if len(args) != 1 {
			return fmt.Errorf("user %s: want one id or username", action)
		}
		u, err := findUserArg(ctx, store, args[0])
		if err != nil {
			return err
		}
		switch action {
		case "show":
			return printUsers(stdout, []*numeneon.User{u})
		case "deactivate", "activate":
			if err := svc.SetUserActive(ctx, u.ID, action == "activate"); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s (%d) %sd\n", u.Username, u.ID, action)
			return nil
		default:
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read the new password from stdin: %w", err)
			}
			password := strings.TrimRight(line, "\r\n")
			if password == "" {
				return errors.New("set-password: no password on stdin")
			}
			if err := svc.SetPassword(ctx, u.ID, password); err != nil {
				return fmt.Errorf("set-password: %s", numeneon.ErrorMessage(err))
			}
			fmt.Fprintf(stdout, "%s (%d): password set; every earlier token is refused\n", u.Username, u.ID)
			return nil
		}
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown action %q", action)
	}
}

// findUserArg finds a user by id (all digits) or username.
func findUserArg(ctx context.Context, store numeneon.Store, arg string) (*numeneon.User, error) {
	var u *numeneon.User
	var err error
	if id, perr := strconv.ParseInt(arg, 10, 64); perr == nil {
		u, err = store.FindUserByID(ctx, id)
	} else {
		u, err = store.FindUserByUsername(ctx, arg)
	}
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return nil, fmt.Errorf("no user %q", arg)
	}
	return u, err
}

func printUsers(w io.Writer, users []*numeneon.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tNAME\tACTIVE\tJOINED")
	for _, u := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\n", u.ID, u.Username, u.Email,
			strings.TrimSpace(u.FirstName+" "+u.LastName), u.IsActive, app.FormatTime(u.DateJoined))
	}
	return tw.Flush()
}

func printReports(w io.Writer, reports []*numeneon.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tBY\tREPORTED\tMESSAGE\tREASON")
	for _, r := range reports {
		msg := "-"
		if r.MessageID != nil {
			msg = fmt.Sprintf("#%d", *r.MessageID)
			if r.MessageContent != nil {
				msg += " " + strconv.Quote(clip(*r.MessageContent, 80))
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, app.FormatTime(r.CreatedAt), r.ReporterUsername, r.Username,
			msg, strconv.Quote(clip(r.Reason, 200)))
	}
	return tw.Flush()
}

// clip shortens s to at most n runes for a table cell.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
