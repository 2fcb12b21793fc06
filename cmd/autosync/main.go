// Command autosync keeps folders that are git working copies in sync across
// machines: it commits changes after a quiet period, pushes them, and pulls
// what the other machines pushed.
//
//	autosync [flags] [FOLDER | CONFIG]    run (in the foreground)
//	autosync status [--json]              show what running instances do
//	autosync sync|pause|resume [FOLDER]   ask running instances to act
//	autosync autostart enable|disable|status
//	autosync config convert OLD [NEW]     dvcs-autosync INI -> TOML
//	autosync version
//
// This package only parses the command line, loads the configuration, sets
// up logging and wires the parts together; the work is done in syncer/...,
// tray and dialogs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// Exit codes.
const (
	exitOK         = 0
	exitFailure    = 1 // something went wrong (the message says what)
	exitUsage      = 2 // bad command line or configuration
	exitNotRunning = 3 // status/sync/pause/resume: no instance is running
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "status":
			return cmdStatus(args[1:], stdout, stderr)
		case "sync", "pause", "resume":
			return cmdControl(args[0], args[1:], stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, "autosync", versionString())
			return exitOK
		case "autostart":
			return cmdAutostart(args[1:], stdout, stderr)
		case "config":
			return cmdConfig(args[1:], stdout, stderr)
		case "help":
			usage(stdout)
			return exitOK
		}
	}
	return cmdRun(args, stdout, stderr)
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func usage(w io.Writer) {
	fmt.Fprint(w, `autosync keeps a folder that is a git working copy in sync across your machines:
it commits your changes after a quiet period, pushes them, and pulls what your
other machines pushed.

Usage:
  autosync [flags] [FOLDER | CONFIG]      run in the foreground
  autosync status [--json] [FOLDER]       show what running instances are doing
  autosync sync [FOLDER]                  commit, pull and push now
  autosync pause [FOLDER]                 stop syncing until resumed
  autosync resume [FOLDER]                sync again
  autosync autostart enable|disable|status  start at desktop login
  autosync config convert OLD [NEW]       turn a dvcs-autosync ~/.autosync into TOML
  autosync version

With no FOLDER or CONFIG, autosync reads its configuration file (see --config),
or dvcs-autosync's ~/.autosync when there is none. FOLDER alone needs no
configuration at all: any git clone whose branch has an upstream works.
Without FOLDER, sync/pause/resume act on every folder.

Run "autosync COMMAND --help" for a command's flags, "autosync --help" for these:
`)
}

// usageErr is an error that is the user's to fix on the command line or in
// the configuration (exit code 2).
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// usageError formats a usage error.
func usageError(format string, args ...any) error {
	return &usageErr{fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is a usage error.
func isUsage(err error) bool {
	var u *usageErr
	return errors.As(err, &u)
}

// newFlagSet returns a FlagSet that prints its usage with a header and does
// not exit.
func newFlagSet(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s\n", synopsis)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(out, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args with fs; flags may also follow positional
// arguments ("autosync status --json"). It returns the positional
// arguments, or an exit code when parsing ended the command (help, or an
// error, which fs has already printed).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
