package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav"
)

// collectionKind describes one of the two collection commands.
type collectionKind struct {
	cmd   string // "calendar" or "addressbook"
	kind  backend.CollectionKind
	label string
}

var (
	calendarKind    = collectionKind{"calendar", backend.KindCalendar, "calendar"}
	addressBookKind = collectionKind{"addressbook", backend.KindAddressBook, "address book"}
)

// cliSlug is stricter than what clients may create: a slug typed at a
// shell becomes part of URLs people type into account dialogs.
var cliSlug = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

var colorPattern = regexp.MustCompile(`^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$`)

func collectionCmd(ctx context.Context, e env, args []string, k collectionKind) error {
	if len(args) == 0 {
		return usagef("%s: want a subcommand: add, list, delete", k.cmd)
	}
	sub, args := args[0], args[1:]
	var c commonConfig
	synopsis := fmt.Sprintf("%[1]s add USER SLUG [--name N]%[2]s\n       pgdav %[1]s list USER\n       pgdav %[1]s delete USER SLUG --yes",
		k.cmd, map[bool]string{true: " [--color #RRGGBB] [--components VEVENT,VTODO]"}[k.kind == backend.KindCalendar])
	fs := newFlagSet(e, k.cmd+" "+sub, synopsis)
	addCommon(fs, &c, quietLevel)
	switch sub {
	case "add":
		var name, color, components, description string
		fs.StringVar(&name, "name", "", "display name (default: the slug)")
		fs.StringVar(&description, "description", "", "description")
		if k.kind == backend.KindCalendar {
			fs.StringVar(&color, "color", "", "colour as #RRGGBB or #RRGGBBAA")
			fs.StringVar(&components, "components", strings.Join(caldav.DefaultComponents(), ","),
				"component types the calendar accepts: "+strings.Join(caldav.Components(), ", "))
		}
		rest, err := fs.parse(e, args)
		if err != nil {
			return err
		}
		if len(rest) != 2 {
			return usagef("usage: pgdav %s add USER SLUG", k.cmd)
		}
		user, slug := rest[0], rest[1]
		if !cliSlug.MatchString(slug) {
			return usagef("%s name %q: use 1-64 letters, digits and . _ - (starting with a letter or digit)", k.label, slug)
		}
		if color != "" && !colorPattern.MatchString(color) {
			return usagef("--color %q: want #RRGGBB or #RRGGBBAA", color)
		}
		col := backend.Collection{Kind: k.kind, Slug: slug, DisplayName: name, Description: description, Color: strings.ToUpper(color)}
		if col.DisplayName == "" {
			col.DisplayName = slug
		}
		if k.kind == backend.KindCalendar {
			if col.Components, err = caldav.ParseComponents(components); err != nil {
				return usagef("--components: %v", err)
			}
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			p, err := s.GetPrincipal(ctx, user)
			if err != nil {
				return err
			}
			created, err := s.CreateCollection(ctx, p.ID, col, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created %s %s/%s\n", k.label, p.Name, created.Slug)
			return nil
		})
	case "list":
		rest, err := fs.parse(e, args)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return usagef("usage: pgdav %s list USER", k.cmd)
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			p, err := s.GetPrincipal(ctx, rest[0])
			if err != nil {
				return err
			}
			cols, err := s.ListCollections(ctx, p.ID, k.kind)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			if k.kind == backend.KindCalendar {
				fmt.Fprintln(tw, "SLUG\tNAME\tCOLOR\tCOMPONENTS")
			} else {
				fmt.Fprintln(tw, "SLUG\tNAME")
			}
			for _, col := range cols {
				if k.kind == backend.KindCalendar {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", col.Slug, dash(col.DisplayName), dash(col.Color), strings.Join(col.Components, ","))
				} else {
					fmt.Fprintf(tw, "%s\t%s\n", col.Slug, dash(col.DisplayName))
				}
			}
			return tw.Flush()
		})
	case "delete":
		var yes bool
		fs.BoolVar(&yes, "yes", false, "confirm: delete the "+k.label+" with everything in it")
		rest, err := fs.parse(e, args)
		if err != nil {
			return err
		}
		if len(rest) != 2 {
			return usagef("usage: pgdav %s delete USER SLUG --yes", k.cmd)
		}
		if !yes {
			return usagef("%s delete removes %s/%s with everything in it: add --yes to confirm", k.cmd, rest[0], rest[1])
		}
		return withStore(ctx, e, &c, func(s *backend.Store) error {
			p, err := s.GetPrincipal(ctx, rest[0])
			if err != nil {
				return err
			}
			if err := s.DeleteCollection(ctx, p.ID, k.kind, rest[1]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted %s %s/%s\n", k.label, p.Name, rest[1])
			return nil
		})
	default:
		return usagef("%s: unknown subcommand %q (want add, list, delete)", k.cmd, sub)
	}
}
