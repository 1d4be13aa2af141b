package vulndb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the advisory lock file in the database directory. Update and
// Import hold an exclusive lock on it for their whole run, so two writers
// never interleave (each swap is atomic on its own, but the second writer
// would otherwise build from an index that the first is about to replace and
// silently drop the first's work). Readers (Open, scans) never take it: they
// see either the old or the new index file, never a partial one.
//
// The file is never removed: removing a lock file while another process
// has it open lets two processes each lock a different inode.
const LockName = "update.lock"

// ErrLocked reports that another process is updating the same database.
var ErrLocked = errors.New("database is being updated by another process")

// errWouldBlock is returned by tryLock when the lock is held elsewhere.
var errWouldBlock = errors.New("lock held")

// dirLock is a held lock on a database directory.
type dirLock struct{ f *os.File }

// lockDir takes the database directory's writer lock without waiting. When
// another process holds it, the error wraps ErrLocked and names the lock
// file and the holder's process id.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			holder := ""
			if b, err := os.ReadFile(path); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					holder = fmt.Sprintf(" by process %d", pid)
				}
			}
			return nil, fmt.Errorf("%w: %s is held%s; wait for that update or import to finish and run again (scans are not blocked)", ErrLocked, path, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The process id is informational only (for the message above).
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// unlock releases the lock. Closing the file releases it too, and the
// operating system releases it when the process dies, however it dies.
func (l *dirLock) unlock() {
	l.f.Truncate(0)
	unlockFile(l.f)
	l.f.Close()
}
