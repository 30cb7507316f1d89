//go:build linux || darwin || freebsd

package store

import "syscall"

// freeBytes is the space available to an unprivileged writer on the file
// system holding dir.
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	// The conversions are needed: the fields' types differ per platform.
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
