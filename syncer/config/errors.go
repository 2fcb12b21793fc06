package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong in a config file, at a line, for a key.
type Problem struct {
	// File is the config file ("" when the config did not come from one).
	File string
	// Line is 1-based; 0 when the problem has no single line (a missing
	// section, for example).
	Line int
	// Key names the setting: "folder[1].commit_delay", "xmpp.tls" (TOML;
	// folder indexes start at 0) or "[autosync] path" (legacy INI).
	Key string
	// Message says what is wrong and how to fix it.
	Message string
}

// String formats p the way compilers do, so that editors can jump to it:
// "FILE:LINE: KEY: MESSAGE".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is what Load and LoadLegacy return for a file they could read but
// not accept. It lists every problem found, in file order, one per line.
type Error struct {
	Problems []Problem
}

// Error returns the problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) add(line int, key, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as an *Error, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	// File order reads best; problems without a line (a missing section)
	// come first, since they are usually the cause of the rest.
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return &Error{Problems: ps.list}
}
