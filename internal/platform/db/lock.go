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

// LockServing takes an exclusive advisory lock beside a SQLite database (PATH.lock) for as long as
// a server runs on it. A second server, and a restore over a live database, are refused instead of
// corrupting it. The operating system drops the lock when the process dies, even by SIGKILL.
func LockServing(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("db: create folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("db: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("db: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
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
