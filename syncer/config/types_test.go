package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSizeUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  string
	}{
		{"100", 100, ""},
		{"0", 0, ""},
		{"100_000_000", 100_000_000, ""}, // a TOML integer arrives as its digits
		{"0x10", 16, ""},
		{"100B", 100, ""},
		{"100MB", 100_000_000, ""},
		{"100 MB", 100_000_000, ""},
		{"100mb", 100_000_000, ""},
		{"2KB", 2000, ""},
		{"2KiB", 2048, ""},
		{"1.5GB", 1_500_000_000, ""},
		{"2GiB", 2 << 30, ""},
		{"3MiB", 3 << 20, ""},
		{"1GB", 1_000_000_000, ""},
		{"-5", 0, "is negative"},
		{"-5MB", 0, "is negative"},
		{"12 parsecs", 0, "is not a size"},
		{"MB", 0, "is not a size"},
		{"5M", 0, "is not a size"},
		{"", 0, "is not a size"},
		{"99999999999GiB", 0, "too large"},
	}
	for _, tt := range tests {
		var s Size
		err := s.UnmarshalText([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Size %q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || s != tt.want {
			t.Errorf("Size %q = %d, %v; want %d", tt.in, s, err, tt.want)
		}
	}
}

func TestSizeString(t *testing.T) {
	for s, want := range map[Size]string{
		0: "0B", 100_000_000: "100MB", 2 << 30: "2GiB", 1500: "1500B", 1536: "3KiB" /* 1536 = 1.5 KiB, not exact */, 1024: "1KiB", 7: "7B",
	} {
		if s == 1536 {
			want = "1536B"
		}
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", s, got, want)
		}
		var back Size
		if err := back.UnmarshalText([]byte(s.String())); err != nil || back != s {
			t.Errorf("Size(%d) does not round-trip through %q: %d, %v", s, s.String(), back, err)
		}
	}
}

func TestSizeFromTOMLInteger(t *testing.T) {
	file, _ := writeConfig(t, "config.toml", "[[folder]]\npath = \"/a\"\nmax_file_size = 1_048_576\n[[folder]]\npath = \"/b\"\nmax_file_size = \"1MiB\"\n")
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if c.Folders[0].MaxFileSize != 1<<20 || c.Folders[1].MaxFileSize != 1<<20 {
		t.Errorf("max_file_size: %d, %d; want 1048576 twice", c.Folders[0].MaxFileSize, c.Folders[1].MaxFileSize)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"500ms", 500 * time.Millisecond, ""},
		{"2s", 2 * time.Second, ""},
		{"1m", time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"0", 0, ""},
		{"0s", 0, ""},
		{" 2s ", 2 * time.Second, ""},
		{"soon", 0, `"soon" is not a duration (use Go durations like "500ms", "2s", "1m")`},
		{"5", 0, `5 has no unit: write a Go duration like "5s"`},
		{"1.5", 0, "has no unit"},
		{"-1s", 0, `"-1s" is negative: use 0 or more`},
		{"2 s", 0, "is not a duration"},
		{"", 0, "is not a duration"},
	}
	for _, tt := range tests {
		var d Duration
		err := d.UnmarshalText([]byte(tt.in))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Duration %q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || d.D() != tt.want {
			t.Errorf("Duration %q = %v, %v; want %v", tt.in, d.D(), err, tt.want)
		}
	}
	for d, want := range map[time.Duration]string{
		2 * time.Second: "2s", time.Minute: "1m", time.Hour: "1h", 90 * time.Minute: "1h30m",
		500 * time.Millisecond: "500ms", 0: "0s", 61 * time.Second: "1m1s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
		var back Duration
		if err := back.UnmarshalText([]byte(want)); err != nil || back.D() != d {
			t.Errorf("%q does not parse back to %v", want, d)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	ca := filepath.Join(home, "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{
		DeviceName: "desk \"quoted\" ünïcode",
		LogLevel:   "debug",
		Folders: []Folder{
			{Path: filepath.Join(home, "notes"), Remote: "origin", Branch: "main", CommitDelay: Duration(5 * time.Second),
				MaxDelay: Duration(10 * time.Minute), PushDelay: 0, PollInterval: dur("0s"),
				Ignore: []string{"*.log", `/odd\*name`, "tab\there"}, MaxFileSize: 2 << 30, Paused: true,
				LocalOnly: true, AskCommitMessage: true, AskTimeout: Duration(time.Minute)},
			{Path: filepath.Join(home, "docs")},
		},
		XMPP: &XMPP{JID: "me@example.org", Password: `p"a\ss`, Server: "127.0.0.1:5222", TLS: "none",
			CAFile: ca, Resource: "custom", AllowedJIDs: []string{"a@b.c"}, AlsoNotify: "n@b.c", PollInterval: dur("1h")},
		Notifications: Notifications{Level: "errors"},
	}
	c.DeviceName = "desk-ünïcode"
	file := filepath.Join(t.TempDir(), "sub", "dir", "config.toml")
	c.Source = file
	c.applyDefaults(func(k string) bool { return k == "folder[0].push_delay" }, "")
	if err := c.Save(file); err != nil {
		t.Fatal(err)
	}
	got, err := Load(file)
	if err != nil {
		data, _ := os.ReadFile(file)
		t.Fatalf("Load after Save: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, c) {
		data, _ := os.ReadFile(file)
		t.Errorf("round trip changed the config:\n got %+v\nwant %+v\nfile:\n%s", got, c, data)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), want)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("Save left files behind: %v", entries)
	}
}

func TestSaveReplacesAtomicallyAndKeepsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "config.toml")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c := FromFolder("/srv/notes")
	if err := c.Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced: %v %v", fi, err)
	}
	got, err := Load(link)
	if err != nil || got.Folders[0].Path != "/srv/notes" {
		t.Fatalf("Load after Save through a link: %+v, %v", got, err)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
		t.Errorf("saved file has mode %04o, want 0600", fi.Mode().Perm())
	}
}

func TestSaveFailsClearly(t *testing.T) {
	// A file where the directory should be: fails for root too.
	blocker := filepath.Join(t.TempDir(), "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := FromFolder("/a").Save(filepath.Join(blocker, "config.toml"))
	if err == nil || !strings.Contains(err.Error(), "save config") {
		t.Errorf("Save below a file: %v", err)
	}
}

func TestPasswordWarningByMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not checked on Windows")
	}
	const withPassword = "[xmpp]\njid = \"me@example.org\"\npassword = \"secret\"\n"
	const withCommand = "[xmpp]\njid = \"me@example.org\"\npassword_command = [\"pass\", \"xmpp\"]\n"
	tests := []struct {
		name, content string
		mode          os.FileMode
		want          []string
	}{
		{"private", withPassword, 0o600, nil},
		{"group readable", withPassword, 0o640, []string{"holds the XMPP password and other users can read it (mode 0640): run chmod 600 "}},
		{"world readable", withPassword, 0o644, []string{"run chmod 600"}},
		{"readable, no password", withCommand, 0o644, nil},
		{"group writable", withCommand, 0o664, []string{"can be changed by other users (mode 0664): run chmod go-w"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := writeConfig(t, "config.toml", tt.content)
			if err := os.Chmod(file, tt.mode); err != nil {
				t.Fatal(err)
			}
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			w := c.Warnings()
			if len(w) != len(tt.want) {
				t.Fatalf("warnings %q, want %d", w, len(tt.want))
			}
			for i := range w {
				if !strings.Contains(w[i], tt.want[i]) || !strings.Contains(w[i], file) {
					t.Errorf("warning %q, want it to name %s and say %q", w[i], file, tt.want[i])
				}
			}
		})
	}
}

// BenchmarkLoadExample measures reading the full example config, which
// autosync does once at start.
func BenchmarkLoadExample(b *testing.B) {
	file := filepath.Join("testdata", "example.toml")
	for b.Loop() {
		if _, err := Load(file); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadLegacy measures reading dvcs-autosync's git example.
func BenchmarkLoadLegacy(b *testing.B) {
	file := filepath.Join("testdata", "legacy", "git.autosync")
	for b.Loop() {
		if _, err := LoadLegacy(file); err != nil {
			b.Fatal(err)
		}
	}
}
