//go:build !windows

package legacy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/legacy"
)

// recorder writes a script that appends "NAME ARGS..." to log, one line
// per call, and exits with code.
func recorder(t *testing.T, log, name string, code int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	script := "#!/bin/sh\nprintf '%s' '" + name + "' >> '" + log + "'\nfor a in \"$@\"; do printf ' [%s]' \"$a\" >> '" + log + "'; done\necho >> '" + log + "'\nexit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStageRunsPerPathTemplatesAsTheOldToolDid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "calls")
	add, addAll, rm, startup, fail := recorder(t, log, "add", 0), recorder(t, log, "addall", 0), recorder(t, log, "rm", 0), recorder(t, log, "startup", 0), recorder(t, log, "fail", 1)
	base := map[string]string{
		"statuscmd": "false", "addcmd": add + " %s", "rmcmd": rm + " %s", "modifycmd": "",
		"movecmd": "", "startupcmd": startup, "commitcmd": "true %s", "pushcmd": "true",
		"pullcmd": "true", "remoteurlcmd": "echo url",
	}
	os.WriteFile(filepath.Join(dir, "a b.txt"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.txt"), []byte("x"), 0o644)
	stage := func(edit func(map[string]string), paths ...string) string {
		t.Helper()
		cmds := map[string]string{}
		for k, v := range base {
			cmds[k] = v
		}
		if edit != nil {
			edit(cmds)
		}
		repo, err := legacy.Open(t.Context(), dir, cmds, legacy.Options{Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		repo.Stage(t.Context()) // the first Stage looks at everything
		os.Remove(log)
		repo.Hint(paths, false)
		if _, _, err := repo.Stage(t.Context()); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(log)
		return string(b)
	}
	a, c, gone := filepath.Join(dir, "a b.txt"), filepath.Join(dir, "c.txt"), filepath.Join(dir, "gone.txt")
	tests := []struct {
		name  string
		edit  func(map[string]string)
		paths []string
		want  string
	}{
		{"one call per path, absolute, spaces kept", nil, []string{"a b.txt", "c.txt", "gone.txt"},
			"add [" + a + "]\nadd [" + c + "]\nrm [" + gone + "]\n"},
		{"a template without %s runs once", func(m map[string]string) { m["addcmd"] = addAll }, []string{"a b.txt", "c.txt"},
			"addall\n"},
		{"a failing per-path command falls back to startupcmd", func(m map[string]string) { m["addcmd"] = fail + " %s" }, []string{"c.txt"},
			"fail [" + c + "]\nstartup\n"},
		{"the tool's own directories are never passed", nil, []string{".hg/store", ".git/index", "c.txt"},
			"add [" + c + "]\n"},
	}
	for _, tt := range tests {
		if got := stage(tt.edit, tt.paths...); got != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
	if got := stage(nil); !strings.Contains(got, "startup") {
		t.Errorf("a Stage without hints did not look at everything: %q", got)
	}
}
