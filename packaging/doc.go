// Package packaging holds no code: it is the home of the files that install
// autosync (the .desktop application entry and autostart template, the
// systemd user unit, nfpm.yaml for .deb/.rpm, the Arch PKGBUILD, the macOS
// Info.plist) and of the test that validates them.
package packaging
