//go:build !unix

package git

import "os/exec"

// prepare leaves the default: git is killed when the context is done.
func prepare(x *exec.Cmd) {}
