//go:build windows

package legacy

import "syscall"

// processQueryLimitedInformation is PROCESS_QUERY_LIMITED_INFORMATION,
// which the syscall package does not name.
const processQueryLimitedInformation = 0x1000

// stillActive is STILL_ACTIVE, the exit code of a process that runs.
const stillActive = 259

// alive reports whether a process with this PID runs. Access denied means
// it exists (another user's).
func alive(pid int) bool {
	h, err := syscall.OpenProcess(processQueryLimitedInformation, false, uint32(pid))
	if err != nil {
		return err == syscall.ERROR_ACCESS_DENIED
	}
	defer syscall.CloseHandle(h)
	var code uint32
	if err := syscall.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == stillActive
}
