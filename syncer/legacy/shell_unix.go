//go:build !windows

package legacy

// shellArgv runs script with sh -c, as Python's shell=True did.
func shellArgv(script string) []string { return []string{"/bin/sh", "-c", script} }
