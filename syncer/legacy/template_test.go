package legacy

import (
	"path/filepath"
	"reflect"
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

func TestEmptyTemplateIsANoOp(t *testing.T) {
	r := &runner{dir: t.TempDir(), timeout: time.Minute}
	for _, tmpl := range []string{"", "   ", "\n\n"} {
		if _, err := r.runTemplate(t.Context(), "modifycmd", tmpl, "/some/path"); err != nil {
			t.Fatalf("empty template %q: %v", tmpl, err)
		}
	}
}
