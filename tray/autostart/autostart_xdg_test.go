//go:build linux

package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// validate runs desktop-file-validate on path: the check desktops
// themselves apply. Missing tool: skip, or fail under CI=true.
func validate(t *testing.T, path string) {
	t.Helper()
	tool, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("desktop-file-validate not found (package desktop-file-utils); .ci/desktop-harness.sh install installs it")
		}
		t.Skip("desktop-file-validate not found: apt-get install desktop-file-utils")
	}
	out, err := exec.Command(tool, path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
}

func TestEnableDisableStatus(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	want := filepath.Join(cfg, "autostart", "autosync.desktop")
	if p, _ := Location(); p != want {
		t.Fatalf("Location() = %q, want %q", p, want)
	}
	if on, err := Enabled(); on || err != nil {
		t.Fatalf("before enable: Enabled() = %v, %v; want false, nil", on, err)
	}
	if err := Enable(); err != nil {
		t.Fatal(err)
	}
	if on, err := Enabled(); !on || err != nil {
		t.Fatalf("after enable: Enabled() = %v, %v; want true, nil", on, err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := executable()
	if !filepath.IsAbs(exe) || !strings.Contains(string(b), "\nExec="+execQuote(exe)+"\n") {
		t.Errorf("entry does not run the absolute path %q:\n%s", exe, b)
	}
	validate(t, want)
	if err := Enable(); err != nil { // twice is fine
		t.Fatal(err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Errorf("after disable the entry is still there (%v)", err)
	}
	if on, err := Enabled(); on || err != nil {
		t.Fatalf("after disable: Enabled() = %v, %v; want false, nil", on, err)
	}
	if err := Disable(); err != nil {
		t.Errorf("disable when disabled: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(want)); len(ents) != 0 {
		t.Errorf("left files behind: %v", ents)
	}
}

func TestHomeFallbackWithoutXDG(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "relative/is/ignored")
	p, err := Location()
	if want := filepath.Join(home, ".config", "autostart", "autosync.desktop"); p != want || err != nil {
		t.Errorf("Location() = %q, %v; want %q", p, err, want)
	}
}

// The desktop's own "off" switches count as disabled: the status must say
// what will happen at the next login.
func TestEnabledHonoursDesktopSwitches(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Run(line, func(t *testing.T) {
			t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			if err := Enable(); err != nil {
				t.Fatal(err)
			}
			p, _ := Location()
			b, _ := os.ReadFile(p)
			s := strings.Replace(string(b), "X-GNOME-Autostart-enabled=true\n", "", 1) + line + "\n"
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			if on, err := Enabled(); on || err != nil {
				t.Errorf("Enabled() = %v, %v with %s; want false", on, err, line)
			}
		})
	}
}

// Paths with spaces, quotes, percent signs and backslashes must survive the
// desktop entry's two layers of escaping and still validate.
func TestEntryQuoting(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		exe  string
		args []string
		want string
	}{
		{"/usr/bin/autosync", nil, "Exec=/usr/bin/autosync\n"},
		{"/opt/my apps/autosync", []string{"--config", "/home/u/a b.toml"}, `Exec="/opt/my apps/autosync" --config "/home/u/a b.toml"` + "\n"},
		{"/opt/100%/autosync", nil, "Exec=/opt/100%%/autosync\n"},
		{`/opt/we"ird$/x\y`, nil, `Exec="/opt/we\\"ird\\$/x\\\\y"` + "\n"},
	} {
		e := Entry(tc.exe, tc.args)
		if !strings.Contains(e, tc.want) {
			t.Errorf("Entry(%q, %q) has no line %q:\n%s", tc.exe, tc.args, tc.want, e)
		}
		p := filepath.Join(dir, "autosync.desktop")
		if err := os.WriteFile(p, []byte(e), 0o644); err != nil {
			t.Fatal(err)
		}
		validate(t, p)
	}
}
