package main

import (
	"context"
	"fmt"

	"github.com/pgdav/pgdav/backend"
)

// withStore opens the database for an admin command, brings its schema up
// to date, runs fn and closes everything again.
func withStore(ctx context.Context, e env, c *commonConfig, fn func(*backend.Store) error) error {
	if err := c.validate(); err != nil {
		return err
	}
	logger := c.newLogger(e)
	db, err := openDatabase(ctx, c, logger, false)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	if _, err := db.store.Migrate(ctx); err != nil {
		return err
	}
	return fn(db.store)
}

func migrateCmd(ctx context.Context, e env, args []string) error {
	var c commonConfig
	var status bool
	fs := newFlagSet(e, "migrate", "migrate [--status] [flags]")
	addCommon(fs, &c, "info")
	fs.BoolVar(&status, "status", false, "list the migrations and whether each is applied, without applying any")
	rest, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("migrate: unexpected argument %q", rest[0])
	}
	if err := c.validate(); err != nil {
		return err
	}
	logger := c.newLogger(e)
	db, err := openDatabase(ctx, &c, logger, false)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	if status {
		list, err := db.store.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied " + m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(e.stdout, "%s\t%s\n", m.Name, state)
		}
		return nil
	}
	done, err := db.store.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(e.stdout, "schema is up to date")
	}
	for _, name := range done {
		fmt.Fprintf(e.stdout, "applied %s\n", name)
	}
	return nil
}

// quietLevel is the default log level of admin commands: their output is
// the answer, not the log.
const quietLevel = "warn"
