//go:build windows

package legacy

// shellArgv runs script with cmd /C, as Python's shell=True did on
// Windows (the old Windows example piped into find).
func shellArgv(script string) []string { return []string{"cmd", "/C", script} }
