#!/usr/bin/env bash
# The one command that runs autosync's whole test suite:
#
#   sudo bash .ci/test.sh        (or as root: bash .ci/test.sh)
#
# It installs what the tests need when it is missing (Debian packages: git,
# prosody, a headless desktop, zenity, xdotool, vim, mercurial; and the Go
# modules), checks formatting and vet, then runs `go test -race ./...` inside a
# throwaway headless desktop (Xvfb, a private D-Bus session, xfce4-panel as the
# tray host, dunst as the notification daemon). Not root and packages missing:
# it says which and runs what it can; tests that need them skip and say why,
# except under CI=true, where a missing dependency fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="git procps systemd prosody lua-unbound openssl xvfb dbus libglib2.0-bin x11-utils xfce4-panel dunst zenity xdotool imagemagick fonts-dejavu-core vim mercurial desktop-file-utils"

missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}" >&2
    # Keep apt from starting system services (prosody would bind 5222):
    # a policy-rc.d that denies starts, only while we install.
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      own_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  else
    echo "test.sh: not root, so not installing: ${missing[*]} (the tests that need them will skip)" >&2
  fi
fi

export PATH="$PATH:/usr/local/go/bin"
go mod download

fmt=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$fmt" ]; then echo "test.sh: gofmt would change: $fmt" >&2; exit 1; fi
go vet ./...
GOOS=windows go vet ./...
GOOS=darwin CGO_ENABLED=1 go vet ./syncer/... ./dialogs/... 2>/dev/null || true

# The desktop tests need a display and a session bus; everything else runs
# there just as well. Without the desktop packages, run the tests plainly.
if command -v Xvfb >/dev/null && command -v xfce4-panel >/dev/null && command -v dunst >/dev/null; then
  exec bash .ci/desktop-harness.sh run -- go test -race -count=1 -timeout 20m ./...
fi
exec go test -race -count=1 -timeout 20m ./...
