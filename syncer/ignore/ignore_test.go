package ignore

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type matchCase struct {
	path  string
	isDir bool
	want  bool
}

// ruleTests exercise each gitignore rule. Every case is also checked
// against git itself by TestAgreesWithGit.
var ruleTests = []struct {
	name     string
	patterns []string
	cases    []matchCase
}{
	{"blank lines and comments", []string{"", "   ", "# notes.md", "#*"}, []matchCase{
		{"notes.md", false, false},
		{"# notes.md", false, false},
		{"#x", false, false},
	}},
	{"escaped hash is a pattern", []string{`\#*`}, []matchCase{
		{"#x", false, true},
		{"x#", false, false},
	}},
	{"basename at any depth", []string{"notes.md"}, []matchCase{
		{"notes.md", false, true},
		{"a/b/notes.md", false, true},
		{"a/notes.md.bak", false, false},
		{"xnotes.md", false, false},
	}},
	{"star does not cross slash", []string{"a*b"}, []matchCase{
		{"ab", false, true},
		{"axxb", false, true},
		{"d/axxb", false, true},
		{"ax/b", false, false},
	}},
	{"star in anchored pattern stays in one component", []string{"docs/*.md"}, []matchCase{
		{"docs/a.md", false, true},
		{"docs/sub/a.md", false, false},
		{"x/docs/a.md", false, false},
	}},
	{"question mark is one character, not slash", []string{"a?c"}, []matchCase{
		{"abc", false, true},
		{"ac", false, false},
		{"abbc", false, false},
		{"a/c", false, false},
	}},
	{"bracket ranges and sets", []string{"f[a-c0]o"}, []matchCase{
		{"fao", false, true},
		{"fbo", false, true},
		{"f0o", false, true},
		{"fdo", false, false},
		{"fo", false, false},
	}},
	{"negated brackets", []string{"f[!a-c]o", "g[^x]"}, []matchCase{
		{"fdo", false, true},
		{"fao", false, false},
		{"gy", false, true},
		{"gx", false, false},
	}},
	{"bracket with literal ] first and escapes", []string{`[]x]1`, `[\]]2`, `[a\-z]3`}, []matchCase{
		{"]1", false, true},
		{"x1", false, true},
		{"]2", false, true},
		{"-3", false, true},
		{"b3", false, false},
	}},
	{"character classes", []string{"[[:digit:]][[:upper:]]"}, []matchCase{
		{"1A", false, true},
		{"1a", false, false},
		{"AA", false, false},
	}},
	{"backslash escapes", []string{`\*star`, `q\?`, `\!bang`, `sp\ `}, []matchCase{
		{"*star", false, true},
		{"xstar", false, false},
		{"q?", false, true},
		{"qx", false, false},
		{"!bang", false, true},
		{"sp ", false, true},
		{"sp", false, false},
	}},
	{"trailing spaces are trimmed", []string{"trail  "}, []matchCase{
		{"trail", false, true},
		{"trail ", false, false},
	}},
	{"negation, last match wins", []string{"*.log", "!keep.log"}, []matchCase{
		{"a.log", false, true},
		{"keep.log", false, false},
		{"d/keep.log", false, false},
		{"d/a.log", false, true},
	}},
	{"negation then re-ignore", []string{"*.log", "!keep.log", "keep.log"}, []matchCase{
		{"keep.log", false, true},
	}},
	{"leading slash anchors", []string{"/top.txt"}, []matchCase{
		{"top.txt", false, true},
		{"d/top.txt", false, false},
	}},
	{"middle slash anchors", []string{"doc/frotz"}, []matchCase{
		{"doc/frotz", true, true},
		{"a/doc/frotz", false, false},
		{"doc/frotz/inner", false, true},
	}},
	{"trailing slash is directories only", []string{"build/"}, []matchCase{
		{"build", true, true},
		{"x/build", false, false},
		{"a/build", true, true},
		{"build/out.o", false, true},
		{"a/build/x/y", false, true},
	}},
	{"anchored directory", []string{"/out/"}, []matchCase{
		{"out", true, true},
		{"out/x", false, true},
		{"a/out", true, false},
		{"a/out/x", false, false},
	}},
	{"leading double star", []string{"**/foo"}, []matchCase{
		{"foo", false, true},
		{"a/foo", false, true},
		{"a/b/foo", false, true},
		{"a/xfoo", false, false},
	}},
	{"leading double star with path", []string{"**/foo/bar"}, []matchCase{
		{"foo/bar", false, true},
		{"x/y/foo/bar", false, true},
		{"foo/x/bar", false, false},
	}},
	{"trailing double star", []string{"abc/**"}, []matchCase{
		{"abc/z", false, true},
		{"abc/x/y", false, true},
		{"abc", true, false},
		{"x/abc/y", false, false},
	}},
	{"middle double star", []string{"a/**/b"}, []matchCase{
		{"a/b", false, true},
		{"a/x/b", false, true},
		{"a/x/y/b", false, true},
		{"a/xb", false, false},
		{"b", false, false},
	}},
	{"double star not a whole component is a star", []string{"x**y"}, []matchCase{
		{"xaay", false, true},
		{"xa/y", false, false},
	}},
	{"parent directory matched", []string{"node_modules"}, []matchCase{
		{"node_modules", true, true},
		{"node_modules/x/y.js", false, true},
		{"a/node_modules/y.js", false, true},
	}},
	{"no re-include inside ignored directory", []string{"logs/", "!logs/keep.txt"}, []matchCase{
		{"logs/keep.txt", false, true},
		{"logs/other.txt", false, true},
	}},
	{"re-include with directory contents pattern", []string{"logs/*", "!logs/keep.txt"}, []matchCase{
		{"logs/keep.txt", false, false},
		{"logs/other.txt", false, true},
		{"logs", true, false},
	}},
	{"negated directory", []string{"*", "!*/", "!*.md"}, []matchCase{
		{"a", true, false},
		{"a/b.md", false, false},
		{"a/b.txt", false, true},
		{"c.txt", false, true},
	}},
	{"unicode names", []string{"caf?.txt", "[é]t?"}, []matchCase{
		{"cafx.txt", false, true},
		{"été", false, true},
		{"eta", false, false},
	}},
}

func TestRules(t *testing.T) {
	for _, tt := range ruleTests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.cases {
				if got := m.Match(c.path, c.isDir); got != c.want {
					t.Errorf("patterns %q: Match(%q, dir=%v) = %v, want %v", tt.patterns, c.path, c.isDir, got, c.want)
				}
			}
		})
	}
}

var defaultCases = []struct {
	path string
	want bool
}{
	// vim
	{".notes.md.swp", true},
	{"docs/.notes.md.swo", true},
	{".notes.md.swn", true},
	{".notes.md.swa", true},
	{".notes.md.swq", false},
	{"notes.swp", true},
	{"notes.swo", true},
	{"notes.swx", true},
	{"4913", true},
	{"deep/dir/4913", true},
	{"4913.txt", false},
	{"49130", false},
	// backups
	{"notes.md~", true},
	{"a/b/c.txt~", true},
	// emacs
	{"#notes.md#", true},
	{"d/#notes.md#", true},
	{".#notes.md", true},
	{"#notes.md", false},
	// LibreOffice, MS Office
	{".~lock.report.odt#", true},
	{"d/.~lock.x.docx#", true},
	{".~lock.report.odt", false},
	{"~$report.docx", true},
	{"d/~$x.xlsx", true},
	// kate, GIO
	{"notes.md.kate-swp", true},
	{".goutputstream-AB12CD", true},
	// temp and downloads
	{"x.tmp", true},
	{"movie.mkv.part", true},
	{"setup.exe.crdownload", true},
	{"tmp/x.md", false},
	{"x.tmpl", false},
	{"part", false},
	// OS metadata
	{".DS_Store", true},
	{"photos/.DS_Store", true},
	{"._photo.jpg", true},
	{"Thumbs.db", true},
	{"pics/Thumbs.db", true},
	{"desktop.ini", true},
	// ordinary files
	{"notes.md", false},
	{"docs/notes.md", false},
	{".gitignore", false},
	{"README", false},
	{"a#b", false},
	{"~notes", false},
	{"report.docx", false},
}

func TestDefaults(t *testing.T) {
	m, err := New(Defaults)
	if err != nil {
		t.Fatalf("Defaults do not compile: %v", err)
	}

	for _, tt := range defaultCases {
		if got := m.Match(tt.path, false); got != tt.want {
			t.Errorf("Defaults: Match(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestBadPatterns(t *testing.T) {
	for _, p := range []string{"[abc", `foo\`, "[[:nope:]]", `x[a\`} {
		_, err := New([]string{"ok.txt", p})
		if err == nil {
			t.Errorf("New(%q) succeeded, want an error", p)
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("New(%q) error %q does not name the pattern", p, err)
		}
	}
}

func TestNilMatcher(t *testing.T) {
	var m *Matcher
	if m.Match("x.tmp", false) {
		t.Error("a nil Matcher ignored a path")
	}
}

func TestPathNormalisation(t *testing.T) {
	m, err := New([]string{"/a/b"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match("/a/b/", true) {
		t.Error("leading and trailing slashes in the path changed the result")
	}
	if m.Match("", true) {
		t.Error("the top directory itself was ignored")
	}
}

// TestAgreesWithGit runs every rule case, and the Defaults cases, through
// `git check-ignore` on a real tree and compares. It is what makes
// "gitignore semantics" a fact rather than a claim.
func TestAgreesWithGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed (needed to compare against git's own matcher)")
		}
		t.Skip("git is not installed: cannot compare against git's own matcher")
	}
	for _, tt := range ruleTests {
		if tt.name == "unicode names" {
			continue // git compares bytes, we compare characters (see match).
		}
		t.Run(tt.name, func(t *testing.T) { compareWithGit(t, git, tt.patterns, tt.cases) })
	}
	t.Run("defaults", func(t *testing.T) {
		var cases []matchCase
		for _, c := range defaultCases {
			cases = append(cases, matchCase{c.path, false, c.want})
		}
		compareWithGit(t, git, Defaults, cases)
	})
}

func compareWithGit(t *testing.T, git string, patterns []string, cases []matchCase) {
	t.Helper()
	dir := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C")
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil && errb.Len() > 0 {
			t.Logf("git %v: %s", args, errb.String())
		}
		return out.String(), err
	}
	if _, err := run("", "init", "-q"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(strings.Join(patterns, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range cases {
		p := filepath.Join(dir, filepath.FromSlash(c.path))
		if c.isDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			// O_EXCL: a case named ".gitignore" must not empty the
			// patterns.
			f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			if f != nil {
				f.Close()
			}
		}
		paths = append(paths, c.path)
	}
	// git looks at the tree to tell files from directories, so the tree
	// must say what the case says.
	for _, c := range cases {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(c.path)))
		if err != nil || fi.IsDir() != c.isDir {
			t.Fatalf("test tree: %q is not what the case says (dir=%v)", c.path, c.isDir)
		}
	}
	out, err := run(strings.Join(paths, "\x00")+"\x00", "check-ignore", "--stdin", "-z")
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 { // 1: nothing ignored
			t.Fatalf("git check-ignore: %v", err)
		}
	}
	ignored := map[string]bool{}
	for _, p := range strings.Split(out, "\x00") {
		ignored[p] = true
	}
	m, err := New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := m.Match(c.path, c.isDir); got != ignored[c.path] {
			t.Errorf("patterns %q, path %q (dir=%v): Match = %v, git check-ignore = %v", patterns, c.path, c.isDir, got, ignored[c.path])
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, tt := range ruleTests {
		for _, c := range tt.cases {
			f.Add(strings.Join(tt.patterns, "\n"), c.path, c.isDir)
		}
	}
	f.Add(strings.Join(Defaults, "\n"), "a/b/.x.swp", false)
	f.Add("**/**/**/**/**/**/a*b*c*d*e*f", strings.Repeat("a/", 40)+strings.Repeat("abcde", 20), false)
	f.Fuzz(func(t *testing.T, patterns, path string, isDir bool) {
		m, err := New(strings.Split(patterns, "\n"))
		if err != nil {
			return
		}
		m.Match(path, isDir)
	})
}
