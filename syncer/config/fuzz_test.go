package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseTOML: whatever the file holds, the loader returns a config or
// an *Error, never panics, and what it accepts survives a round trip.
func FuzzParseTOML(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "example.toml")); err == nil {
		f.Add(string(data))
	}
	f.Add("[[folder]]\npath = \"/a\"\ncommit_delay = \"soon\"\n")
	f.Add("folder = [{path = \"/a\"}, 3]\nxmpp = {jid = \"a@b\", password = \"p\"}\n")
	f.Add("[xmpp.poll_interval]\nx = 1\n[folder.path]\n")
	f.Add("a.b.c = 1\n[[folder]]\nignore = [[1], {}]\n")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := parseTOML("/cfg/config.toml", []byte(data))
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) == 0 {
				t.Fatalf("error is not an *Error with problems: %T %v", err, err)
			}
			return
		}
		out, err := c.MarshalTOML()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseTOML("/cfg/config.toml", out); err != nil {
			t.Fatalf("accepted config does not load after MarshalTOML: %v\ninput:\n%s\noutput:\n%s", err, data, out)
		}
	})
}

// FuzzParseLegacy: the INI reader returns a config or an *Error, never
// panics.
func FuzzParseLegacy(f *testing.F) {
	for _, name := range []string{"git.autosync", "hg.autosync", "windows.autosync", "none.autosync", "malformed.autosync"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "legacy", name)); err == nil {
			f.Add(string(data))
		}
	}
	f.Add(minimal)
	f.Add("[autosync]\n  x\n=\n:\n[]\n[\n")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := parseLegacy("/cfg/.autosync", []byte(data))
		if err != nil {
			var cerr *Error
			if !errors.As(err, &cerr) || len(cerr.Problems) == 0 {
				t.Fatalf("error is not an *Error with problems: %T %v", err, err)
			}
			return
		}
		if _, err := c.MarshalTOML(); err != nil {
			t.Fatal(err)
		}
	})
}
