package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	// socketName is the socket for port 5432. With no TCP listener the
	// port number only names the socket file, so it can never conflict
	// with another server.
	socketName = ".s.PGSQL.5432"
	socketPort = "5432"

	// maxSocketPath is the longest Unix socket path Linux accepts:
	// sizeof(sockaddr_un.sun_path) is 108 bytes including the final NUL.
	maxSocketPath = 107
)

// checkDirPath rejects data directory paths that postgres could not use,
// before anything is created.
func checkDirPath(dir string) error {
	if strings.ContainsAny(dir, "\n\r") {
		return fmt.Errorf("%q contains a line break, which postmaster.pid cannot record", dir)
	}
	if n := len(dir) + len("/"+socketName); n > maxSocketPath {
		return fmt.Errorf("socket path %s would be %d bytes, over the %d-byte limit of Unix socket paths: choose a shorter data directory",
			filepath.Join(dir, socketName), n, maxSocketPath)
	}
	return nil
}

// prepareDir makes sure dir exists, belongs to the identity with mode 0700,
// and is reachable by it. created reports whether prepareDir made dir, so a
// failed initdb may remove it again.
func prepareDir(dir string, id identity) (created bool, err error) {
	// Check before creating anything, so a refusal leaves no trace.
	if err := checkAncestors(dir, id); err != nil {
		return false, err
	}
	// Ancestors we create get 0755: postgres, possibly another user than
	// us, must traverse them. Existing ones are never changed.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return false, err
	}
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil:
		created = true
	case errors.Is(err, fs.ErrExist):
		fi, err := os.Stat(dir)
		if err != nil {
			return false, err
		}
		if !fi.IsDir() {
			return false, fmt.Errorf("%s exists and is not a directory", dir)
		}
	default:
		return false, err
	}
	defer func() {
		if err != nil && created {
			os.Remove(dir)
		}
	}()
	if err := ensureOwner(dir, id); err != nil {
		return created, err
	}
	// A umask may have made new ancestors too strict, and dir may sit behind
	// a symlink whose target's ancestors differ; check what is really there.
	if err := checkAncestors(dir, id); err != nil {
		return created, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		if err := checkAncestors(real, id); err != nil {
			return created, err
		}
	}
	return created, nil
}

// checkAncestors verifies that the identity can traverse every existing
// ancestor of dir. It matters only when postgres runs as another user than
// us: without search permission on an ancestor, postgres fails later with a
// far less helpful message. Permissions are only inspected, never changed.
func checkAncestors(dir string, id identity) error {
	if id.cred == nil {
		return nil // our own user: creating and opening dir will tell
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Will be created with mode 0755.
		case err != nil:
			return err
		case !fi.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		case !id.canSearch(fi):
			return fmt.Errorf("directory %s (mode %04o) is not traversable by the %q user that PostgreSQL runs as, so it cannot reach %s: use a data directory under a path that user can reach, or grant it search permission on %s",
				p, uint32(fi.Mode().Perm()), id.name, dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// ensureOwner gives dir to the identity (when postgres runs as another user)
// and sets mode 0700, which postgres requires of its data directory. A tree
// owned by someone else, such as a data directory copied by root, is handed
// over entirely; one already owned is left alone.
func ensureOwner(dir string, id identity) error {
	if id.cred != nil {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != id.uid {
			err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				return os.Lchown(path, int(id.uid), int(id.gid))
			})
			if err != nil {
				return fmt.Errorf("give %s to user %q: %w", dir, id.name, err)
			}
		}
	}
	return os.Chmod(dir, 0o700)
}

// lockDir takes an exclusive flock on dir itself, so no file is added to
// PGDATA. The lock lives as long as the returned file stays open; the kernel
// releases it when the process dies in any way.
func lockDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another running cluster (another pgdav, or a test in this process)", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}
