package legacy

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/config"
)

// loadFixture reads one of the config package's dvcs-autosync fixtures.
func loadFixture(t *testing.T, name string) map[string]string {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	c, err := config.LoadLegacy(filepath.Join("..", "config", "testdata", "legacy", name))
	if err != nil {
		t.Fatal(err)
	}
	return c.Legacy.Commands
}

func TestExpandAsDvcsAutosyncDid(t *testing.T) {
	git := loadFixture(t, "git.autosync")
	hg := loadFixture(t, "hg.autosync")
	win := loadFixture(t, "windows.autosync")
	src, dst := "/home/me/my notes/old name.txt", "/home/me/my notes/new name.txt"
	msg := "autosync on laptop: edit a b.txt\n\nedit a b.txt\n"
	tests := []struct {
		name     string
		template string
		args     []string
		want     [][]string
	}{
		{"git add takes the path as one argument", git["addcmd"], []string{src}, [][]string{{"git", "add", src}}},
		{"git rm -r", git["rmcmd"], []string{src}, [][]string{{"git", "rm", "-r", src}}},
		{"git move: source on line 1, destination on line 2", git["movecmd"], []string{src, dst}, [][]string{{"git", "rm", src}, {"git", "add", dst}}},
		{"git startup ignores arguments", git["startupcmd"], []string{src}, [][]string{{"git", "add", "-A"}}},
		{"git commit message stays one argument", git["commitcmd"], []string{msg}, [][]string{{"git", "commit", "-m", msg}}},
		{"git remote url", git["remoteurlcmd"], nil, [][]string{{"git", "config", "--get", "remote.origin.url"}}},
		{"hg add without %s adds everything", hg["addcmd"], []string{src}, [][]string{{"hg", "add"}}},
		{"hg modifycmd is empty: nothing runs", hg["modifycmd"], []string{src}, nil},
		{"hg mv on one line takes both", hg["movecmd"], []string{src, dst}, [][]string{{"hg", "mv", src, dst}}},
		{"hg pull -u", hg["pullcmd"], nil, [][]string{{"hg", "pull", "-u"}}},
		{"hg commit", hg["commitcmd"], []string{msg}, [][]string{{"hg", "commit", "-m", msg}}},
		{"windows git.cmd move", win["movecmd"], []string{`C:\a b\x`, `C:\a b\y`}, [][]string{{"git.cmd", "rm", `C:\a b\x`}, {"git.cmd", "add", `C:\a b\y`}}},
		{"windows push", win["pushcmd"], nil, [][]string{{"git.cmd", "push"}}},
		{"runs of spaces are one separator", "git  add   %s", []string{src}, [][]string{{"git", "add", src}}},
		{"a %s inside a token is not replaced", "echo x%s %s", []string{"A"}, [][]string{{"echo", "x%s", "A"}}},
		{"empty template", "", []string{src}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.template, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Expand(%q, %q) =\n%q\nwant\n%q", tt.template, tt.args, got, tt.want)
			}
		})
	}
	if _, err := Expand("hg mv %s %s", "only one"); err == nil {
		t.Fatal("a template with more placeholders than arguments was accepted")
	}
}

// argvScript writes a script that records its arguments, one per line,
// into out, and returns its path.
func argvScript(t *testing.T, dir, out string) string {
	t.Helper()
	p := filepath.Join(dir, "record")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '" + out + "'; done\nprintf -- '--\\n' >> '" + out + "'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTemplatesRunWithoutAShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "argv")
	rec := argvScript(t, t.TempDir(), out)
	r := &runner{dir: dir, timeout: time.Minute}
	path := filepath.Join(dir, "my file; $(touch pwned) `x`.txt")
	if _, err := r.runTemplate(t.Context(), "movecmd", rec+" a %s\n"+rec+" %s b", path, path+" 2"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "a\n" + path + "\n--\n" + path + " 2\nb\n--\n"
	if string(got) != want {
		t.Fatalf("argv recorded:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("a path was run through a shell")
	}
	// The cwd is the folder.
	if _, err := r.runTemplate(t.Context(), "addcmd", "touch here"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "here")); err != nil {
		t.Fatal("a template did not run in the folder:", err)
	}
}

func TestEmptyTemplateIsANoOp(t *testing.T) {
	r := &runner{dir: t.TempDir(), timeout: time.Minute}
	for _, tmpl := range []string{"", "   ", "\n\n"} {
		if _, err := r.runTemplate(t.Context(), "modifycmd", tmpl, "/some/path"); err != nil {
			t.Fatalf("empty template %q: %v", tmpl, err)
		}
	}
}

func TestStatusCmdRunsInAShell(t *testing.T) {
	dir := t.TempDir()
	r := &runner{dir: dir, timeout: time.Minute}
	tests := []struct {
		script string
		clean  bool
	}{
		{`echo "nothing to commit" | grep -iq "nothing to commit"`, true},
		{`echo "changes" | grep -iq "nothing to commit"`, false},
		{"test \"`echo`\" = \"\"", true}, // the Mercurial example's form
		{"test \"`echo M x`\" = \"\"", false},
		{"test -e marker", false},
	}
	for _, tt := range tests {
		clean, err := r.runShell(t.Context(), "statuscmd", tt.script)
		if err != nil {
			t.Fatalf("%s: %v", tt.script, err)
		}
		if clean != tt.clean {
			t.Errorf("%s: clean = %v, want %v", tt.script, clean, tt.clean)
		}
	}
	if _, err := r.runShell(t.Context(), "statuscmd", ""); err == nil {
		t.Error("an empty statuscmd gave no error")
	}
}

func TestFailedCommandErrorHasItsOutput(t *testing.T) {
	r := &runner{dir: t.TempDir(), timeout: time.Minute}
	_, err := r.runTemplate(t.Context(), "pushcmd", "sh -c echo\nls /definitely/not/here")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"pushcmd", "ls /definitely/not/here", "No such file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	_, err = r.runTemplate(t.Context(), "pushcmd", "no-such-program-autosync")
	if err == nil || !strings.Contains(err.Error(), "no-such-program-autosync") {
		t.Errorf("missing program: %v", err)
	}
	short := &runner{dir: t.TempDir(), timeout: 50 * time.Millisecond}
	_, err = short.runTemplate(context.Background(), "pullcmd", "sleep 10")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("hanging command: %v", err)
	}
}

func TestConflictNamesRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	for _, tt := range []struct{ rel, device string }{
		{"notes.md", "laptop"}, {"a/b/archive.tar.gz", "my pc"}, {".bashrc", "x"}, {"Makefile", "a (b)"},
	} {
		for n := 1; n <= 3; n++ {
			cp := conflictName(tt.rel, tt.device, now, n)
			orig, dev, when, ok := parseConflictName(cp)
			if !ok || orig != tt.rel || dev != safeDevice(tt.device) || !when.Equal(now) {
				t.Errorf("%q -> %q -> %q %q %v %v", tt.rel, cp, orig, dev, when, ok)
			}
		}
	}
	if _, _, _, ok := parseConflictName("a (conflict from nothing).txt"); ok {
		t.Error("a name without a time parsed as a conflict copy")
	}
}
