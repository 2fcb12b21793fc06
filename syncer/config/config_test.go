package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/gittest"
)

func TestMain(m *testing.M) {
	// A fixed host name, so that defaults are predictable.
	hostname = func() (string, error) { return "testhost", nil }
	gittest.Main(m)
}

// writeConfig writes content to a config file in a fresh directory, with
// HOME pointed at another one, and returns the file's path and HOME.
func writeConfig(t *testing.T, name, content string) (file, home string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	file = filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, home
}

func dur(s string) *Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	v := Duration(d)
	return &v
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, toml string
		line       int
		key, msg   string
	}{
		{"bad duration", "[[folder]]\npath = \"/a\"\n\n[[folder]]\npath = \"/b\"\n\ncommit_delay = \"soon\"\n",
			7, "folder[1].commit_delay", `"soon" is not a duration (use Go durations like "500ms", "2s", "1m")`},
		{"negative duration", "[[folder]]\npath = \"/a\"\npush_delay = \"-1s\"\n",
			3, "folder[0].push_delay", `"-1s" is negative: use 0 or more`},
		{"duration without unit", "[[folder]]\npath = \"/a\"\nmax_delay = 5\n",
			3, "folder[0].max_delay", `5 has no unit: write a Go duration like "5s"`},
		{"duration as bool", "[[folder]]\npath = \"/a\"\nask_timeout = true\n",
			3, "folder[0].ask_timeout", `must be a duration in quotes, like "2s" (got true/false)`},
		{"unknown key with a guess", "device_name = \"x\"\n[[folder]]\npath = \"/a\"\ncommit_dealy = \"1s\"\n",
			4, "folder[0].commit_dealy", `unknown key: did you mean "commit_delay"? (valid here: ask_commit_message, ask_timeout, branch,`},
		{"unknown top-level key", "verbose = true\n",
			1, "verbose", "unknown key (valid here: device_name, folder, log_level, notifications, xmpp)"},
		{"unknown table", "[sync]\nx = 1\n",
			1, "sync", "unknown table (valid here:"},
		{"unknown xmpp key", "[xmpp]\njid = \"a@b\"\npassword = \"p\"\nport = 5222\n",
			4, "xmpp.port", "unknown key"},
		{"folder as a single table", "[folder]\npath = \"/a\"\n",
			1, "folder", "write [[folder]] (two pairs of brackets), one for each entry"},
		{"xmpp as array", "[[xmpp]]\njid = \"a@b\"\n",
			1, "xmpp", "write [xmpp] (one pair of brackets): there is only one"},
		{"tls maybe", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\ntls = \"maybe\"\n",
			4, "xmpp.tls", `"maybe" is not valid: use "starttls", "direct" or "none"`},
		{"tls as bool", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\ntls = true\n",
			4, "xmpp.tls", "must be a string in quotes (got true/false)"},
		{"tls none remote", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\nserver = \"xmpp.example.org:5222\"\ntls = \"none\"\n",
			5, "xmpp.tls", `"none" would send the password unencrypted`},
		{"missing path", "[[folder]]\ncommit_delay = \"1s\"\n",
			1, "folder[0].path", "missing or empty: every [[folder]] needs a path"},
		{"empty path", "[[folder]]\n\npath = \"  \"\n",
			3, "folder[0].path", "missing or empty"},
		{"unknown user in path", "[[folder]]\npath = \"~nosuchuser-autosync/notes\"\n",
			2, "folder[0].path", "cannot expand ~nosuchuser-autosync"},
		{"path not a string", "[[folder]]\npath = 3\n",
			2, "folder[0].path", "must be a string in quotes (got a number)"},
		{"duplicate folders", "[[folder]]\npath = \"/a/b\"\n[[folder]]\npath = \"/a/c/../b/\"\n",
			4, "folder[1].path", "/a/b is already folder[0], line 2: list each folder once"},
		{"max below commit", "[[folder]]\npath = \"/a\"\ncommit_delay = \"10s\"\nmax_delay = \"5s\"\n",
			4, "folder[0].max_delay", "max_delay (5s) is shorter than commit_delay (10s)"},
		{"bad size", "[[folder]]\npath = \"/a\"\nmax_file_size = \"12 parsecs\"\n",
			3, "folder[0].max_file_size", `"12 parsecs" is not a size`},
		{"zero size", "[[folder]]\npath = \"/a\"\nmax_file_size = 0\n",
			3, "folder[0].max_file_size", "must be more than 0"},
		{"zero ask timeout", "[[folder]]\npath = \"/a\"\nask_timeout = \"0s\"\n",
			3, "folder[0].ask_timeout", "must be more than 0"},
		{"ignore not a list", "[[folder]]\npath = \"/a\"\nignore = \"*.log\"\n",
			3, "folder[0].ignore", `must be a list of strings, like ["a", "b"] (got a string)`},
		{"ignore with a number", "[[folder]]\npath = \"/a\"\nignore = [\"*.log\", 3]\n",
			3, "folder[0].ignore", "an element is a number"},
		{"empty ignore pattern", "[[folder]]\npath = \"/a\"\nignore = [\"\"]\n",
			3, "folder[0].ignore", "has an empty pattern"},
		{"remote as option", "[[folder]]\npath = \"/a\"\nremote = \"--upload-pack=x\"\n",
			3, "folder[0].remote", `"--upload-pack=x" is not a valid remote name`},
		{"paused not bool", "[[folder]]\npath = \"/a\"\npaused = \"yes\"\n",
			3, "folder[0].paused", "must be true or false (got a string)"},
		{"log level", "log_level = \"loud\"\n",
			1, "log_level", `"loud" is not a log level: use "info", "debug", "warn" or "error"`},
		{"notification level", "[notifications]\nlevel = \"some\"\n",
			2, "notifications.level", `"some" is not a level: use "all", "changes", "errors" or "none"`},
		{"device name with slash", "device_name = \"a/b\"\n",
			1, "device_name", "cannot be part of a file name"},
		{"jid missing", "[xmpp]\npassword = \"p\"\n",
			1, "xmpp.jid", "missing: [xmpp] needs the account"},
		{"jid with resource", "[xmpp]\njid = \"me@example.org/home\"\npassword = \"p\"\n",
			2, "xmpp.jid", "write it as user@domain, without a /resource"},
		{"no password", "[xmpp]\njid = \"me@example.org\"\n",
			1, "xmpp.password_command", "missing: set password_command"},
		{"both passwords", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\npassword_command = [\"pass\"]\n",
			3, "xmpp.password", "set password or password_command, not both"},
		{"server without port", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\nserver = \"example.org\"\n",
			4, "xmpp.server", `"example.org" is not host:port`},
		{"allowed jid", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\nallowed_jids = [\"bob\"]\n",
			4, "xmpp.allowed_jids", `"bob" is not an XMPP account`},
		{"ca file missing", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\nca_file = \"nope.pem\"\n",
			4, "xmpp.ca_file", "cannot read"},
		{"xmpp poll negative", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\npoll_interval = \"-5m\"\n",
			4, "xmpp.poll_interval", "is negative"},
		{"inline table key", "[[folder]]\npath = \"/a\"\n[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\n[notifications]\nlevel = \"all\"\n" +
			"[[folder]]\npath = \"/b\"\nignore = [\"x\"]\n", 0, "", ""}, // valid: no error
		{"dotted inline folder", "folder = [{path = \"/a\"}, {path = \"/b\", push_delay = \"x\"}]\n",
			1, "folder[1].push_delay", `"x" is not a duration`},
		{"syntax error", "[[folder]]\npath = \"/a\ncommit_delay = \"1s\"\n",
			2, "", "(TOML syntax: the string has no closing quote)"},
		{"unquoted string", "[[folder]]\npath = /a\n",
			2, "", `(TOML syntax: text needs quotes, like path = "/a")`},
		{"missing value", "device_name =\n",
			1, "", "(TOML syntax: the value after device_name = is missing)"},
		{"windows path in double quotes", "[[folder]]\npath = \"C:\\Users\\me\"\n",
			2, "", "write Windows paths in single quotes"},
		{"broken header", "[[folder\npath = \"/a\"\n",
			1, "", "(TOML syntax; see https://toml.io)"},
		{"key defined twice", "[[folder]]\npath = \"/a\"\npath = \"/b\"\n",
			3, "folder[0].path", "is already set on line 2: keep one of them"},
		{"table defined twice", "[xmpp]\njid = \"me@example.org\"\n[notifications]\n[xmpp]\npassword = \"p\"\n",
			4, "xmpp", "[xmpp] is already on line 1: merge the two tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := writeConfig(t, "config.toml", tt.toml)
			_, err := Load(file)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load accepted:\n%s", tt.toml)
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error is %T, want *Error: %v", err, err)
			}
			want := file + ":" + strconv.Itoa(tt.line) + ": "
			if tt.key != "" {
				want += tt.key + ": "
			}
			first := strings.Split(err.Error(), "\n")[0]
			if !strings.HasPrefix(first, want) || !strings.Contains(first, tt.msg) {
				t.Errorf("Load error:\n%s\nwant a first line starting %q and containing %q", err, want, tt.msg)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	file, _ := writeConfig(t, "config.toml",
		"log_level = \"loud\"\n[[folder]]\npath = \"/a\"\ncommit_delay = \"soon\"\npush_delay = \"later\"\n")
	_, err := Load(file)
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 2 {
		t.Fatalf("want both bad durations reported, got %v", err)
	}
	if cerr.Problems[0].Line != 4 || cerr.Problems[1].Line != 5 {
		t.Errorf("problems not in file order: %v", cerr.Problems)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLoadDefaults(t *testing.T) {
	file, home := writeConfig(t, "config.toml", "[[folder]]\npath = \"~/notes\"\n[[folder]]\npath = \"rel/dir/\"\n")
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		DeviceName:    "testhost",
		LogLevel:      "info",
		Notifications: Notifications{Level: "all"},
		Source:        file,
		Folders: []Folder{
			{Path: filepath.Join(home, "notes")},
			{Path: filepath.Join(filepath.Dir(file), "rel", "dir")},
		},
	}
	for i := range want.Folders {
		f := &want.Folders[i]
		f.CommitDelay, f.MaxDelay, f.PushDelay = Duration(2*time.Second), Duration(time.Minute), Duration(time.Second)
		f.MaxFileSize, f.AskTimeout = 100_000_000, Duration(30*time.Second)
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load gave\n%+v\nwant\n%+v", c, want)
	}
	if c.XMPP != nil {
		t.Error("no [xmpp] table, but XMPP is set")
	}
	if got := c.Folders[0].Poll(false); got != 2*time.Minute {
		t.Errorf("Poll without XMPP = %v, want 2m", got)
	}
	if got := c.Folders[0].Poll(true); got != 15*time.Minute {
		t.Errorf("Poll with XMPP = %v, want 15m", got)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings for a plain private file: %q", w)
	}
}

func TestLoadExplicitZeroStays(t *testing.T) {
	file, _ := writeConfig(t, "config.toml", "[[folder]]\npath = \"/a\"\ncommit_delay = \"0s\"\npush_delay = \"0s\"\npoll_interval = \"0s\"\n")
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Folders[0]
	if f.CommitDelay != 0 || f.PushDelay != 0 || f.Poll(false) != 0 || f.Poll(true) != 0 {
		t.Errorf("explicit zeros replaced by defaults: %+v (poll %v/%v)", f, f.Poll(false), f.Poll(true))
	}
	if f.MaxDelay != Duration(DefaultMaxDelay) {
		t.Errorf("max_delay = %v, want the default", f.MaxDelay)
	}
}

func TestDefaultMaxDelayFollowsLongCommitDelay(t *testing.T) {
	file, _ := writeConfig(t, "config.toml", "[[folder]]\npath = \"/a\"\ncommit_delay = \"90s\"\n")
	c, err := Load(file)
	if err != nil {
		t.Fatalf("a commit_delay above the default max_delay must not be an error: %v", err)
	}
	if got := c.Folders[0].MaxDelay; got != Duration(90*time.Second) {
		t.Errorf("max_delay = %v, want 90s", got)
	}
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name       string
		folder     *Duration
		xmpp       *Duration
		up         bool
		want       time.Duration
		configured bool
	}{
		{"default, no xmpp", nil, nil, false, 2 * time.Minute, false},
		{"default, xmpp down", nil, nil, false, 2 * time.Minute, true},
		{"default, xmpp up", nil, nil, true, 15 * time.Minute, true},
		{"xmpp interval set, up", nil, dur("1h"), true, time.Hour, true},
		{"xmpp interval set, down", nil, dur("1h"), false, 2 * time.Minute, true},
		{"folder wins", dur("30s"), dur("1h"), true, 30 * time.Second, true},
		{"folder off", dur("0s"), nil, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Folders: []Folder{{Path: "/a", PollInterval: tt.folder}}}
			if tt.configured {
				c.XMPP = &XMPP{JID: "a@b", Password: "p", PollInterval: tt.xmpp}
			}
			c.ApplyDefaults()
			if got := c.Folders[0].Poll(tt.up); got != tt.want {
				t.Errorf("Poll(%v) = %v, want %v", tt.up, got, tt.want)
			}
		})
	}
}

func TestExampleLoads(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	c, err := Load(filepath.Join("testdata", "example.toml"))
	if err != nil {
		t.Fatalf("the example config does not load:\n%v", err)
	}
	if len(c.Folders) != 2 || c.Folders[0].Path != "/home/u/notes" || c.Folders[1].Path != "/home/u/Documents/thesis" {
		t.Errorf("folders: %+v", c.Folders)
	}
	f := c.Folders[0]
	if f.Remote != "origin" || f.Branch != "main" || !f.AskCommitMessage || f.MaxFileSize != 100_000_000 ||
		!reflect.DeepEqual(f.Ignore, []string{"*.log", "/build/"}) {
		t.Errorf("folder[0]: %+v", f)
	}
	if g := c.Folders[1]; g.CommitDelay != Duration(10*time.Second) || g.MaxDelay != Duration(5*time.Minute) {
		t.Errorf("folder[1]: %+v", g)
	}
	x := c.XMPP
	if x == nil || x.JID != "me@example.org" || x.TLS != "starttls" || x.Server != "xmpp.example.org:5222" ||
		!reflect.DeepEqual(x.PasswordCommand, []string{"pass", "show", "xmpp/me@example.org"}) ||
		x.AlsoNotify != "me@phone.example.org" || x.Poll() != Duration(15*time.Minute) {
		t.Errorf("xmpp: %+v", x)
	}
	if c.DeviceName != "laptop" || c.Notifications.Level != "all" {
		t.Errorf("top level: %+v", c)
	}
}

// TestEveryKeyIsDocumented keeps the example complete: each key of the
// structs appears in it.
func TestEveryKeyIsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var check func(reflect.Type)
	check = func(rt reflect.Type) {
		for i := range rt.NumField() {
			name := tagName(rt.Field(i))
			if name == "" {
				continue
			}
			if !strings.Contains(string(data), name+" =") && !strings.Contains(string(data), "["+name+"]") && !strings.Contains(string(data), "[["+name+"]]") {
				t.Errorf("testdata/example.toml does not show %s", name)
			}
			if ft := deref(rt.Field(i).Type); ft.Kind() == reflect.Struct {
				check(ft)
			} else if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				check(ft.Elem())
			}
		}
	}
	check(configType)
}

func TestXMPPDefaults(t *testing.T) {
	file, _ := writeConfig(t, "config.toml", "device_name = \"desk\"\n[xmpp]\njid = \"me@example.org\"\npassword_command = [\"pass\", \"xmpp\"]\n")
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if c.XMPP.TLS != "starttls" || c.XMPP.Resource != "AutosyncJabberBot on desk" || c.XMPP.Poll() != Duration(15*time.Minute) {
		t.Errorf("xmpp defaults: %+v", c.XMPP)
	}
}

func TestSetDeviceName(t *testing.T) {
	file, _ := writeConfig(t, "config.toml", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\n")
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeviceName("desk"); err != nil {
		t.Fatal(err)
	}
	if c.DeviceName != "desk" || c.XMPP.Resource != "AutosyncJabberBot on desk" {
		t.Errorf("after SetDeviceName: %q, resource %q", c.DeviceName, c.XMPP.Resource)
	}
	c.XMPP.Resource = "mine"
	if err := c.SetDeviceName("laptop"); err != nil || c.XMPP.Resource != "mine" {
		t.Errorf("SetDeviceName changed a resource the user chose: %q, %v", c.XMPP.Resource, err)
	}
	if err := c.SetDeviceName("a/b"); err == nil || c.DeviceName != "laptop" {
		t.Errorf("SetDeviceName(a/b) = %v, name now %q", err, c.DeviceName)
	}
}

func TestTLSNoneOnLoopback(t *testing.T) {
	for _, server := range []string{"127.0.0.1:5222", "[::1]:5222", "localhost:15222"} {
		file, _ := writeConfig(t, "config.toml", "[xmpp]\njid = \"me@example.org\"\npassword = \"p\"\ntls = \"none\"\nserver = \""+server+"\"\n")
		if _, err := Load(file); err != nil {
			t.Errorf("tls none with server %s: %v", server, err)
		}
	}
}

func TestFromFolder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c := FromFolder("notes/")
	if len(c.Folders) != 1 || c.Folders[0].Path != filepath.Join(dir, "notes") {
		t.Fatalf("FromFolder: %+v", c.Folders)
	}
	f := c.Folders[0]
	if f.CommitDelay != Duration(DefaultCommitDelay) || f.MaxDelay != Duration(DefaultMaxDelay) || f.PushDelay != Duration(DefaultPushDelay) ||
		f.MaxFileSize != DefaultMaxFileSize || f.AskTimeout != Duration(DefaultAskTimeout) || f.Poll(false) != DefaultPollInterval {
		t.Errorf("FromFolder defaults: %+v", f)
	}
	if c.DeviceName != "testhost" || c.LogLevel != "info" || c.Notifications.Level != "all" || c.XMPP != nil || c.Source != "" {
		t.Errorf("FromFolder: %+v", c)
	}
}

func TestDefaultPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CONFIG_HOME applies on Linux and the BSDs")
	}
	t.Setenv("XDG_CONFIG_HOME", "/x/conf")
	p, err := DefaultPath()
	if err != nil || p != "/x/conf/autosync/config.toml" {
		t.Errorf("DefaultPath = %q, %v", p, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.config/autosync/config.toml" {
		t.Errorf("DefaultPath without XDG_CONFIG_HOME = %q", p)
	}
}
