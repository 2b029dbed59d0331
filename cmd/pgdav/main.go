// Command pgdav is a CalDAV/CardDAV server backed by PostgreSQL, and its
// admin tool. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `pgdav — CalDAV/CardDAV server backed by PostgreSQL

Usage:
  pgdav serve [flags]                      run the server
  pgdav migrate [--status]                 apply pending schema migrations, or list them
  pgdav user add NAME [--email E] [--display-name D] [--password-stdin] [--no-default-collections]
  pgdav user list
  pgdav user passwd NAME [--password-stdin]
  pgdav user disable NAME | enable NAME
  pgdav user delete NAME --yes             delete the user and all their data
  pgdav calendar add USER SLUG [--name N] [--color #RRGGBB] [--components VEVENT,VTODO]
  pgdav calendar list USER
  pgdav calendar delete USER SLUG --yes
  pgdav addressbook add USER SLUG [--name N]
  pgdav addressbook list USER
  pgdav addressbook delete USER SLUG --yes

Every command takes the database flags (--data, --database, ...); run
"pgdav COMMAND -h" for its flags. Exit status: 0 success, 1 failure,
2 bad usage or configuration.
`

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is the process environment, as the commands see it.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := run(ctx, e, stop)
	stop()
	os.Exit(exitCode(e, err))
}

func exitCode(e env, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(e.stderr, "pgdav: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run dispatches to a command. stopSignals restores default signal handling
// once a command has begun shutting down, so a second Ctrl-C kills at once.
func run(ctx context.Context, e env, stopSignals func()) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := e.args[0], e.args[1:]
	switch cmd {
	case "serve":
		return serveCmd(ctx, e, rest, stopSignals)
	case "migrate":
		return migrateCmd(ctx, e, rest)
	case "user":
		return userCmd(ctx, e, rest)
	case "calendar":
		return collectionCmd(ctx, e, rest, calendarKind)
	case "addressbook":
		return collectionCmd(ctx, e, rest, addressBookKind)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	default:
		fmt.Fprint(e.stderr, usage)
		return usagef("unknown command %q", cmd)
	}
}
