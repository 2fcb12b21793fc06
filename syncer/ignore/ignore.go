package ignore

import (
	"fmt"
	"strings"
)

// Defaults are the editor and OS temp files autosync never commits. A file
// in this list is either rewritten within seconds (swap and lock files,
// downloads in progress) or machine-local metadata; committing it would
// spread noise, and sometimes a stale lock, to every machine.
var Defaults = []string{
	// vim: swap files of hidden and plain files, and the probe file vim
	// creates to test whether a directory is writable.
	".*.swp", ".*.swo", ".*.sw[a-p]", "*.swp", "*.swo", "*.swx", "4913",
	// emacs, vim and many others: backup files.
	"*~",
	// emacs: auto-save files (the "#" must be escaped, else it is a
	// comment) and lock symlinks.
	`\#*#`, ".#*",
	// LibreOffice lock files, MS Office owner files.
	".~lock.*#", "~$*",
	// kate swap files, GIO's atomic-save temp files.
	"*.kate-swp", ".goutputstream-*",
	// Generic temp files and downloads in progress (Firefox, Chrome).
	"*.tmp", "*.part", "*.crdownload",
	// macOS Finder metadata and AppleDouble files, Windows Explorer files.
	".DS_Store", "._*", "Thumbs.db", "desktop.ini",
}

// Matcher decides whether a path is ignored by a list of patterns. It is
// immutable after New and safe for concurrent use. A nil *Matcher ignores
// nothing.
type Matcher struct {
	rules []rule
}

// rule is one compiled pattern line.
type rule struct {
	source   string  // the line as given, for debugging
	tokens   []token // the glob, after the anchoring slash and trailing slash are removed
	negate   bool    // "!" prefix: a match means "not ignored"
	dirOnly  bool    // trailing "/": matches directories only
	anchored bool    // a "/" at the start or in the middle: match the whole path, else the base name
}

// New compiles patterns, one gitignore line each. Blank lines and comments
// are skipped. A pattern git would never match (an unterminated "[", a
// trailing "\", an unknown "[:class:]") is an error naming the pattern, so
// that a typo in the configuration is reported instead of silently
// ignoring nothing.
func New(patterns []string) (*Matcher, error) {
	m := &Matcher{}
	for _, p := range patterns {
		r, ok, err := compile(p)
		if err != nil {
			return nil, fmt.Errorf("ignore pattern %q: %w (fix or remove it; patterns follow gitignore syntax)", p, err)
		}
		if ok {
			m.rules = append(m.rules, r)
		}
	}
	return m, nil
}

// Match reports whether the path rel is ignored. rel is slash-separated and
// relative to the top of the working copy ("docs/a.md", no leading "./" or
// "/"); isDir tells whether it names a directory. A path whose parent
// directory is ignored is ignored too.
func (m *Matcher) Match(rel string, isDir bool) bool {
	if m == nil || len(m.rules) == 0 {
		return false
	}
	rel = strings.Trim(rel, "/")
	if rel == "" {
		return false
	}
	// Every ancestor directory first: once one is ignored, nothing below
	// it can be re-included.
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && m.decide(rel[:i], true) {
			return true
		}
	}
	return m.decide(rel, isDir)
}

// decide applies the rules to one path, its ancestors aside: the last rule
// that matches wins.
func (m *Matcher) decide(rel string, isDir bool) bool {
	base := rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		base = rel[i+1:]
	}
	for i := len(m.rules) - 1; i >= 0; i-- {
		r := &m.rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		subject := base
		if r.anchored {
			subject = rel
		}
		if match(r.tokens, subject) {
			return !r.negate
		}
	}
	return false
}

// compile parses one pattern line. ok is false for blank lines and
// comments.
func compile(line string) (r rule, ok bool, err error) {
	r.source = line
	line = strings.TrimSuffix(line, "\r")
	line = trimTrailingSpaces(line)
	if line == "" || line[0] == '#' {
		return rule{}, false, nil
	}
	if line[0] == '!' {
		r.negate = true
		line = line[1:]
	}
	// A trailing "/" (not escaped: "\/" cannot end a valid line anyway,
	// since "/" needs no escape) means directories only.
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if strings.HasPrefix(line, "/") {
		r.anchored = true
		line = line[1:]
	} else if strings.Contains(line, "/") {
		r.anchored = true
	}
	if line == "" {
		// "/", "!", "!/": git matches nothing with these either.
		return rule{}, false, nil
	}
	r.tokens, err = parseGlob(line)
	if err != nil {
		return rule{}, false, err
	}
	return r, true, nil
}

// trimTrailingSpaces removes trailing spaces unless escaped with "\", as
// git does (tabs are kept, as git keeps them).
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		// Count the backslashes before this space: an odd number escapes it.
		bs := 0
		for j := end - 2; j >= 0 && s[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 1 {
			break
		}
		end--
	}
	return s[:end]
}
