package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/control"
)

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", "autosync status [--json] [FOLDER]", stderr)
	asJSON := fs.Bool("json", false, "print the full state as JSON")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	insts, err := control.Send(context.Background(), control.DefaultDir(), control.Request{Cmd: control.CmdStatus})
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitNotRunning
	}
	var all []control.Status
	for _, in := range insts {
		if in.Response.Status != nil {
			all = append(all, *in.Response.Status)
		}
	}
	if len(pos) == 1 {
		all = filterStatus(all, pos[0])
		if len(all) == 0 {
			fmt.Fprintf(stderr, "autosync: no running instance syncs %s\n", pos[0])
			return exitFailure
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(all); err != nil {
			fmt.Fprintln(stderr, "autosync:", err)
			return exitFailure
		}
		return exitOK
	}
	printStatus(stdout, all, time.Now())
	return exitOK
}

// filterStatus keeps the folders matching name (a path, a path inside a
// folder, or a base name).
func filterStatus(all []control.Status, name string) []control.Status {
	abs, _ := filepath.Abs(name)
	var out []control.Status
	for _, st := range all {
		var keep []syncer.Snapshot
		for _, f := range st.Folders {
			if f.Path == abs || strings.HasPrefix(abs, f.Path+string(filepath.Separator)) || f.Name == name {
				keep = append(keep, f)
			}
		}
		if len(keep) > 0 {
			st.Folders = keep
			out = append(out, st)
		}
	}
	return out
}

// printStatus writes the human-readable status: one block per folder.
func printStatus(w io.Writer, all []control.Status, now time.Time) {
	for i, st := range all {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "autosync %s, PID %d, running for %s", st.Version, st.PID, ago(st.Started, now, false))
		if st.Config != "" {
			fmt.Fprintf(w, ", config %s", st.Config)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range st.Folders {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Path, f.State, folderLine(f, now))
			if f.LastError != "" {
				fmt.Fprintf(tw, "  \t\tproblem: %s\n", f.LastError)
			}
			for _, c := range f.Conflicts {
				fmt.Fprintf(tw, "  \t\tconflict: %s is another version of %s (compare them, then delete the copy)\n", c.Copy, c.Path)
			}
			for _, s := range f.Skipped {
				fmt.Fprintf(tw, "  \t\tnot committed: %s (%s)\n", s.Path, s.Reason)
			}
		}
		tw.Flush()
		for _, p := range st.Peers {
			line := fmt.Sprintf("  %s: %s", p.Name, p.State)
			if p.Detail != "" {
				line += " (" + p.Detail + ")"
			}
			if p.LastSent != nil {
				line += fmt.Sprintf("; last sent %s", ago(p.LastSent.Time, now, true))
			}
			if p.LastReceived != nil {
				line += fmt.Sprintf("; last received %s from %s", ago(p.LastReceived.Time, now, true), p.LastReceived.From)
			}
			fmt.Fprintln(w, line)
		}
	}
}

// folderLine says in words how a folder is doing.
func folderLine(f syncer.Snapshot, now time.Time) string {
	var parts []string
	if f.Detail != "" && f.State != syncer.Idle && f.Detail != f.State.String() {
		parts = append(parts, f.Detail)
	}
	if d := f.NextRetry.Sub(now); !f.NextRetry.IsZero() && d > 0 {
		parts = append(parts, "retrying in "+d.Round(time.Second).String())
	}
	switch {
	case f.LastSync.IsZero():
		parts = append(parts, "not synced yet")
	case f.LocalOnly:
		parts = append(parts, "local only, committed "+ago(f.LastSync, now, true))
	default:
		parts = append(parts, "synced "+ago(f.LastSync, now, true))
	}
	if f.Ahead > 0 && !f.LocalOnly {
		parts = append(parts, fmt.Sprintf("%d commit%s to push", f.Ahead, plural(f.Ahead)))
	}
	if len(f.Pending) > 0 && f.State != syncer.Pending {
		parts = append(parts, fmt.Sprintf("%d changed file%s waiting", len(f.Pending), plural(len(f.Pending))))
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ago formats the time since t: "just now", "2 min ago", "3 h ago".
func ago(t, now time.Time, suffix bool) string {
	d := now.Sub(t)
	var s string
	switch {
	case d < 10*time.Second && suffix:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d.Hours()))
	default:
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if suffix {
		s += " ago"
	}
	return s
}

// cmdControl sends sync, pause or resume to the running instances.
func cmdControl(cmd string, args []string, stdout, stderr io.Writer) int {
	synopsis := map[string]string{
		"sync":   "autosync sync [FOLDER]: commit, pull and push now (all folders without FOLDER)",
		"pause":  "autosync pause [FOLDER]: stop committing, pulling and pushing until resumed",
		"resume": "autosync resume [FOLDER]: sync again; changes made while paused are committed",
	}[cmd]
	fs := newFlagSet(cmd, synopsis, stderr)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	folder := ""
	if len(pos) == 1 {
		folder = pos[0]
		if abs, err := filepath.Abs(folder); err == nil && strings.ContainsAny(folder, `/\.`) {
			folder = abs
		}
	}
	insts, err := control.Send(context.Background(), control.DefaultDir(), control.Request{Cmd: cmd, Folder: folder})
	if err != nil {
		fmt.Fprintln(stderr, "autosync:", err)
		return exitNotRunning
	}
	done, failed := 0, 0
	for _, in := range insts {
		switch {
		case in.Response.OK:
			done++
		case in.Response.NoSuch:
		default:
			failed++
			fmt.Fprintln(stderr, "autosync:", in.Response.Error)
		}
	}
	if done == 0 {
		if failed == 0 {
			fmt.Fprintf(stderr, "autosync: no running instance syncs %s\n", folder)
		}
		return exitFailure
	}
	what := "all folders"
	if folder != "" {
		what = folder
	}
	fmt.Fprintf(stdout, "%s: %s\n", map[string]string{"sync": "syncing", "pause": "paused", "resume": "resumed"}[cmd], what)
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}
