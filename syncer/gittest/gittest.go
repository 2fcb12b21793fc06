// Package gittest builds real git repositories for tests: a bare remote and
// clones of it in temporary directories, with git's configuration isolated
// from the machine's (no system config, a global config of its own, a fixed
// author). It is imported only by tests.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Main isolates git for the whole test binary and runs the tests. Use it as
// TestMain: func TestMain(m *testing.M) { gittest.Main(m) }.
//
// Without git on PATH the tests that need it (those calling Require,
// NewRemote or Clone) are skipped with a message, except under CI=true where
// a missing git is a failure.
func Main(m *testing.M) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: git is not installed (CI=true: a missing dependency is a failure)")
			os.Exit(1)
		}
		gitMissing = true
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gittest-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := Isolate(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var gitMissing bool

// Require skips the test when git is not installed (see Main).
func Require(t testing.TB) {
	t.Helper()
	if gitMissing {
		t.Skip("git is not installed; install git to run this test")
	}
}

// Isolate points git at a global config in dir (with an author, main as the
// default branch) and away from the system config and any repository named
// by the environment. It changes the process environment, so that every git
// the code under test starts sees the same.
func Isolate(dir string) error {
	global := filepath.Join(dir, "gitconfig")
	cfg := "[user]\n\tname = Test User\n\temail = test@example.invalid\n" +
		"[init]\n\tdefaultBranch = main\n" +
		"[core]\n\tautocrlf = false\n" +
		"[protocol \"file\"]\n\tallow = always\n" +
		// A detached auto-gc after a big commit would still be writing
		// in .git when the test removes its temp dir.
		"[gc]\n\tautoDetach = false\n"
	if err := os.WriteFile(global, []byte(cfg), 0o600); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL":   global,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_TERMINAL_PROMPT": "0",
		"XDG_CONFIG_HOME":     filepath.Join(dir, "xdg-config"),
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"} {
		os.Unsetenv(k)
	}
	return nil
}

// Git runs git in dir and returns its trimmed standard output; any failure
// ends the test with git's standard error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, args...)
	if err != nil {
		t.Fatalf("git %s (in %s): %v", strings.Join(args, " "), dir, err)
	}
	return out
}

// Run runs git in dir and returns its trimmed standard output, or an error
// that carries standard error.
func Run(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// NewRemote creates a bare repository whose main branch has one commit (a
// README), so that clones of it have an upstream. It returns its path.
func NewRemote(t testing.TB) string {
	t.Helper()
	Require(t)
	root := t.TempDir()
	bare := filepath.Join(root, "remote.git")
	Git(t, root, "init", "--bare", "--initial-branch=main", bare)
	seed := filepath.Join(root, "seed")
	Git(t, root, "clone", "--quiet", bare, seed)
	WriteFile(t, seed, "README.md", "shared folder\n")
	Git(t, seed, "add", "README.md")
	Git(t, seed, "commit", "--quiet", "-m", "initial commit")
	Git(t, seed, "push", "--quiet", "origin", "HEAD:main")
	return bare
}

// Clone clones remote into a new temporary directory named name and
// returns its path. Its main branch tracks origin/main.
func Clone(t testing.TB, remote, name string) string {
	t.Helper()
	Require(t)
	dir := filepath.Join(t.TempDir(), name)
	Git(t, filepath.Dir(dir), "clone", "--quiet", remote, dir)
	return dir
}

// WriteFile writes content to rel (slash-separated) under dir, creating
// directories as needed.
func WriteFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadFile returns the content of rel under dir, or ends the test.
func ReadFile(t testing.TB, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Tree lists the files of HEAD in dir with their blob hashes, one
// "hash path" per line, for comparing two clones.
func Tree(t testing.TB, dir string) string {
	t.Helper()
	return Git(t, dir, "ls-tree", "-r", "HEAD", "--format=%(objectname) %(path)")
}

// Files lists the files in the working tree of dir (not under .git), sorted,
// slash-separated.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// CommitCount returns the number of commits reachable from rev in dir.
func CommitCount(t testing.TB, dir, rev string) int {
	t.Helper()
	var n int
	fmt.Sscan(Git(t, dir, "rev-list", "--count", rev), &n)
	return n
}

// Eventually polls cond every 20ms until it holds, and ends the test when it
// still does not after limit. what names the condition in the failure.
// Tests of real processes wait with it instead of sleeping.
func Eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		<-tick.C
	}
}
