//go:build !windows

package legacy

// Tests that run small sh scripts as template commands.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
