package main

import (
	"fmt"
	"io"

	"github.com/autosync-dev/autosync/tray/autostart"
)

// cmdAutostart handles `autosync autostart enable|disable|status`: the same
// implementation as the tray's "Start at login" checkbox.
func cmdAutostart(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("autostart", "autosync autostart enable [--config FILE | FOLDER] | disable | status: start autosync when you log in to your desktop", stderr)
	cfg := flags.String("config", "", "configuration file the started autosync uses (default: its usual search)")
	pos, code, ok := parseFlags(flags, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		flags.Usage()
		return exitUsage
	}
	where, _ := autostart.Location()
	switch pos[0] {
	case "enable":
		var extra []string
		switch {
		case *cfg != "" && len(pos) == 1:
			extra = []string{"--config", absPath(*cfg)}
		case *cfg == "" && len(pos) == 2:
			extra = []string{absPath(pos[1])}
		case len(pos) > 1:
			fmt.Fprintln(stderr, "autosync autostart enable: give --config FILE or FOLDER, not both")
			return exitUsage
		}
		// What starts at login must work: check it now, not at the next
		// login where nobody sees the error.
		var cfgArg, folderArg string
		if *cfg != "" {
			cfgArg = *cfg
		} else if len(pos) == 2 {
			folderArg = pos[1]
		}
		if _, err := loadConfig(cfgArg, folderArg); err != nil {
			fmt.Fprintln(stderr, "autosync autostart enable:", err)
			return exitUsage
		}
		if err := autostart.EnableArgs(extra...); err != nil {
			fmt.Fprintln(stderr, "autosync: autostart:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "autosync will start when you log in (%s)\n", where)
	case "disable":
		if err := autostart.Disable(); err != nil {
			fmt.Fprintln(stderr, "autosync: autostart:", err)
			return exitFailure
		}
		fmt.Fprintln(stdout, "autosync will not start when you log in")
	case "status":
		on, err := autostart.Enabled()
		if err != nil {
			fmt.Fprintln(stderr, "autosync: autostart:", err)
			return exitFailure
		}
		if on {
			fmt.Fprintf(stdout, "enabled (%s)\n", where)
		} else {
			fmt.Fprintln(stdout, "disabled")
		}
	default:
		fmt.Fprintf(stderr, "autosync autostart: unknown action %q: use enable, disable or status\n", pos[0])
		return exitUsage
	}
	return exitOK
}
