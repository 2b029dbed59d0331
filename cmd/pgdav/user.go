package main

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"text/tabwriter"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav"
)

const userUsage = `user add NAME [--email E] [--display-name D] [--password-stdin] [--no-default-collections]
       pgdav user list
       pgdav user passwd NAME [--password-stdin]
       pgdav user disable NAME | enable NAME
       pgdav user delete NAME --yes`

func userCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usagef("user: want a subcommand: add, list, passwd, disable, enable, delete")
	}
	sub, args := args[0], args[1:]
	var c commonConfig
	fs := newFlagSet(e, "user "+sub, userUsage)
	addCommon(fs, &c, quietLevel)
	switch sub {
	case "add":
		var email, display string
		var stdin, noDefaults bool
		fs.StringVar(&email, "email", "", "e-mail address (calendar-user-address-set mailto:)")
		fs.StringVar(&display, "display-name", "", "full name shown by clients")
		fs.BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
		fs.BoolVar(&noDefaults, "no-default-collections", false, `do not create the "default" calendar and address book`)
		name, err := oneArg(fs, e, args, "user add NAME")
		if err != nil {
			return err
		}
		if err := backend.ValidatePrincipalName(name); err != nil {
			return err
		}
		if email != "" {
			if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
				return fmt.Errorf("--email %q is not a plain e-mail address", email)
			}
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			if _, err := s.GetPrincipal(ctx, name); err == nil {
				return fmt.Errorf("user %q: %w", name, backend.ErrExists)
			}
			password, err := readNewPassword(e, stdin)
			if err != nil {
				return err
			}
			hash, err := backend.HashPassword(password)
			if err != nil {
				return err
			}
			var cols []backend.Collection
			if !noDefaults {
				cols = defaultCollections()
			}
			p, err := s.CreatePrincipal(ctx, backend.Principal{Name: name, Email: email, DisplayName: display}, hash, cols)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created user %s\n", p.Name)
			return nil
		})
	case "list":
		if _, err := noArgs(fs, e, args, "user list"); err != nil {
			return err
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			users, err := s.ListPrincipals(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tEMAIL\tDISPLAY NAME\tSTATUS\tCREATED")
			for _, u := range users {
				status := "enabled"
				if u.Disabled {
					status = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, dash(u.Email), dash(u.DisplayName), status, u.CreatedAt.UTC().Format("2006-01-02"))
			}
			return tw.Flush()
		})
	case "passwd":
		var stdin bool
		fs.BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
		name, err := oneArg(fs, e, args, "user passwd NAME")
		if err != nil {
			return err
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			if _, err := s.GetPrincipal(ctx, name); err != nil {
				return err
			}
			password, err := readNewPassword(e, stdin)
			if err != nil {
				return err
			}
			hash, err := backend.HashPassword(password)
			if err != nil {
				return err
			}
			if err := s.SetPasswordHash(ctx, name, hash); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "password of %s changed\n", name)
			return nil
		})
	case "disable", "enable":
		name, err := oneArg(fs, e, args, "user "+sub+" NAME")
		if err != nil {
			return err
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			if err := s.SetPrincipalDisabled(ctx, name, sub == "disable"); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s %sd\n", name, sub)
			return nil
		})
	case "delete":
		var yes bool
		fs.BoolVar(&yes, "yes", false, "confirm: delete the user with all calendars, address books and their contents")
		name, err := oneArg(fs, e, args, "user delete NAME --yes")
		if err != nil {
			return err
		}
		if !yes {
			return usagef("user delete removes all of %s's data: add --yes to confirm", name)
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			if err := s.DeletePrincipal(ctx, name); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted user %s and all their data\n", name)
			return nil
		})
	default:
		return usagef("user: unknown subcommand %q (want add, list, passwd, disable, enable, delete)", sub)
	}
}

// defaultCollections are made with every new account, so a client finds
// something to sync right away.
func defaultCollections() []backend.Collection {
	return []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "default", DisplayName: "Calendar", Components: caldav.DefaultComponents()},
		{Kind: backend.KindAddressBook, Slug: "default", DisplayName: "Contacts"},
	}
}

func oneArg(fs *flagSet, e env, args []string, synopsis string) (string, error) {
	rest, err := fs.parse(e, args)
	if err != nil {
		return "", err
	}
	if len(rest) != 1 {
		return "", usagef("usage: pgdav %s", synopsis)
	}
	return rest[0], nil
}

func noArgs(fs *flagSet, e env, args []string, synopsis string) ([]string, error) {
	rest, err := fs.parse(e, args)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, usagef("usage: pgdav %s", synopsis)
	}
	return rest, nil
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
