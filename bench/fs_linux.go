package main

import (
	"fmt"
	"syscall"
)

// fsType names the file system dir is on (the numbers are the kernel's
// magic numbers, see statfs(2)).
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown file system"
	}
	switch uint32(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x01021994:
		return "tmpfs"
	case 0x794c7630:
		return "overlayfs"
	case 0x9123683E:
		return "btrfs"
	case 0x58465342:
		return "xfs"
	default:
		return fmt.Sprintf("file system 0x%x", uint32(st.Type))
	}
}
