package git_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autosync-dev/autosync/syncer/git"
	"github.com/autosync-dev/autosync/syncer/gittest"
	"github.com/autosync-dev/autosync/syncer/vcs"
)

func TestStageReportsEveryKindOfChange(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	gittest.WriteFile(t, dir, "docs/old name.md", "moved file\n")
	gittest.WriteFile(t, dir, "dir/one.txt", "one\n")
	gittest.WriteFile(t, dir, "dir/sub/two.txt", "two\n")
	gittest.WriteFile(t, dir, "gone.txt", "gone\n")
	gittest.WriteFile(t, dir, "edit.txt", "v1\n")
	commit(t, r, "setup")

	// edit, add, delete, rename of a file, move of a directory, unicode,
	// spaces, newline and glob characters in names
	gittest.WriteFile(t, dir, "edit.txt", "v2\n")
	gittest.WriteFile(t, dir, "nouveau fichier été.txt", "unicode\n")
	gittest.WriteFile(t, dir, "weird\nname*.md", "newline and star\n")
	if err := os.Remove(filepath.Join(dir, "gone.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "docs", "old name.md"), filepath.Join(dir, "docs", "new name.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "dir"), filepath.Join(dir, "moved", "dir")); err == nil {
		t.Fatal("rename into a missing parent should fail")
	}
	os.MkdirAll(filepath.Join(dir, "moved"), 0o755)
	if err := os.Rename(filepath.Join(dir, "dir"), filepath.Join(dir, "moved", "dir")); err != nil {
		t.Fatal(err)
	}
	// an empty directory is not something git records
	os.MkdirAll(filepath.Join(dir, "empty", "dir"), 0o755)

	got := changeSet(commit(t, r, "changes"))
	want := []string{
		"add nouveau fichier été.txt",
		"add weird\nname*.md",
		"delete gone.txt",
		"edit edit.txt",
		"rename dir/one.txt -> moved/dir/one.txt",
		"rename dir/sub/two.txt -> moved/dir/sub/two.txt",
		"rename docs/old name.md -> docs/new name.md",
	}
	if !slices.Equal(got, want) {
		t.Errorf("staged\n%q\nwant\n%q", got, want)
	}
	assertClean(t, dir)
	if got := gittest.Git(t, dir, "show", "HEAD:weird\nname*.md"); got != "newline and star" {
		t.Errorf("content %q", got)
	}
	// nothing left: an empty result
	ch, sk, err := r.Stage(t.Context())
	if err != nil || len(ch) != 0 || len(sk) != 0 {
		t.Errorf("second Stage = %v, %v, %v; want nothing", ch, sk, err)
	}
}

func TestStageGlobNameStagesOnlyThatFile(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{Ignored: func(rel string, _ bool) bool { return rel == "b.md" }})
	gittest.WriteFile(t, dir, "*.md", "star\n")
	gittest.WriteFile(t, dir, "b.md", "must not be committed\n")
	got := changeSet(commit(t, r, "glob"))
	if want := []string{"add *.md"}; !slices.Equal(got, want) {
		t.Errorf("staged %q, want %q", got, want)
	}
	if out := gittest.Git(t, dir, "ls-files", "b.md"); out != "" {
		t.Errorf("b.md was committed")
	}
}

func TestStageSymlinkAndExecutableBit(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	gittest.WriteFile(t, dir, "run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("README.md", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	commit(t, r, "exec and link")
	tree := gittest.Git(t, dir, "ls-tree", "HEAD", "--format=%(objectmode) %(path)")
	for _, want := range []string{"100755 run.sh", "120000 link"} {
		if !strings.Contains(tree, want) {
			t.Errorf("tree lacks %q:\n%s", want, tree)
		}
	}
	// Only the mode changes: still a change to commit.
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := changeSet(commit(t, r, "mode")); !slices.Equal(got, []string{"edit run.sh"}) {
		t.Errorf("staged %q", got)
	}
}

func TestStageHonoursGitIgnoresExactly(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	excludes := filepath.Join(t.TempDir(), "excludes")
	if err := os.WriteFile(excludes, []byte("*.global\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "config", "core.excludesFile", excludes)
	info := filepath.Join(dir, gittest.Git(t, dir, "rev-parse", "--git-path", "info/exclude"))
	os.MkdirAll(filepath.Dir(info), 0o755)
	if err := os.WriteFile(info, []byte("*.info\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.WriteFile(t, dir, ".gitignore", "*.log\nbuild/\n")
	gittest.WriteFile(t, dir, "sub/.gitignore", "*.txt\n!keep.txt\n")
	for _, f := range []string{"a.log", "build/out.bin", "x.global", "x.info", "sub/drop.txt", "sub/deep/drop.txt",
		"sub/keep.txt", "top.txt", "sub/a.md"} {
		gittest.WriteFile(t, dir, f, f+"\n")
	}
	r := open(t, dir, git.Options{})
	got := changeSet(commit(t, r, "ignores"))
	want := []string{"add .gitignore", "add sub/.gitignore", "add sub/a.md", "add sub/keep.txt", "add top.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("staged %q, want %q", got, want)
	}

	// CheckIgnore agrees with git, in order, for files and directories.
	paths := []string{"a.log", "build", "x.global", "x.info", "sub/drop.txt", "sub/keep.txt", "top.txt", "sub", "sub/deep", "README.md"}
	ig, err := r.CheckIgnore(t.Context(), paths)
	if err != nil {
		t.Fatal(err)
	}
	wantIg := []bool{true, true, true, true, true, false, false, false, false, false}
	if !slices.Equal(ig, wantIg) {
		t.Errorf("CheckIgnore(%q) = %v, want %v", paths, ig, wantIg)
	}
	// A tracked file matching an ignore pattern is not ignored, as in git.
	gittest.Git(t, dir, "add", "-f", "a.log")
	gittest.Git(t, dir, "commit", "-qm", "force")
	gittest.WriteFile(t, dir, "a.log", "changed\n")
	if got := changeSet(commit(t, r, "tracked")); !slices.Equal(got, []string{"edit a.log"}) {
		t.Errorf("staged %q", got)
	}
	if ig, err := r.CheckIgnore(t.Context(), []string{"a.log"}); err != nil || ig[0] {
		t.Errorf("tracked a.log: CheckIgnore = %v, %v", ig, err)
	}
	// An ignored directory that holds a tracked file must still be
	// watched; one without stays ignored.
	gittest.WriteFile(t, dir, "build/keep/tracked.bin", "x\n")
	gittest.WriteFile(t, dir, "dist/x.log", "x\n")
	gittest.WriteFile(t, dir, ".gitignore", "*.log\nbuild/\ndist/\n")
	gittest.Git(t, dir, "add", "-f", "build/keep/tracked.bin")
	gittest.Git(t, dir, "commit", "-qm", "force a file into build/")
	ig, err = r.CheckIgnore(t.Context(), []string{"build", "build/keep", "dist", "sub"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false, true, false}; !slices.Equal(ig, want) {
		t.Errorf("CheckIgnore(build, build/keep, dist, sub) = %v, want %v", ig, want)
	}
}

func TestStageIgnoredCallback(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	var calls []string
	r := open(t, dir, git.Options{Ignored: func(rel string, isDir bool) bool {
		if isDir {
			calls = append(calls, rel+"/")
		}
		return strings.HasSuffix(rel, ".swp") || strings.HasSuffix(rel, "~") || rel == "cache" || rel == "a/node_modules"
	}})
	gittest.WriteFile(t, dir, "tracked~", "tracked first\n")
	gittest.Git(t, dir, "add", "tracked~")
	gittest.Git(t, dir, "commit", "-qm", "tracked backup file")
	for _, f := range []string{".notes.md.swp", "notes.md~", "cache/x", "a/node_modules/m/index.js", "a/keep.js", "notes.md"} {
		gittest.WriteFile(t, dir, f, "x\n")
	}
	gittest.WriteFile(t, dir, "tracked~", "tracked files are never filtered\n")
	got := changeSet(commit(t, r, "filtered"))
	want := []string{"add a/keep.js", "add notes.md", "edit tracked~"}
	if !slices.Equal(got, want) {
		t.Errorf("staged %q, want %q", got, want)
	}
	if !slices.Contains(calls, "a/node_modules/") {
		t.Errorf("directories asked: %q; want a/node_modules/ among them", calls)
	}
	st, err := r.Status(t.Context())
	if err != nil || st.Dirty {
		t.Errorf("Status = %+v, %v; ignored files must not make the folder dirty", st, err)
	}
}

func TestStageSkipsFilesOverMaxSize(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{MaxFileSize: 1000})
	gittest.WriteFile(t, dir, "small.txt", "small\n")
	gittest.WriteFile(t, dir, "big file.bin", strings.Repeat("x", 1001))
	gittest.WriteFile(t, dir, "lfs.psd", strings.Repeat("x", 5000))
	gittest.WriteFile(t, dir, ".gitattributes", "*.psd filter=lfs diff=lfs merge=lfs -text\n")
	// A stand-in for git-lfs's clean filter, so the test needs no git-lfs.
	gittest.Git(t, dir, "config", "filter.lfs.clean", "cat")
	gittest.Git(t, dir, "config", "filter.lfs.smudge", "cat")
	ch, sk, err := r.Stage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := changeSet(ch); !slices.Equal(got, []string{"add .gitattributes", "add lfs.psd", "add small.txt"}) {
		t.Errorf("staged %q", got)
	}
	if len(sk) != 1 || sk[0].Path != "big file.bin" || sk[0].Size != 1001 || !strings.Contains(sk[0].Reason, "git-lfs") || !strings.Contains(sk[0].Reason, ".gitignore") {
		t.Errorf("skipped %+v", sk)
	}
	if _, err := r.Commit(t.Context(), "small"); err != nil {
		t.Fatal(err)
	}
	// A tracked file that grows past the limit is left uncommitted too.
	gittest.WriteFile(t, dir, "small.txt", strings.Repeat("y", 2000))
	ch, sk, err = r.Stage(t.Context())
	if err != nil || len(ch) != 0 || len(sk) != 2 {
		t.Errorf("Stage = %v, %+v, %v; want nothing staged and two skipped", ch, sk, err)
	}
	st, err := r.Status(t.Context())
	if err != nil || st.Dirty {
		t.Errorf("Status = %+v, %v: skipped files must not count as dirty", st, err)
	}
}

func TestStageNestedRepositoryIsReportedNotAdded(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	nested := filepath.Join(dir, "other")
	gittest.Git(t, dir, "init", "-q", nested)
	gittest.WriteFile(t, nested, "f", "x\n")
	gittest.Git(t, nested, "add", "f")
	gittest.Git(t, nested, "commit", "-qm", "nested")
	r := open(t, dir, git.Options{})
	ch, sk, err := r.Stage(t.Context())
	if err != nil || len(ch) != 0 {
		t.Fatalf("Stage = %v, %v, %v", ch, sk, err)
	}
	if len(sk) != 1 || sk[0].Path != "other" {
		t.Errorf("skipped %+v", sk)
	}
}

func TestCommitDescribesTheCommit(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	gittest.WriteFile(t, dir, "a.txt", "a\n")
	gittest.WriteFile(t, dir, "keep.txt", "k\n")
	if _, _, err := r.Stage(t.Context()); err != nil {
		t.Fatal(err)
	}
	// written after Stage: stays for the next commit
	gittest.WriteFile(t, dir, "late.txt", "late\n")
	msg := "autosync on laptop: add a.txt, keep.txt\n\n# a.txt\nkeep.txt\n"
	c, err := r.Commit(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "autosync on laptop: add a.txt, keep.txt" || c.Device != "laptop" || c.Author != "Test User" ||
		len(c.Hash) != 40 || !slices.Equal(c.Files, []string{"a.txt", "keep.txt"}) || c.Time.IsZero() {
		t.Errorf("Commit = %+v", c)
	}
	if body := gittest.Git(t, dir, "log", "-1", "--format=%B"); !strings.Contains(body, "# a.txt") {
		t.Errorf("body lost its '#' line:\n%s", body)
	}
	if out := gittest.Git(t, dir, "status", "--porcelain"); out != "?? late.txt" {
		t.Errorf("status after commit: %q", out)
	}
	log, err := r.Log(t.Context(), 5)
	if err != nil || len(log) != 2 || log[0].Hash != c.Hash || log[1].Subject != "initial commit" || log[1].Device != "" ||
		!slices.Equal(log[1].Files, []string{"README.md"}) {
		t.Errorf("Log = %+v, %v", log, err)
	}
}

func TestCommitRunsHooks(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	hooks := filepath.Join(dir, gittest.Git(t, dir, "rev-parse", "--git-path", "hooks"))
	os.MkdirAll(hooks, 0o755)
	if err := os.WriteFile(filepath.Join(hooks, "pre-commit"), []byte("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir, git.Options{})
	gittest.WriteFile(t, dir, "a.txt", "a\n")
	if _, _, err := r.Stage(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := r.Commit(t.Context(), "x")
	if err == nil || !strings.Contains(err.Error(), "hook says no") {
		t.Errorf("Commit with a failing pre-commit hook = %v", err)
	}
}

func TestMissingIdentityNeedsUser(t *testing.T) {
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	empty := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(empty, []byte("[protocol \"file\"]\n\tallow = always\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", empty)
	// Forbid guessing from the host name, which works on some machines.
	gittest.Git(t, dir, "config", "user.useConfigOnly", "true")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	r := open(t, dir, git.Options{})
	needsUser(t, r.Check(t.Context()), "user.email")
	gittest.WriteFile(t, dir, "a.txt", "a\n")
	if _, _, err := r.Stage(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := r.Commit(t.Context(), "x")
	needsUser(t, err, "git config --global user.name")
	var n *vcs.NeedsUserError
	if errorsAs(err, &n); n.Problem != "git does not know who you are" {
		t.Errorf("problem %q", n.Problem)
	}
}

func TestStageFileVanishingDuringStage(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	gittest.WriteFile(t, dir, "keep.txt", "keep\n")
	gittest.WriteFile(t, dir, "editor.tmp", "gone before git add sees it\n")
	// The callback runs between git status and git add: the perfect moment
	// for an editor to delete its temp file.
	r := open(t, dir, git.Options{Ignored: func(rel string, _ bool) bool {
		if rel == "editor.tmp" {
			os.Remove(filepath.Join(dir, rel))
		}
		return false
	}})
	got := changeSet(commit(t, r, "vanish"))
	if !slices.Equal(got, []string{"add keep.txt"}) {
		t.Errorf("staged %q", got)
	}
}

func TestStageReportsUserStagedRename(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	r := open(t, dir, git.Options{})
	gittest.Git(t, dir, "mv", "README.md", "docs.md")
	gittest.WriteFile(t, dir, "docs.md", "shared folder\nand more\n")
	got := changeSet(commit(t, r, "mv"))
	if !slices.Equal(got, []string{"rename README.md -> docs.md"}) {
		t.Errorf("staged %q", got)
	}
	assertClean(t, dir)
}

func TestCheckIgnoreEmpty(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	r := open(t, gittest.Clone(t, remote, "a"), git.Options{})
	if got, err := r.CheckIgnore(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("CheckIgnore(nil) = %v, %v", got, err)
	}
}

func TestUserOutputSettingsDoNotConfuseParsing(t *testing.T) {
	t.Parallel()
	remote := gittest.NewRemote(t)
	dir := gittest.Clone(t, remote, "a")
	for k, v := range map[string]string{"color.ui": "always", "color.diff": "always", "color.status": "always",
		"log.showSignature": "true", "status.showUntrackedFiles": "no", "core.quotePath": "true", "diff.renames": "false",
		"commit.cleanup": "strip", "merge.ff": "only", "merge.autoStash": "true", "status.renames": "false"} {
		gittest.Git(t, dir, "config", k, v)
	}
	r := open(t, dir, git.Options{})
	gittest.WriteFile(t, dir, "été/new file.md", "x\n")
	os.Rename(filepath.Join(dir, "README.md"), filepath.Join(dir, "README.txt"))
	got := changeSet(commit(t, r, "autosync on laptop: x\n\n# kept\n"))
	if want := []string{"add été/new file.md", "rename README.md -> README.txt"}; !slices.Equal(got, want) {
		t.Errorf("staged %q, want %q", got, want)
	}
	log, err := r.Log(t.Context(), 1)
	if err != nil || len(log) != 1 || log[0].Device != "laptop" || !slices.Equal(log[0].Files, []string{"README.md", "README.txt", "été/new file.md"}) {
		t.Errorf("Log = %+v, %v", log, err)
	}
	if body := gittest.Git(t, dir, "log", "-1", "--format=%B"); !strings.Contains(body, "# kept") {
		t.Errorf("commit.cleanup=strip ate a line:\n%s", body)
	}
	// merge.ff=only must not stop autosync's merges.
	other := gittest.Clone(t, remote, "b")
	gittest.WriteFile(t, other, "b.txt", "b\n")
	gittest.Git(t, other, "add", ".")
	gittest.Git(t, other, "commit", "-qm", "b")
	gittest.Git(t, other, "push", "-q", "origin", "main")
	res, err := r.Pull(t.Context(), "laptop", when)
	if err != nil || res.Merge == nil {
		t.Errorf("Pull = %+v, %v", res, err)
	}
	assertClean(t, dir)
}
