package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// systemUser is the account initdb and postgres run as when pgdav runs as
// root, because both refuse to run as root. A variable so tests can name a
// user that does not exist.
var systemUser = "postgres"

// identity is who initdb and postgres run as.
type identity struct {
	cred *syscall.Credential // nil: run as the current user
	name string              // set when cred is
	home string              // set when cred is
	uid  uint32
	gid  uint32
	gids []uint32 // primary and supplementary groups, for permission checks
}

// resolveIdentity picks the current user, or the postgres system user when
// running as root.
func resolveIdentity() (identity, error) {
	if os.Geteuid() != 0 {
		return identity{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup(systemUser)
	if err != nil {
		if errors.As(err, new(user.UnknownUserError)) {
			return identity{}, fmt.Errorf("running as root, so PostgreSQL must run as the %q system user, which does not exist: create it (e.g. \"useradd --system --home-dir /var/lib/postgresql %s\", which installing the postgresql package does) or run pgdav as a normal user",
				systemUser, systemUser)
		}
		return identity{}, fmt.Errorf("look up system user %q: %w", systemUser, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return identity{}, fmt.Errorf("system user %q: %w", systemUser, err)
	}
	id := identity{
		name: u.Username,
		home: u.HomeDir,
		uid:  uint32(uid),
		gid:  uint32(gid),
		gids: []uint32{uint32(gid)},
	}
	// Supplementary groups are set on the child too (an empty list would
	// drop root's groups, which is also what we want); a lookup failure just
	// leaves the primary group.
	groups, _ := u.GroupIds()
	for _, g := range groups {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil && !slices.Contains(id.gids, uint32(n)) {
			id.gids = append(id.gids, uint32(n))
		}
	}
	id.cred = &syscall.Credential{Uid: id.uid, Gid: id.gid, Groups: id.gids[1:]}
	return id, nil
}

// sysProcAttr puts the child in its own process group, so a Ctrl-C in the
// terminal reaches only pgdav, which then stops postgres itself, in order;
// and switches to the identity's user if needed.
func (id identity) sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: id.cred}
}

// env is the child's environment: ours without PG* variables, so that a
// developer's PGDATA, PGPORT or PGOPTIONS cannot redirect or alter the
// private cluster; with HOME, USER and LOGNAME of the user it runs as.
func (id identity) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		if id.cred != nil && hasAnyPrefix(kv, "HOME=", "USER=", "LOGNAME=") {
			continue
		}
		env = append(env, kv)
	}
	if id.cred != nil {
		home := id.home
		if home == "" {
			home = "/"
		}
		env = append(env, "HOME="+home, "USER="+id.name, "LOGNAME="+id.name)
	}
	return env
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// canSearch reports whether the identity may traverse the directory fi
// describes, judged by its mode bits and ownership the way the kernel does
// (ACLs are not consulted).
func (id identity) canSearch(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let the real access decide
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == id.uid:
		return perm&0o100 != 0
	case slices.Contains(id.gids, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
