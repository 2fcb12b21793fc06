package main

import (
	"fmt"
	"io"
	"os"

	"github.com/autosync-dev/autosync/syncer/config"
)

// cmdConfig handles `autosync config convert OLD [NEW]`.
func cmdConfig(args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("config", "autosync config convert OLD [NEW]: write the TOML equivalent of a dvcs-autosync INI file (to NEW, else to standard output)", stderr)
	force := flags.Bool("force", false, "overwrite NEW if it exists")
	pos, code, ok := parseFlags(flags, args)
	if !ok {
		return code
	}
	if len(pos) < 2 || len(pos) > 3 || pos[0] != "convert" {
		flags.Usage()
		return exitUsage
	}
	old := pos[1]
	cfg, err := config.LoadLegacy(old)
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitUsage
	}
	out, err := cfg.MarshalTOML()
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitFailure
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stderr, "autosync: warning:", w)
	}
	if cfg.Legacy != nil && !cfg.Legacy.GitDefaults() {
		fmt.Fprintln(stderr, "autosync: warning: the [dvcs] commands are not git's defaults; the TOML format has no place for them (they are written as comments). Keep using the old file for that folder.")
	}
	if len(pos) == 2 {
		stdout.Write(out)
		return exitOK
	}
	dst := pos[2]
	if _, err := os.Stat(dst); err == nil && !*force {
		fmt.Fprintf(stderr, "autosync: %s exists; use --force to overwrite it\n", dst)
		return exitFailure
	}
	if err := cfg.Save(dst); err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "wrote %s; run `autosync --config %s`\n", dst, dst)
	return exitOK
}
