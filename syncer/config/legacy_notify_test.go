package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLegacyNotifyMethodSetsTheDesktopLevel(t *testing.T) {
	for method, want := range map[string]string{"desktop": "all", "all": "all", "none": "none", "xmpp": "none"} {
		t.Run(method, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "autosync.ini")
			ini := "[autosync]\npath = " + dir + "\nsyncmethod = none\nnotifymethod = " + method +
				"\npulllock = conservative\nreadfrequency = 5\nignorepath = .git\n[dvcs]\n" +
				"statuscmd = git status | grep -iq \"nothing to commit\"\naddcmd = git add %s\nrmcmd = git rm %s\nmodifycmd = git add %s\n" +
				"movecmd = git rm %s\n  git add %s\nstartupcmd = git add -A\ncommitcmd = git commit -m %s\npushcmd = git push\npullcmd = git pull\nremoteurlcmd = git config --get remote.origin.url\n"
			if err := os.WriteFile(p, []byte(ini), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadLegacy(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.Notifications.Level != want {
				t.Fatalf("notifymethod = %s gave level %q, want %q", method, c.Notifications.Level, want)
			}
		})
	}
}
