package main

// End-to-end tests for dvcs-autosync users: the real binary run with an
// old ~/.autosync-style INI file, unchanged.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/config"
	"github.com/autosync-dev/autosync/syncer/gittest"
)

// gitDefaults is the [dvcs] section of dvcs-autosync's example.
const gitDefaults = `[dvcs]
statuscmd = git status | grep -iq "nothing to commit"
addcmd = git add %s
rmcmd = git rm -r %s
modifycmd = git add %s
movecmd = git rm %s
    git add %s
startupcmd = git add -A
commitcmd = git commit -m %s
pushcmd = git push
pullcmd = git pull
remoteurlcmd = git config --get remote.origin.url
`

// writeLegacy writes a dvcs-autosync config for folder and returns its
// path. The XMPP account points at loopback, where nothing listens: the
// instances find each other's pushes by polling and `autosync sync`.
func writeLegacy(t *testing.T, folder, syncmethod string) string {
	t.Helper()
	return writeLegacyWith(t, folder, syncmethod, gitDefaults)
}

// hgTemplates is the Mercurial set of dvcs-autosync's example.
const hgTemplates = `[dvcs]
statuscmd = test "` + "`hg status`" + `" = ""
addcmd = hg add
rmcmd = hg remove
modifycmd =
movecmd = hg mv %s %s
startupcmd = hg addremove
commitcmd = hg commit -m %s
pushcmd = hg push
pullcmd = hg pull -u
remoteurlcmd = hg showconfig paths.default
`

func writeLegacyWith(t *testing.T, folder, syncmethod, dvcs string) string {
	t.Helper()
	ini := filepath.Join(t.TempDir(), "autosync.ini")
	content := fmt.Sprintf(`# dvcs-autosync config
[autosync]
path = %s
syncmethod = %s
pulllock = conservative
readfrequency = 0
ignorepath = .git .hg

%s
[xmpp]
username = autosync-e2e@127.0.0.1
password = not-used
`, folder, syncmethod, dvcs)
	if err := os.WriteFile(ini, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return ini
}

// startLegacy runs `autosync --no-tray INI` and waits until its folder is
// idle.
func startLegacy(t *testing.T, name, ini string) *proc {
	t.Helper()
	p := launchLegacy(t, name, ini)
	gittest.Eventually(t, 30*time.Second, name+" answering status", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("%s exited: %v\n%s", name, p.waitErr, p.log)
		default:
		}
		st, ok := p.status()
		return ok && len(st) == 1 && len(st[0].Folders) == 1 && st[0].Folders[0].State.String() == "idle"
	})
	return p
}

func launchLegacy(t *testing.T, name, ini string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, ctlDir: filepath.Join(t.TempDir(), "ctl"), log: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, "--no-tray", ini)
	p.cmd.Env = append(p.env(), "HOME="+t.TempDir())
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.exited
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.log)
		}
	})
	return p
}

// exited waits for p to exit by itself.
func (p *proc) waitExit(limit time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(limit):
		return false
	}
}

func TestLegacyConfigTwoInstancesSyncAGitFolder(t *testing.T) {
	remote := gittest.NewRemote(t)
	a := startLegacy(t, "laptop", writeLegacy(t, gittest.Clone(t, remote, "a"), "xmpp"))
	bDir := gittest.Clone(t, remote, "b")
	b := startLegacy(t, "desktop", writeLegacy(t, bDir, "xmpp"))

	aDir := a.folder().Path
	gittest.WriteFile(t, aDir, "from laptop.md", "written with an old config\n")
	gittest.Eventually(t, 30*time.Second, "the laptop's file on the desktop", func() bool {
		b.ctl("sync")
		return fileIs(bDir, "from laptop.md", "written with an old config\n")()
	})
	gittest.WriteFile(t, bDir, "from desktop.md", "and back\n")
	gittest.Eventually(t, 30*time.Second, "the desktop's file on the laptop", func() bool {
		a.ctl("sync")
		return fileIs(aDir, "from desktop.md", "and back\n")()
	})
	// The native git engine ran: one batched commit per change, in
	// autosync's words, not dvcs-autosync's one commit per file.
	log := gittest.Git(t, remote, "log", "--format=%s", "main")
	if !strings.Contains(log, "autosync on ") {
		t.Fatalf("remote log not written by autosync's engine:\n%s", log)
	}
}

func TestLegacySyncMethodNoneCommitsLocallyOnly(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	before := gittest.Git(t, remote, "rev-parse", "main")
	p := startLegacy(t, "laptop", writeLegacy(t, dir, "none"))
	gittest.WriteFile(t, dir, "diary.md", "local history only\n")
	gittest.Eventually(t, 30*time.Second, "a local commit", func() bool {
		out, err := gittest.Run(dir, "log", "-1", "--format=%s")
		return err == nil && strings.Contains(out, "diary.md")
	})
	gittest.Eventually(t, 10*time.Second, "idle", func() bool { return p.folder().State.String() == "idle" })
	if after := gittest.Git(t, remote, "rev-parse", "main"); after != before {
		t.Fatal("syncmethod = none pushed to the remote")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if !p.waitExit(20 * time.Second) {
		t.Fatal("no exit after SIGTERM")
	}
	log := p.log.String()
	for _, bad := range []string{"level=WARN", "level=ERROR", "No synchronization method"} {
		if strings.Contains(log, bad) {
			t.Errorf("syncmethod = none gave a warning (%s):\n%s", bad, log)
		}
	}
	if strings.Contains(log, "fetch") && strings.Contains(log, "pushed") {
		t.Errorf("syncmethod = none talked to the remote:\n%s", log)
	}
}

func TestLegacyPIDFile(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	ini := writeLegacy(t, dir, "none")
	pidfile := ini + ".pid" // the default: the config file plus .pid

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p := startLegacy(t, "laptop", ini)
			pid := strconv.Itoa(p.cmd.Process.Pid)
			if got, err := os.ReadFile(pidfile); err != nil || strings.TrimSpace(string(got)) != pid {
				t.Fatalf("pidfile %s holds %q (%v), want %s", pidfile, got, err, pid)
			}
			// A second start with the same config is refused, naming the PID.
			second := launchLegacy(t, "second", ini)
			if !second.waitExit(20 * time.Second) {
				t.Fatal("a second instance with the same config kept running")
			}
			if out := second.log.String(); !strings.Contains(out, "already running with config") || !strings.Contains(out, "PID "+pid) {
				t.Fatalf("second instance said %q; want it to name the config and PID %s", out, pid)
			}
			if got, _ := os.ReadFile(pidfile); strings.TrimSpace(string(got)) != pid {
				t.Fatalf("the refused instance changed the pidfile: %q", got)
			}
			p.cmd.Process.Signal(sig)
			if !p.waitExit(20 * time.Second) {
				t.Fatalf("no exit after %v", sig)
			}
			if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
				t.Fatalf("pidfile left behind after %v", sig)
			}
		})
	}

	t.Run("stale", func(t *testing.T) {
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(pidfile, []byte(strconv.Itoa(dead.Process.Pid)), 0o644)
		p := startLegacy(t, "laptop", ini)
		if got, _ := os.ReadFile(pidfile); strings.TrimSpace(string(got)) != strconv.Itoa(p.cmd.Process.Pid) {
			t.Fatalf("stale pidfile not replaced: %q", got)
		}
		if !strings.Contains(p.log.String(), strconv.Itoa(dead.Process.Pid)) {
			t.Errorf("replacing the stale pidfile was not logged:\n%s", p.log)
		}
	})
}

func TestLegacyMalformedConfigNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "broken.autosync")
	content := "[autosync]\npath = " + dir + "\nsyncmethod = none\npulllock = conservative\nreadfrequency = 5\nthis line is not a key\nignorepath = .git\n\n" + gitDefaults
	os.WriteFile(ini, []byte(content), 0o600)
	cmd := exec.Command(binary, "--no-tray", ini)
	cmd.Env = append(os.Environ(), "AUTOSYNC_CONTROL_DIR="+filepath.Join(dir, "ctl"), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != exitUsage || !strings.Contains(string(out), "broken.autosync:6:") {
		t.Fatalf("exit %d, output %q; want exit %d naming broken.autosync:6:", code, out, exitUsage)
	}
	if strings.Contains(string(out), "panic") {
		t.Fatalf("a panic reached the user: %s", out)
	}
}

func TestLegacyConfigConvert(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	ini := writeLegacy(t, dir, "none")
	out := filepath.Join(t.TempDir(), "config.toml")
	cmd := exec.Command(binary, "config", "convert", ini, out)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("config convert: %v\n%s", err, b)
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("the converted TOML does not load: %v", err)
	}
	if len(cfg.Folders) != 1 || !cfg.Folders[0].LocalOnly {
		t.Fatalf("converted config: %+v; want one local-only folder", cfg.Folders)
	}
	if got, _ := filepath.EvalSymlinks(cfg.Folders[0].Path); got != mustEval(t, dir) {
		t.Fatalf("converted folder %q, want %q", cfg.Folders[0].Path, dir)
	}
	// And the binary runs with it.
	p := launchLegacy(t, "converted", out)
	gittest.Eventually(t, 30*time.Second, "the converted config running", func() bool {
		st, ok := p.status()
		return ok && len(st) == 1 && len(st[0].Folders) == 1
	})
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireHg skips without Mercurial, and fails under CI=true.
func requireHg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("hg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("hg is not installed (CI=true: a missing dependency is a failure); install the Debian package mercurial")
		}
		t.Skip("hg is not installed; apt-get install mercurial to run this test")
	}
}

func hgRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("hg", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HGPLAIN=1", "HGUSER=Test User <test@example.invalid>")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// hgClones makes a Mercurial repository with one commit and n clones.
func hgClones(t *testing.T, n int) (string, []string) {
	t.Helper()
	base := t.TempDir()
	remote := filepath.Join(base, "remote")
	hgRun(t, base, "init", remote)
	seed := filepath.Join(base, "seed")
	hgRun(t, base, "clone", "-q", remote, seed)
	os.WriteFile(filepath.Join(seed, "README"), []byte("notes\n"), 0o644)
	hgRun(t, seed, "commit", "-A", "-m", "seed")
	hgRun(t, seed, "push", "-q")
	var clones []string
	for i := range n {
		c := filepath.Join(base, fmt.Sprintf("clone%d", i))
		hgRun(t, base, "clone", "-q", remote, c)
		clones = append(clones, c)
	}
	return remote, clones
}

func TestLegacyMercurialLocalOnly(t *testing.T) {
	requireHg(t)
	t.Setenv("HGUSER", "Test User <test@example.invalid>")
	remote, clones := hgClones(t, 1)
	dir := clones[0]
	p := startLegacy(t, "laptop", writeLegacyWith(t, dir, "none", hgTemplates))
	os.WriteFile(filepath.Join(dir, "diary.md"), []byte("kept in Mercurial\n"), 0o644)
	gittest.Eventually(t, 30*time.Second, "a local hg commit", func() bool {
		return strings.Contains(hgRun(t, dir, "log", "-l", "1", "-T", "{desc|firstline}"), "diary.md")
	})
	gittest.Eventually(t, 10*time.Second, "idle", func() bool { return p.folder().State.String() == "idle" })
	if hgRun(t, dir, "status") != "" {
		t.Fatalf("uncommitted changes left: %s", hgRun(t, dir, "status"))
	}
	if strings.Contains(hgRun(t, remote, "log", "-T", "{desc}\n"), "diary.md") {
		t.Fatal("syncmethod = none pushed to the remote")
	}
}

func TestLegacyMercurialTwoInstances(t *testing.T) {
	requireHg(t)
	t.Setenv("HGUSER", "Test User <test@example.invalid>")
	_, clones := hgClones(t, 2)
	aDir, bDir := clones[0], clones[1]
	a := startLegacy(t, "laptop", writeLegacyWith(t, aDir, "xmpp", hgTemplates))
	b := startLegacy(t, "desktop", writeLegacyWith(t, bDir, "xmpp", hgTemplates))
	os.WriteFile(filepath.Join(aDir, "from laptop.md"), []byte("through hg\n"), 0o644)
	gittest.Eventually(t, 60*time.Second, "the laptop's file on the desktop", func() bool {
		b.ctl("sync")
		return fileIs(bDir, "from laptop.md", "through hg\n")()
	})
	os.Remove(filepath.Join(bDir, "README"))
	gittest.Eventually(t, 60*time.Second, "the desktop's deletion on the laptop", func() bool {
		a.ctl("sync")
		_, err := os.Stat(filepath.Join(aDir, "README"))
		return os.IsNotExist(err)
	})
}
