package config

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/gittest"
)

// loadFixture copies testdata/legacy/name into a temp dir (mode 0600, so
// that no password warning is expected) and loads it with HOME set.
func loadFixture(t *testing.T, name string) (*Config, string, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "legacy", name))
	if err != nil {
		t.Fatal(err)
	}
	file, home := writeConfig(t, ".autosync", string(data))
	if !IsLegacy(file) {
		t.Errorf("IsLegacy(%s) = false", name)
	}
	c, err := LoadLegacy(file)
	if err != nil {
		t.Fatalf("LoadLegacy(%s): %v", name, err)
	}
	return c, file, home
}

func TestLegacyGitDefaults(t *testing.T) {
	c, file, home := loadFixture(t, "git.autosync")
	f := c.Folders[0]
	if len(c.Folders) != 1 || f.Path != filepath.Join(home, "amw") {
		t.Errorf("folders: %+v", c.Folders)
	}
	if f.PushDelay != Duration(5*time.Second) || f.CommitDelay != Duration(DefaultCommitDelay) || f.LocalOnly {
		t.Errorf("folder settings: %+v", f)
	}
	wantIgnore := []string{"/.svn", "/.hg", "/src/packages", "/src/java/openuat", "/my.dir", "/src/csharp/sparkleshare"}
	if !reflect.DeepEqual(f.Ignore, wantIgnore) {
		t.Errorf("ignore = %q, want %q", f.Ignore, wantIgnore)
	}
	l := c.Legacy
	if l.PIDFile != filepath.Join(home, ".autosync.pid") || l.SyncMethod != "xmpp" || l.NotifyMethod != "desktop" || l.PullLock != "conservative" {
		t.Errorf("legacy: %+v", l)
	}
	if l.Commands["movecmd"] != "git rm %s\ngit add %s" || l.Commands["statuscmd"] != `git status | grep -iq "nothing to commit"` || len(l.Commands) != 10 {
		t.Errorf("commands: %q", l.Commands)
	}
	if !l.GitDefaults() {
		t.Error("GitDefaults = false for git's templates")
	}
	x := c.XMPP
	if x == nil || x.JID != "me@example.org" || x.Password != "secret" || x.TLS != "starttls" ||
		x.Resource != "AutosyncJabberBot on testhost" || x.AlsoNotify != "" {
		t.Errorf("xmpp: %+v (alsonotify is only used with notifymethod xmpp or all)", x)
	}
	if c.Notifications.Level != "all" || c.Source != file {
		t.Errorf("config: %+v", c)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
}

func TestLegacyPasswordWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not checked on Windows")
	}
	c, file, _ := loadFixture(t, "git.autosync")
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], file+" holds the XMPP password and other users can read it (mode 0644): run chmod 600 "+file) {
		t.Errorf("warnings for a world-readable ~/.autosync with a password: %q", w)
	}
}

func TestConvertWritesHomeAsTilde(t *testing.T) {
	c, _, _ := loadFixture(t, "git.autosync")
	out, _ := c.MarshalTOML()
	if !strings.Contains(string(out), "path = \"~/amw\"\n") {
		t.Errorf("converted path not written as ~/amw:\n%s", out)
	}
}

func TestLegacyMercurial(t *testing.T) {
	c, file, home := loadFixture(t, "hg.autosync")
	l := c.Legacy
	if l.GitDefaults() {
		t.Error("GitDefaults = true for Mercurial's templates")
	}
	want := map[string]string{
		"statuscmd": "test \"`hg status`\" = \"\"", "addcmd": "hg add", "rmcmd": "hg remove", "modifycmd": "",
		"movecmd": "hg mv %s %s", "startupcmd": "hg addremove", "commitcmd": "hg commit -m %s", "pushcmd": "hg push",
		"pullcmd": "hg pull -u", "remoteurlcmd": "hg showconfig paths.default",
	}
	if !reflect.DeepEqual(l.Commands, want) {
		t.Errorf("commands:\n got %q\nwant %q", l.Commands, want)
	}
	if l.PIDFile != file+".pid" || l.PullLock != "optimized" || l.NotifyMethod != "all" {
		t.Errorf("legacy: %+v", l)
	}
	if c.XMPP.AlsoNotify != "phone@example.org" || c.Notifications.Level != "all" {
		t.Errorf("notifymethod all: also_notify %q, level %q", c.XMPP.AlsoNotify, c.Notifications.Level)
	}
	if f := c.Folders[0]; f.Path != filepath.Join(home, "hgnotes") || f.PushDelay != Duration(2*time.Second) || !reflect.DeepEqual(f.Ignore, []string{"/.hg"}) {
		t.Errorf("folder: %+v", f)
	}
}

func TestLegacyWindows(t *testing.T) {
	c, _, home := loadFixture(t, "windows.autosync")
	l := c.Legacy
	if !l.GitDefaults() {
		t.Errorf("GitDefaults = false for the git.cmd templates: %q", l.Commands)
	}
	if l.Commands["statuscmd"] != `git.cmd status | find /I "nothing to commit"` || l.Commands["movecmd"] != "git.cmd rm %s\ngit.cmd add %s" {
		t.Errorf("CRLF not handled: %q", l.Commands)
	}
	if c.Folders[0].Path != filepath.Join(home, "Desktop", "splashbin") || len(c.Folders[0].Ignore) != 0 {
		t.Errorf("folder: %+v", c.Folders[0])
	}
	if c.XMPP.JID != "me-autosync@example.org" || c.XMPP.Password != "computer" || c.XMPP.AlsoNotify != "" {
		t.Errorf("xmpp: %+v", c.XMPP)
	}
}

func TestLegacySyncNoneAndCaseInsensitiveKeys(t *testing.T) {
	c, _, home := loadFixture(t, "none.autosync")
	f := c.Folders[0]
	if f.Path != filepath.Join(home, "backup") || !f.LocalOnly || f.PushDelay != 0 {
		t.Errorf("folder: %+v (readfrequency 0 must stay 0)", f)
	}
	if c.XMPP != nil || c.Legacy.SyncMethod != "none" || !c.Legacy.GitDefaults() {
		t.Errorf("syncmethod none: xmpp %+v legacy %+v", c.XMPP, c.Legacy)
	}
	if c.Legacy.Commands["remoteurlcmd"] != "git config --get remote.origin.url" {
		t.Errorf("RemoteURLCmd not read case-insensitively: %q", c.Legacy.Commands)
	}
}

// minimal is a valid legacy file; tests append to or edit it.
const minimal = "[autosync]\npath = ~/notes\nsyncmethod = none\n\n[dvcs]\n" +
	"statuscmd = git status | grep -iq \"nothing to commit\"\naddcmd = git add %s\nrmcmd = git rm %s\nmodifycmd = git add %s\n" +
	"movecmd = git mv %s %s\nstartupcmd = git add -A\ncommitcmd = git commit -m %s\npushcmd = git push\npullcmd = git pull\n" +
	"remoteurlcmd = git config --get remote.origin.url\n"

func TestLegacySyntax(t *testing.T) {
	tests := []struct {
		name, ini string
		check     func(*testing.T, *Config)
	}{
		{"continuation after blank and comment lines", strings.Replace(minimal, "syncmethod = none\n",
			"syncmethod = none\nignorepath = a b\n\n# a comment does not end the value\n    c\n\td\n", 1),
			func(t *testing.T, c *Config) {
				if want := []string{"/a", "/b", "/c", "/d"}; !reflect.DeepEqual(c.Folders[0].Ignore, want) {
					t.Errorf("ignore = %q, want %q", c.Folders[0].Ignore, want)
				}
			}},
		{"indented line continues the command", strings.Replace(minimal, "pushcmd = git push\n", "pushcmd = git push\n   git push --tags\n", 1),
			func(t *testing.T, c *Config) {
				if got := c.Legacy.Commands["pushcmd"]; got != "git push\ngit push --tags" {
					t.Errorf("pushcmd = %q", got)
				}
			}},
		{"inline semicolon comment and colon separator", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nreadfrequency: 7 ; seconds\n", 1),
			func(t *testing.T, c *Config) {
				if c.Folders[0].PushDelay != Duration(7*time.Second) {
					t.Errorf("push delay = %v", c.Folders[0].PushDelay)
				}
			}},
		{"semicolon without a blank is data", strings.Replace(minimal, "pushcmd = git push\n", "pushcmd = git push;x\n", 1),
			func(t *testing.T, c *Config) {
				if got := c.Legacy.Commands["pushcmd"]; got != "git push;x" {
					t.Errorf("pushcmd = %q", got)
				}
			}},
		{"hash inside a value is data", strings.Replace(minimal, "pushcmd = git push\n", "pushcmd = git push # not a comment\n", 1),
			func(t *testing.T, c *Config) {
				if got := c.Legacy.Commands["pushcmd"]; got != "git push # not a comment" {
					t.Errorf("pushcmd = %q", got)
				}
			}},
		{"rem and semicolon comments", "; a comment\nrem another\n" + minimal,
			func(t *testing.T, c *Config) {}},
		{"mixed-case keys and sections", strings.NewReplacer("[autosync]", "[AutoSync]", "path =", "PATH =", "syncmethod", "SyncMethod", "pullcmd", "PullCmd").Replace(minimal),
			func(t *testing.T, c *Config) {
				if c.Legacy.Commands["pullcmd"] != "git pull" || c.Legacy.SyncMethod != "none" {
					t.Errorf("legacy: %+v", c.Legacy)
				}
			}},
		{"DEFAULT section fills in", "[DEFAULT]\nsyncmethod = none\n" + strings.Replace(minimal, "syncmethod = none\n", "", 1),
			func(t *testing.T, c *Config) {
				if c.Legacy.SyncMethod != "none" {
					t.Errorf("syncmethod from [DEFAULT]: %q", c.Legacy.SyncMethod)
				}
			}},
		{"later key wins", strings.Replace(minimal, "pushcmd = git push\n", "pushcmd = git push\npushcmd = git push origin\n", 1),
			func(t *testing.T, c *Config) {
				if c.Legacy.Commands["pushcmd"] != "git push origin" {
					t.Errorf("pushcmd = %q", c.Legacy.Commands["pushcmd"])
				}
			}},
		{"empty quotes are empty", strings.Replace(minimal, "modifycmd = git add %s\n", "modifycmd = \"\"\n", 1),
			func(t *testing.T, c *Config) {
				if v, ok := c.Legacy.Commands["modifycmd"]; !ok || v != "" {
					t.Errorf("modifycmd = %q, %v", v, ok)
				}
			}},
		{"pidfile relative to the config", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\npidfile = run/as.pid\n", 1),
			func(t *testing.T, c *Config) {
				if want := filepath.Join(filepath.Dir(c.Source), "run", "as.pid"); c.Legacy.PIDFile != want {
					t.Errorf("pidfile = %q, want %q", c.Legacy.PIDFile, want)
				}
			}},
		{"unknown notifymethod warns and keeps desktop", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nnotifymethod = growl\n", 1),
			func(t *testing.T, c *Config) {
				w := c.Warnings()
				if c.Legacy.NotifyMethod != "desktop" || c.Notifications.Level != "all" || len(w) != 1 ||
					!strings.Contains(w[0], c.Source+":4: [autosync] notifymethod: \"growl\" is unknown, using desktop") {
					t.Errorf("notifymethod growl: %+v, warnings %q", c.Legacy, w)
				}
			}},
		{"notifymethod none", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nnotifymethod = none\n", 1),
			func(t *testing.T, c *Config) {
				if c.Notifications.Level != "none" {
					t.Errorf("level = %q", c.Notifications.Level)
				}
			}},
		{"notifymethod xmpp without alsonotify", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = xmpp\nnotifymethod = xmpp\n", 1) +
			"[xmpp]\nusername = me@example.org\npassword = p\n",
			func(t *testing.T, c *Config) {
				w := c.Warnings()
				if c.Notifications.Level != "none" || len(w) != 1 || !strings.Contains(w[0], "[xmpp] alsonotify: notifymethod = xmpp needs alsonotify") {
					t.Errorf("level %q, warnings %q", c.Notifications.Level, w)
				}
			}},
		{"unknown key warns", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nsyncmethd = xmpp\n", 1),
			func(t *testing.T, c *Config) {
				if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], ":4: [autosync] syncmethd: unknown key, ignored") {
					t.Errorf("warnings %q", w)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := writeConfig(t, ".autosync", tt.ini)
			c, err := LoadLegacy(file)
			if err != nil {
				t.Fatalf("LoadLegacy:\n%s\n%v", tt.ini, err)
			}
			tt.check(t, c)
		})
	}
}

func TestLegacyErrors(t *testing.T) {
	tests := []struct {
		name, ini string
		line      int
		key, msg  string
	}{
		{"key before any section", "path = ~/x\n" + minimal, 1, "", `"path = ~/x" comes before any section: put it under [autosync], [dvcs] or [xmpp]`},
		{"indented line with nothing to continue", "[autosync]\n   path = ~/x\n" + minimal, 2, "", "indented line that continues no value"},
		{"not a key", strings.Replace(minimal, "pushcmd = git push\n", "pushcmd = git push\njust words\n", 1), 14, "", `"just words" is neither a [section], a "key = value" line nor a comment`},
		{"no autosync section", "[dvcs]\naddcmd = git add %s\n", 0, "", "no [autosync] section: this is not a dvcs-autosync config"},
		{"missing path", strings.Replace(minimal, "path = ~/notes\n", "", 1), 1, "[autosync]", "missing path: add path = ~/the/folder/to/sync"},
		{"empty path", strings.Replace(minimal, "path = ~/notes\n", "path =\n", 1), 2, "[autosync] path", "is empty"},
		{"missing syncmethod", strings.Replace(minimal, "syncmethod = none\n", "", 1), 1, "[autosync]", "missing syncmethod: add syncmethod = xmpp (sync through XMPP) or syncmethod = none"},
		{"autosync-server", strings.Replace(minimal, "syncmethod = none", "syncmethod = autosync-server", 1), 3, "[autosync] syncmethod", "autosync-server is not supported"},
		{"bad syncmethod", strings.Replace(minimal, "syncmethod = none", "syncmethod = dropbox", 1), 3, "[autosync] syncmethod", `"dropbox" is not valid: use xmpp, or none for local commits only`},
		{"bad pulllock", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\npulllock = eager\n", 1), 4, "[autosync] pulllock", `"eager" is not valid: use conservative or optimized`},
		{"bad readfrequency", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nreadfrequency = 2.5\n", 1), 4, "[autosync] readfrequency", `"2.5" is not a whole number of seconds`},
		{"negative readfrequency", strings.Replace(minimal, "syncmethod = none\n", "syncmethod = none\nreadfrequency = -1\n", 1), 4, "[autosync] readfrequency", "-1 is negative"},
		{"no dvcs section", minimal[:strings.Index(minimal, "[dvcs]")], 0, "", "no [dvcs] section: add it with the ten command templates"},
		{"missing template", strings.Replace(minimal, "pullcmd = git pull\n", "", 1), 5, "[dvcs]", "missing pullcmd: add it (git's is pullcmd = git pull)"},
		{"xmpp without section", strings.Replace(minimal, "syncmethod = none", "syncmethod = xmpp", 1), 0, "", "no [xmpp] section: add it with username = you@example.org"},
		{"xmpp without password", strings.Replace(minimal, "syncmethod = none", "syncmethod = xmpp", 1) + "[xmpp]\nusername = me@example.org\n", 16, "[xmpp]", "missing password"},
		{"placeholder username", strings.Replace(minimal, "syncmethod = none", "syncmethod = xmpp", 1) + "[xmpp]\nusername = your XMPP id here\npassword = x\n",
			17, "[xmpp] username", `"your XMPP id here" is not an XMPP account`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := writeConfig(t, ".autosync", tt.ini)
			_, err := LoadLegacy(file)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("LoadLegacy = %v, want an *Error", err)
			}
			want := Problem{File: file, Line: tt.line, Key: tt.key, Message: tt.msg}.String()
			if len(cerr.Problems) != 1 || !strings.Contains(err.Error(), want) {
				t.Errorf("LoadLegacy error:\n%s\nwant exactly one problem, containing\n%s", err, want)
			}
		})
	}
}

func TestLegacyMalformedFixture(t *testing.T) {
	file := filepath.Join("testdata", "legacy", "malformed.autosync")
	_, err := LoadLegacy(file)
	abs, _ := filepath.Abs(file)
	want := abs + `:6: "this line is not a key" is neither a [section], a "key = value" line nor a comment: fix it, or start it with # to make it a comment`
	if err == nil || err.Error() != want {
		t.Errorf("LoadLegacy(malformed) =\n%v\nwant\n%s", err, want)
	}
}

func TestIsLegacy(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct {
		content string
		want    bool
	}{
		"ini":        {minimal, true},
		"ini-bom":    {"\uFEFF# c\n[AutoSync] ; x\npath = /a\n", true},
		"toml":       {"[[folder]]\npath = \"/a\"\n", false},
		"toml-xmpp":  {"[xmpp]\njid = \"a@b\"\n", false},
		"empty":      {"", false},
		"not-header": {"x = \"[autosync]\"\n", false},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := IsLegacy(p); got != tt.want {
			t.Errorf("IsLegacy(%s) = %v, want %v", name, got, tt.want)
		}
	}
	if IsLegacy(filepath.Join(dir, "missing")) {
		t.Error("IsLegacy of a missing file = true")
	}
}

// TestIgnorepathIsLiteral asks real git what the converted ignorepath
// entries ignore: exactly the listed paths and what is below them.
func TestIgnorepathIsLiteral(t *testing.T) {
	root := t.TempDir()
	patterns := ignorePatterns(".git .git/ my.dir src/packages weird[1]*? back\\slash "+filepath.Join(root, "abs/dir")+" ../outside /elsewhere",
		root, func(string, ...any) {})
	want := []string{"/my.dir", "/src/packages", `/weird\[1]\*\?`, `/back\\slash`, "/abs/dir"}
	if !reflect.DeepEqual(patterns, want) {
		t.Fatalf("patterns = %q, want %q", patterns, want)
	}
	gittest.Git(t, root, "init", "-q")
	excludes := filepath.Join(t.TempDir(), "excludes")
	if err := os.WriteFile(excludes, []byte(strings.Join(patterns, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, ignored := range map[string]bool{
		"my.dir": true, "my.dir/notes.txt": true, "myxdir": false, "myxdir/notes.txt": false, "sub/my.dir": false,
		"src/packages": true, "src/packages/a/b": true, "src/packagesfoo": false, "src/packages.old": false,
		"weird[1]*?": true, "weird1ab": false, `back\slash`: true, "backxslash": false, "abs/dir/x": true, "abs/dirt": false,
	} {
		cmd := exec.Command("git", "-c", "core.excludesFile="+excludes, "check-ignore", "-q", "--no-index", "--", path)
		cmd.Dir = root
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			if !ignored {
				t.Errorf("git ignores %s, but it is not in ignorepath", path)
			}
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			if ignored {
				t.Errorf("git does not ignore %s", path)
			}
		default:
			t.Fatalf("git check-ignore %s: %v", path, err)
		}
	}
}

func TestIgnorepathWarnsOutsidePath(t *testing.T) {
	var warnings []string
	ignorePatterns("../x /etc", "/home/u/notes", func(format string, args ...any) {
		warnings = append(warnings, format)
	})
	if len(warnings) != 2 {
		t.Errorf("want a warning for each path outside the folder, got %q", warnings)
	}
}

// TestConvert checks that `autosync config convert` output loads back to
// the same settings.
func TestConvert(t *testing.T) {
	for _, name := range []string{"git.autosync", "hg.autosync", "windows.autosync", "none.autosync"} {
		t.Run(name, func(t *testing.T) {
			c, _, _ := loadFixture(t, name)
			out, err := c.MarshalTOML()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(file, out, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Load(file)
			if err != nil {
				t.Fatalf("converted config does not load: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(got.Folders, c.Folders) || !reflect.DeepEqual(got.XMPP, c.XMPP) ||
				got.Notifications != c.Notifications || got.DeviceName != c.DeviceName || got.LogLevel != c.LogLevel {
				t.Errorf("converted config differs:\n got %+v %+v\nwant %+v %+v\n%s", got, got.XMPP, c, c.XMPP, out)
			}
			text := string(out)
			if !strings.Contains(text, "# - pidfile ("+c.Legacy.PIDFile+")") {
				t.Errorf("no note about the pidfile:\n%s", text)
			}
			if c.Legacy.GitDefaults() == strings.Contains(text, "NOT applied") {
				t.Errorf("git defaults %v, but the note on templates says otherwise:\n%s", c.Legacy.GitDefaults(), text)
			}
		})
	}
}

func TestConvertKeepsMercurialTemplatesAsComments(t *testing.T) {
	c, _, _ := loadFixture(t, "hg.autosync")
	out, _ := c.MarshalTOML()
	for _, want := range []string{"#   pullcmd = hg pull -u\n", "#   modifycmd = \n", "#   statuscmd = test \"`hg status`\" = \"\"\n", "also_notify = \"phone@example.org\"\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("converted hg config lacks %q:\n%s", want, out)
		}
	}
}
