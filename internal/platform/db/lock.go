package db

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInUse means another process serves the SQLite database.
var ErrInUse = errors.New("db: the database is in use by a running lantoa serve")

// ErrOpenElsewhere means a lantoa process (a seed, an import, a user command…) has the SQLite
// database open.
var ErrOpenElsewhere = errors.New("db: the database is open in another lantoa process (seed, import, user, backup…); stop it first")

// lockInUse takes a shared advisory lock on PATH.inuse for as long as a handle on the database is
// open. Any number of processes share it — a server, a `lantoa user add` beside it, a backup —
// but a restore asks for it exclusively, so it never swaps the file (and deletes its WAL) under a
// seed or an import that is still writing, which the server's own lock alone would not see.
func lockInUse(path string) (release func(), err error) {
	return flockBeside(path, ".inuse", syscall.LOCK_SH|syscall.LOCK_NB, ErrOpenElsewhere)
}

// lockAllUsers takes PATH.inuse exclusively: no handle is open on the database anywhere.
func lockAllUsers(path string) (release func(), err error) {
	return flockBeside(path, ".inuse", syscall.LOCK_EX|syscall.LOCK_NB, ErrOpenElsewhere)
}

func flockBeside(path, suffix string, how int, busy error) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("db: create folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path+suffix, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("db: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, busy
		}
		return nil, fmt.Errorf("db: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// LockServing takes an exclusive advisory lock beside a SQLite database (PATH.lock) for as long as
// a server runs on it. A second server, and a restore over a live database, are refused instead of
// corrupting it. The operating system drops the lock when the process dies, even by SIGKILL.
func LockServing(path string) (release func(), err error) {
	return flockBeside(path, ".lock", syscall.LOCK_EX|syscall.LOCK_NB, ErrInUse)
}

// IntegrityCheck runs SQLite's integrity check on the database file at path and returns its
// verdict ("ok" when sound).
func IntegrityCheck(path string) (string, error) {
	d, err := openCheckConn(path)
	if err != nil {
		return "", err
	}
	defer d.Close()
	var verdict string
	if err := d.QueryRow("PRAGMA integrity_check").Scan(&verdict); err != nil {
		return "", err
	}
	return verdict, nil
}
