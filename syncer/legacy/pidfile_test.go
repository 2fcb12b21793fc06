package legacy_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/autosync-dev/autosync/syncer/legacy"
)

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	// The test binary itself, running no test, exits at once.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestPIDFile(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	t.Run("fresh", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "autosync.pid")
		p, err := legacy.WritePIDFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != me {
			t.Fatalf("pidfile holds %q, want %q (no newline, as dvcs-autosync wrote it)", got, me)
		}
		if p.Replaced() != "" {
			t.Errorf("a fresh file reported as replaced: %s", p.Replaced())
		}
		if err := p.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatal("pidfile not removed")
		}
		if err := p.Remove(); err != nil {
			t.Fatalf("second Remove: %v", err)
		}
	})
	t.Run("live instance refuses, naming its PID", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, ".autosync.pid")
		for _, content := range []string{me, me + "\n"} {
			os.WriteFile(path, []byte(content), 0o644)
			_, err := legacy.WritePIDFile(path)
			var re *legacy.RunningError
			if !errors.As(err, &re) || !errors.Is(err, legacy.ErrRunning) || re.PID != os.Getpid() {
				t.Fatalf("pidfile %q: %v; want a RunningError for our PID", content, err)
			}
			want := "already running with config " + filepath.Join(dir, ".autosync") + " under PID " + me + "; stop it first"
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
			if got, _ := os.ReadFile(path); string(got) != content {
				t.Fatal("the live instance's pidfile was changed")
			}
		}
	})
	t.Run("stale file is replaced", func(t *testing.T) {
		dead := strconv.Itoa(deadPID(t))
		for _, content := range []string{dead, dead + "\n", "garbage", ""} {
			path := filepath.Join(t.TempDir(), "x.pid")
			os.WriteFile(path, []byte(content), 0o644)
			p, err := legacy.WritePIDFile(path)
			if err != nil {
				t.Fatalf("stale pidfile %q: %v", content, err)
			}
			if got, _ := os.ReadFile(path); string(got) != me {
				t.Fatalf("stale pidfile %q not replaced: %q", content, got)
			}
			if p.Replaced() == "" {
				t.Errorf("replacing %q gave no notice", content)
			}
			p.Remove()
		}
	})
	t.Run("remove leaves another instance's file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.pid")
		p, err := legacy.WritePIDFile(path)
		if err != nil {
			t.Fatal(err)
		}
		other := strconv.Itoa(deadPID(t))
		os.WriteFile(path, []byte(other), 0o644) // another instance took over
		if err := p.Remove(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != other {
			t.Fatalf("Remove deleted or changed another instance's pidfile: %q", got)
		}
	})
	t.Run("unwritable folder", func(t *testing.T) {
		_, err := legacy.WritePIDFile(filepath.Join(t.TempDir(), "missing", "x.pid"))
		if err == nil || !strings.Contains(err.Error(), "pidfile") {
			t.Fatalf("err = %v; want one that says to fix pidfile", err)
		}
	})
}
