package packaging

import (
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tool finds a validator; missing: skip, or fail under CI=true (the harness
// installs desktop-file-utils).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: .ci/desktop-harness.sh install installs it", name)
		}
		t.Skipf("%s not found", name)
	}
	return p
}

func TestDesktopFilesValidate(t *testing.T) {
	v := tool(t, "desktop-file-validate")
	for _, f := range []string{"autosync.desktop", "autosync-autostart.desktop"} {
		out, err := exec.Command(v, f).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("desktop-file-validate %s: %v\n%s", f, err, out)
		}
	}
}

func TestSystemdUnitVerifies(t *testing.T) {
	v := tool(t, "systemd-analyze")
	// verify checks that ExecStart exists: point it at a stand-in binary.
	dir := t.TempDir()
	unit, err := os.ReadFile("autosync.service")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "autosync")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(string(unit), "/usr/bin/autosync", bin, 1)
	if err := os.WriteFile(filepath.Join(dir, "autosync.service"), []byte(u), 0o644); err != nil {
		t.Fatal(err)
	}
	// As a system unit: --user needs a running user manager, which CI
	// has not; the file's syntax and ExecStart are checked the same way.
	out, err := exec.Command(v, "verify", filepath.Join(dir, "autosync.service")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// Every file nfpm.yaml packs must exist (except the built binary).
func TestNfpmSourcesExist(t *testing.T) {
	b, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srcs := regexp.MustCompile(`(?m)^\s*- src: (\S+)$`).FindAllStringSubmatch(string(b), -1)
	if len(srcs) < 5 {
		t.Fatalf("found only %d sources in nfpm.yaml", len(srcs))
	}
	for _, m := range srcs {
		if m[1] == "dist/autosync" {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
			t.Errorf("nfpm.yaml packs %s: %v", m[1], err)
		}
	}
}

func TestPKGBUILDParses(t *testing.T) {
	bash := tool(t, "bash")
	if out, err := exec.Command(bash, "-n", "PKGBUILD").CombinedOutput(); err != nil {
		t.Errorf("bash -n PKGBUILD: %v\n%s", err, out)
	}
	b, _ := os.ReadFile("PKGBUILD")
	for _, f := range regexp.MustCompile(`(?:packaging|assets/icons)/[\w.-]+`).FindAllString(string(b), -1) {
		if strings.HasSuffix(f, "-") { // "app-$s.png": a loop variable follows
			continue
		}
		if _, err := os.Stat(filepath.Join("..", f)); err != nil {
			t.Errorf("PKGBUILD installs %s: %v", f, err)
		}
	}
}

func TestInfoPlist(t *testing.T) {
	f, err := os.Open("Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	d.Strict = true
	keys := map[string]string{}
	var key, text string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Info.plist is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			text = string(tok)
		case xml.EndElement:
			switch tok.Name.Local {
			case "key":
				key = text
			case "string":
				keys[key] = text
			case "true", "false":
				keys[key] = tok.Name.Local
			}
		}
	}
	for k, want := range map[string]string{
		"CFBundleExecutable": "autosync", "CFBundleIdentifier": "dev.autosync.autosync", "LSUIElement": "true",
	} {
		if keys[k] != want {
			t.Errorf("Info.plist %s = %q, want %q", k, keys[k], want)
		}
	}
}
