//go:build !unix

package control

import "io/fs"

// ownedByUs: on Windows the per-user profile directory already keeps the
// control directory private.
func ownedByUs(fs.FileInfo) bool { return true }
