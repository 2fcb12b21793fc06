//go:build !windows

package legacy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync-dev/autosync/syncer/legacy"
)

// BenchmarkMercurialStageCommit is one edited file going through the hg
// templates: addcmd, modifycmd (empty), statuscmd, hg status for the
// message, commitcmd, and the head read.
func BenchmarkMercurialStageCommit(b *testing.B) {
	if _, err := exec.LookPath("hg"); err != nil {
		b.Skip("hg is not installed")
	}
	remote := filepath.Join(b.TempDir(), "remote")
	run := func(dir string, args ...string) {
		cmd := exec.Command("hg", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("hg %v: %v\n%s", args, err, out)
		}
	}
	run(filepath.Dir(remote), "init", remote)
	dir := filepath.Join(b.TempDir(), "a")
	run(filepath.Dir(dir), "clone", "-q", remote, dir)
	cmds := benchHgCommands(b)
	repo, err := legacy.Open(b.Context(), dir, cmds, legacy.Options{Device: "bench", Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	repo.Stage(b.Context())
	for i := 0; b.Loop(); i++ {
		os.WriteFile(filepath.Join(dir, "notes.md"), []byte(fmt.Sprint(i)), 0o644)
		repo.Hint([]string{"notes.md"}, false)
		changes, _, err := repo.Stage(b.Context())
		if err != nil || len(changes) != 1 {
			b.Fatalf("Stage = %v, %v", changes, err)
		}
		if _, err := repo.Commit(b.Context(), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchHgCommands(b *testing.B) map[string]string {
	return map[string]string{
		"statuscmd": "test \"`hg status`\" = \"\"", "addcmd": "hg add", "rmcmd": "hg remove", "modifycmd": "",
		"movecmd": "hg mv %s %s", "startupcmd": "hg addremove", "commitcmd": "hg commit -m %s",
		"pushcmd": "hg push", "pullcmd": "hg pull -u", "remoteurlcmd": "hg showconfig paths.default",
	}
}
