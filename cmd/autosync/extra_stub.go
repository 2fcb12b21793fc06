package main

import (
	"fmt"
	"io"
)

func cmdAutostart(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "autosync autostart:", errNotImplemented)
	return exitFailure
}
