package syncer

import (
	"fmt"
	"path"
	"strings"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// maxSubject is the length a commit subject is kept under, so that it reads
// well in `git log --oneline` and in notifications (git's own convention).
const maxSubject = 72

// CommitMessage generates the message for a commit of changes made on device:
// a summary line such as "autosync on laptop: edit notes.md, add 2 files"
// and, in the body, one line per changed path.
func CommitMessage(device string, changes []vcs.Change) string {
	prefix := "autosync on " + device + ": "
	byKind := map[vcs.ChangeKind][]vcs.Change{}
	for _, c := range changes {
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	kinds := []vcs.ChangeKind{vcs.Modified, vcs.Added, vcs.Deleted, vcs.Renamed}
	summarize := func(named bool) string {
		var parts []string
		for _, k := range kinds {
			cs := byKind[k]
			switch {
			case len(cs) == 0:
			case len(cs) == 1 && named:
				parts = append(parts, describe(cs[0], true))
			case len(cs) == 1:
				parts = append(parts, verb(cs[0])+" 1 file")
			default:
				parts = append(parts, fmt.Sprintf("%s %d files", verb(cs[0]), len(cs)))
			}
		}
		return strings.Join(parts, ", ")
	}
	subject := prefix + summarize(true)
	if len(subject) > maxSubject {
		subject = prefix + summarize(false)
	}
	if len(changes) == 0 {
		subject = prefix + "no changes"
	}
	var b strings.Builder
	b.WriteString(subject)
	b.WriteString("\n\n")
	for _, c := range changes {
		b.WriteString(describe(c, false))
		b.WriteByte('\n')
	}
	return b.String()
}

// verb names a change: a rename within one directory is a rename, into
// another directory a move.
func verb(c vcs.Change) string {
	if c.Kind == vcs.Renamed && path.Dir(c.From) != path.Dir(c.Path) {
		return "move"
	}
	return c.Kind.String()
}

// describe is one change in words. The subject uses base names, the body full
// paths.
func describe(c vcs.Change, short bool) string {
	name, from := c.Path, c.From
	if short {
		name, from = path.Base(c.Path), path.Base(c.From)
		if verb(c) == "move" {
			name = c.Path
		}
	}
	if c.Kind == vcs.Renamed {
		return fmt.Sprintf("%s %s to %s", verb(c), from, name)
	}
	return verb(c) + " " + name
}
