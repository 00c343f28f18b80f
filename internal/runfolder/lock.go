package runfolder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in a run folder that Lock holds; it contains the
// holder's process id.
const LockFile = ".lock"

// ErrLocked is wrapped by Lock's error when another process holds the folder.
var ErrLocked = errors.New("run folder is in use")

// Folder is a run folder held by this process.
type Folder struct {
	Dir  string
	file *os.File
}

// Lock creates dir if needed, takes its exclusive lock without waiting and
// removes stale temporary files. The lock is released by Unlock or when the
// process ends, however it ends.
func Lock(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w by process %s (%s)", ErrLocked, holder(path), path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// The process id is written after the lock is taken, so a reader that sees
	// it knows who holds the lock (or held it last).
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if _, err := RemoveStaleTemps(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("removing stale temporary files in %s: %w", dir, err)
	}
	return &Folder{Dir: dir, file: f}, nil
}

// holder reads the process id written by the lock's holder.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return pid
	}
	return "(unknown pid)"
}

// Unlock releases the folder.
func (f *Folder) Unlock() error {
	if f == nil || f.file == nil {
		return nil
	}
	err := f.file.Close() // closing the descriptor releases the lock
	f.file = nil
	return err
}
