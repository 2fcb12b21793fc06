package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// LegacyCommandKeys are the ten [dvcs] templates of a dvcs-autosync file,
// in the order its example has them. All are required, as they were.
var LegacyCommandKeys = []string{
	"statuscmd", "addcmd", "rmcmd", "modifycmd", "movecmd",
	"startupcmd", "commitcmd", "pushcmd", "pullcmd", "remoteurlcmd",
}

// gitTemplates are the spellings of git's commands that dvcs-autosync's
// examples and users have used, after normalize; any of them means "git,
// as autosync's own git engine does it".
var gitTemplates = map[string][]string{
	"statuscmd": {
		`git status | grep -iq "nothing to commit"`, `git status | grep -qi "nothing to commit"`,
		`git status | grep -i -q "nothing to commit"`, `git status | find /I "nothing to commit"`,
	},
	"addcmd":       {"git add %s"},
	"rmcmd":        {"git rm %s", "git rm -r %s"},
	"modifycmd":    {"git add %s"},
	"movecmd":      {"git rm %s\ngit add %s", "git mv %s %s"},
	"startupcmd":   {"git add -A"},
	"commitcmd":    {"git commit -m %s"},
	"pushcmd":      {"git push"},
	"pullcmd":      {"git pull"},
	"remoteurlcmd": {"git config --get remote.origin.url"},
}

// GitDefaults reports whether the [dvcs] templates are git's (as in
// dvcs-autosync's example, its Windows variant with git.cmd, or git mv),
// in which case autosync's native git engine runs instead of them.
func (l *Legacy) GitDefaults() bool {
	for _, k := range LegacyCommandKeys {
		if !slices.Contains(gitTemplates[k], normalizeTemplate(l.Commands[k])) {
			return false
		}
	}
	return true
}

// normalizeTemplate collapses runs of blanks (the old tool split on single
// spaces, so extra blanks were empty arguments that git ignored) and spells
// the Windows git.cmd wrapper as git.
func normalizeTemplate(t string) string {
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], "git.cmd") {
			f[0] = "git"
		}
		lines[i] = strings.Join(f, " ")
	}
	return strings.Join(lines, "\n")
}

// LegacyDefaultPath is dvcs-autosync's config file, ~/.autosync.
func LegacyDefaultPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory: %w", err)
	}
	return filepath.Join(home, ".autosync"), nil
}

// IsLegacy reports whether the file at path is a dvcs-autosync INI file
// (it has an [autosync] section) rather than autosync's TOML, so that the
// command line can take either for the same argument. A file it cannot read
// is not legacy (Load will then say why it cannot be read).
func IsLegacy(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if name, ok := sectionName(line); ok && strings.EqualFold(name, "autosync") {
			return true
		}
	}
	return false
}

// sectionName parses "[name]" as RawConfigParser did: anything after the
// closing bracket is ignored.
func sectionName(line string) (string, bool) {
	if !strings.HasPrefix(line, "[") {
		return "", false
	}
	end := strings.IndexByte(line, ']')
	if end < 2 {
		return "", false
	}
	return strings.TrimSpace(line[1:end]), true
}

// iniValue is one option as the file has it.
type iniValue struct {
	value string
	line  int
}

type iniSection struct {
	name   string
	line   int
	values map[string]*iniValue
	order  []string
}

// parseINI reads the INI dialect of Python 2's RawConfigParser: sections;
// "key = value" or "key: value" with case-insensitive keys; full-line
// comments starting with "#" or ";" (and "rem"); " ;" starting an inline
// comment; values continued on indented lines, joined with "\n"; no
// interpolation. Section names are matched case-insensitively, which
// accepts every file the old tool did.
func parseINI(ps *problems, data []byte) map[string]*iniSection {
	sections := map[string]*iniSection{}
	var cur *iniSection
	var last *iniValue // the value an indented line continues
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if (line[0] == 'r' || line[0] == 'R') && strings.EqualFold(strings.Fields(line)[0], "rem") {
			continue
		}
		if unicode.IsSpace(rune(line[0])) {
			if last != nil {
				last.value += "\n" + trimmed
				continue
			}
			ps.add(n, "", "indented line that continues no value: a continuation line must follow a \"key = value\" line; remove the indentation or the line")
			continue
		}
		if name, ok := sectionName(line); ok {
			key := strings.ToLower(name)
			if sections[key] == nil {
				sections[key] = &iniSection{name: name, line: n, values: map[string]*iniValue{}}
			}
			cur, last = sections[key], nil
			continue
		}
		sep := strings.IndexAny(line, ":=")
		if sep <= 0 {
			ps.add(n, "", "%q is neither a [section], a \"key = value\" line nor a comment: fix it, or start it with # to make it a comment", trimmed)
			last = nil
			continue
		}
		if cur == nil {
			ps.add(n, "", "%q comes before any section: put it under [autosync], [dvcs] or [xmpp]", trimmed)
			continue
		}
		key := strings.ToLower(strings.TrimSpace(line[:sep]))
		value := strings.TrimLeftFunc(line[sep+1:], unicode.IsSpace)
		if semi := strings.IndexByte(value, ';'); semi > 0 && unicode.IsSpace(rune(value[semi-1])) {
			value = value[:semi] // Python 2.7: " ;" starts an inline comment
		}
		value = strings.TrimSpace(value)
		if value == `""` {
			value = ""
		}
		v := &iniValue{value: value, line: n}
		if cur.values[key] == nil {
			cur.order = append(cur.order, key)
		}
		cur.values[key] = v // a repeated key wins, as in Python
		last = v
	}
	return sections
}

// LoadLegacy reads a dvcs-autosync config file (~/.autosync) as that tool
// did, into a Config with one folder and the old-only parts in Legacy.
// Mistakes come back as an *Error ("FILE:LINE: [section] key: what to
// do"); what the old tool tolerated with a warning goes to Warnings.
func LoadLegacy(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parseLegacy(abs, data)
}

// legacyKeys maps the TOML keys validate reports to the old file's keys.
var legacyKeys = map[string][2]string{
	"folder[0].path":        {"autosync", "path"},
	"folder[0].push_delay":  {"autosync", "readfrequency"},
	"folder[0].ignore":      {"autosync", "ignorepath"},
	"xmpp.jid":              {"xmpp", "username"},
	"xmpp.password":         {"xmpp", "password"},
	"xmpp.password_command": {"xmpp", "password"},
	"xmpp.also_notify":      {"xmpp", "alsonotify"},
}

var legacyKnown = map[string][]string{
	"autosync": {"path", "pidfile", "syncmethod", "notifymethod", "pulllock", "readfrequency", "ignorepath"},
	"dvcs":     LegacyCommandKeys,
	"xmpp":     {"username", "password", "alsonotify"},
}

func parseLegacy(file string, data []byte) (*Config, error) {
	ps := &problems{file: file}
	sections := parseINI(ps, data)
	if err := ps.err(); err != nil {
		return nil, err
	}
	c := &Config{Source: file, Legacy: &Legacy{Commands: map[string]string{}}}
	warn := func(line int, key, format string, args ...any) {
		p := Problem{File: file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)}
		c.warnings = append(c.warnings, p.String())
	}
	// get returns a value, falling back to [DEFAULT] as Python did.
	get := func(section, key string) (*iniValue, bool) {
		if s := sections[section]; s != nil && s.values[key] != nil {
			return s.values[key], true
		}
		if d := sections["default"]; d != nil && d.values[key] != nil {
			return d.values[key], true
		}
		return nil, false
	}
	secLine := func(section string) int {
		if s := sections[section]; s != nil {
			return s.line
		}
		return 0
	}
	need := func(section, key, hint string) (*iniValue, bool) {
		v, ok := get(section, key)
		if !ok {
			if sections[section] == nil {
				ps.add(0, "", "no [%s] section: add it with %s", section, hint)
			} else {
				ps.add(secLine(section), "["+section+"]", "missing %s: add %s", key, hint)
			}
		}
		return v, ok
	}
	for name, s := range sections {
		known, ok := legacyKnown[name]
		if !ok {
			continue // [autosync-server] and the like were never read
		}
		for _, k := range s.order {
			if !slices.Contains(known, k) {
				warn(s.values[k].line, "["+s.name+"] "+k, "unknown key, ignored (known: %s)", strings.Join(known, ", "))
			}
		}
	}

	if sections["autosync"] == nil {
		ps.add(0, "", "no [autosync] section: this is not a dvcs-autosync config (it needs [autosync] with path = ...)")
		return nil, ps.err()
	}
	f := Folder{}
	given := map[string]bool{}
	if v, ok := need("autosync", "path", "path = ~/the/folder/to/sync"); ok {
		if v.value == "" {
			ps.add(v.line, "[autosync] path", "is empty: write the folder to sync")
		} else if p, err := expandHome(v.value); err != nil {
			ps.add(v.line, "[autosync] path", "%v", err)
		} else {
			f.Path = absPath(p, filepath.Dir(file))
		}
	}
	c.Legacy.PIDFile = file + ".pid"
	if v, ok := get("autosync", "pidfile"); ok && v.value != "" {
		if p, err := expandHome(v.value); err != nil {
			ps.add(v.line, "[autosync] pidfile", "%v", err)
		} else {
			c.Legacy.PIDFile = absPath(p, filepath.Dir(file))
		}
	}
	if v, ok := need("autosync", "syncmethod", "syncmethod = xmpp (sync through XMPP) or syncmethod = none (local commits only)"); ok {
		switch m := strings.ToLower(v.value); m {
		case "xmpp", "none":
			c.Legacy.SyncMethod = m
		case "autosync-server":
			ps.add(v.line, "[autosync] syncmethod", "autosync-server is not supported (dvcs-autosync never implemented it either): use xmpp, or none for local commits only")
		default:
			ps.add(v.line, "[autosync] syncmethod", "%q is not valid: use xmpp, or none for local commits only", v.value)
		}
	}
	c.Legacy.NotifyMethod = "desktop"
	if v, ok := get("autosync", "notifymethod"); ok {
		switch m := strings.ToLower(v.value); m {
		case "desktop", "xmpp", "all", "none":
			c.Legacy.NotifyMethod = m
		default:
			warn(v.line, "[autosync] notifymethod", "%q is unknown, using desktop (valid: desktop, xmpp, all, none)", v.value)
		}
	}
	if c.Legacy.NotifyMethod == "none" || c.Legacy.NotifyMethod == "xmpp" {
		// No desktop notifications: the old tool showed none with these.
		c.Notifications.Level = "none"
	}
	c.Legacy.PullLock = "conservative"
	if v, ok := get("autosync", "pulllock"); ok {
		switch m := strings.ToLower(v.value); m {
		case "conservative", "optimized":
			c.Legacy.PullLock = m
		default:
			ps.add(v.line, "[autosync] pulllock", "%q is not valid: use conservative or optimized (both run autosync's own strategy)", v.value)
		}
	}
	if v, ok := get("autosync", "readfrequency"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v.value))
		switch {
		case err != nil:
			ps.add(v.line, "[autosync] readfrequency", "%q is not a whole number of seconds, like 5", v.value)
		case n < 0:
			ps.add(v.line, "[autosync] readfrequency", "%d is negative: use 0 or more seconds", n)
		default:
			f.PushDelay = Duration(n) * Duration(1e9)
			given["folder[0].push_delay"] = true
		}
	}
	if v, ok := get("autosync", "ignorepath"); ok {
		f.Ignore = ignorePatterns(v.value, f.Path, func(format string, args ...any) {
			warn(v.line, "[autosync] ignorepath", format, args...)
		})
	}
	f.LocalOnly = c.Legacy.SyncMethod == "none"

	if sections["dvcs"] == nil {
		ps.add(0, "", "no [dvcs] section: add it with the ten command templates (for git: statuscmd = git status | grep -iq \"nothing to commit\", addcmd = git add %%s, ... as in dvcs-autosync's .autosync-example)")
	} else {
		for _, k := range LegacyCommandKeys {
			if v, ok := get("dvcs", k); ok {
				c.Legacy.Commands[k] = v.value
			} else {
				ps.add(secLine("dvcs"), "[dvcs]", "missing %s: add it (git's is %s = %s)", k, k, strings.ReplaceAll(gitTemplates[k][0], "\n", "\n    "))
			}
		}
	}

	if c.Legacy.SyncMethod == "xmpp" {
		x := &XMPP{}
		if v, ok := need("xmpp", "username", "username = you@example.org (the XMPP account all your machines share)"); ok {
			x.JID = v.value
		}
		if sections["xmpp"] != nil || sections["default"] != nil {
			if v, ok := need("xmpp", "password", "password = ..."); ok {
				x.Password = v.value
			}
		}
		alsoNotify := ""
		if v, ok := get("xmpp", "alsonotify"); ok {
			alsoNotify = v.value
		}
		if c.Legacy.NotifyMethod == "xmpp" || c.Legacy.NotifyMethod == "all" {
			if alsoNotify == "" {
				warn(secLine("xmpp"), "[xmpp] alsonotify", "notifymethod = %s needs alsonotify = a JID to notify; nothing will be sent over XMPP", c.Legacy.NotifyMethod)
			}
			x.AlsoNotify = alsoNotify
		}
		c.XMPP = x
	} else if c.Legacy.NotifyMethod == "xmpp" || c.Legacy.NotifyMethod == "all" {
		v, _ := get("autosync", "notifymethod")
		warn(v.line, "[autosync] notifymethod", "%s needs syncmethod = xmpp; nothing will be sent over XMPP", c.Legacy.NotifyMethod)
	}
	switch c.Legacy.NotifyMethod {
	case "xmpp", "none":
		c.Notifications.Level = "none"
	default:
		c.Notifications.Level = "all"
	}
	c.Folders = []Folder{f}
	if err := ps.err(); err != nil {
		return nil, err
	}

	c.applyDefaults(func(k string) bool { return given[k] }, filepath.Dir(file))
	c.validate(ps, func(key string) (string, int) {
		if m, ok := legacyKeys[key]; ok {
			v, _ := get(m[0], m[1])
			if v == nil {
				return "[" + m[0] + "] " + m[1], secLine(m[0])
			}
			return "[" + m[0] + "] " + m[1], v.line
		}
		return key, 0
	})
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// ignorePatterns turns ignorepath (paths relative to the folder, separated
// by blanks) into gitignore patterns that match exactly those paths: each
// is anchored with a leading "/" and its glob characters are escaped, so
// "my.dir" matches my.dir only (the old tool used regexes, where "." was
// any character). ".git" is dropped: git's own directory is always skipped.
func ignorePatterns(value, root string, warn func(format string, args ...any)) []string {
	var out []string
	for _, e := range strings.Fields(value) {
		p := e
		if filepath.IsAbs(p) {
			rel, err := filepath.Rel(root, p)
			if root == "" || err != nil || !filepath.IsLocal(rel) {
				warn("%s is not inside path, ignored", e)
				continue
			}
			p = rel
		}
		p = filepath.ToSlash(filepath.Clean(p))
		if p == "." || p == ".." || strings.HasPrefix(p, "../") {
			warn("%s is not inside path, ignored", e)
			continue
		}
		if p == ".git" || strings.HasPrefix(p, ".git/") {
			continue
		}
		out = append(out, "/"+escapeGlob(p))
	}
	return out
}

// escapeGlob escapes what gitignore would read as a pattern: "*", "?",
// "[", "\" anywhere, and trailing blanks (which gitignore drops).
func escapeGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	s := b.String()
	if t := strings.TrimRight(s, " "); t != s {
		s = t + strings.Repeat(`\ `, len(s)-len(t))
	}
	return s
}
