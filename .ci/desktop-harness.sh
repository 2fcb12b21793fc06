#!/usr/bin/env bash
# desktop-harness.sh - throwaway headless Linux desktop for testing a tray app
# (fyne.io/systray), desktop notifications (beeep) and dialogs (zenity).
#
# Stack (all Debian 12 packages, no systemd, no login session):
#   Xvfb (display number picked free with -displayfd)
#   dbus-daemon --session on a private socket in $DESK_DIR (never the machine's bus)
#   dunst            org.freedesktop.Notifications (draws real bubbles)
#   xfce4-panel 4.18 its systray plugin is org.kde.StatusNotifierWatcher + a
#                    StatusNotifierHost (draws the SNI icon, reads dbusmenu)
#   dbus-monitor     logs every Notify call to $DESK_DIR/logs/notify-monitor.log
#   (xfconfd is D-Bus-activated by the panel; it is killed by PID at teardown)
# Tested on Debian 12 as root, with CI=true and stdin from /dev/null.
#
# Usage:
#   desktop-harness.sh install            # apt-get install missing packages (root)
#   desktop-harness.sh run [--] CMD ARGS  # install+start, run CMD with the env,
#                                         # tear down by PID on exit; exit = CMD's
#   desktop-harness.sh start              # start in background (idempotent), print
#                                         # "export ..." lines: eval "$(... start)"
#   desktop-harness.sh env                # print the export lines of a running stack
#   desktop-harness.sh stop               # kill what start started, by PID
#   desktop-harness.sh status             # pids, bus names, SNI items
# Helpers (need the env, i.e. inside run or after eval "$(... start)"):
#   desktop-harness.sh items              # registered SNI items, one "busname/path" a line
#   desktop-harness.sh wait-item [SECS]   # wait until >=1 SNI item is registered, print it
#   desktop-harness.sh menu ITEM          # dbusmenu GetLayout of ITEM ("busname/path")
#   desktop-harness.sh click ITEM LABEL   # send dbusmenu Event "clicked" to the entry LABEL
#   desktop-harness.sh prop ITEM NAME     # org.kde.StatusNotifierItem property (Status, Title,
#                                         # ToolTip, IconPixmap -> "WxH", IconName, Id, Menu)
#   desktop-harness.sh notifications      # "summary<TAB>body" of every Notify call so far
#   desktop-harness.sh type-into TITLE TEXT [KEY]  # focus window TITLE, type TEXT, press KEY
#                                         # (default Return; use "" for no key)
#   desktop-harness.sh shot FILE.png      # screenshot of the whole screen (ImageMagick import)
#   desktop-harness.sh screenshots [DIR]  # install+start, run the Go tests that take the
#                                         # docs' screenshots (tray menu, notification,
#                                         # commit dialog) into DIR (default docs/screenshots)
#
# Environment (optional):
#   DESK_DIR       state dir (default /tmp/desktop-harness-$UID); wiped at start
#   DESK_GEOMETRY  Xvfb screen (default 1280x800x24)
#   DESK_TIMEOUT   seconds to wait for each component (default 20)
#   DESK_NOTIFYD   dunst (default) | none   (none: no daemon; Notify calls fail)
#   DESK_PANEL     xfce4-panel (default) | none (none: no watcher; SNI registration fails)
#
# Exported to the test: DISPLAY DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR
#   NO_AT_BRIDGE=1 GDK_BACKEND=x11 LANG (C.UTF-8 when unset/C) DESK_DIR;
#   WAYLAND_DISPLAY and SESSION_MANAGER are unset. The daemons alone get
#   XDG_CONFIG_HOME/XDG_CACHE_HOME/XDG_DATA_HOME under DESK_DIR (not the test:
#   a moved XDG_CACHE_HOME would move Go's build cache too).
set -euo pipefail

DESK_DIR=${DESK_DIR:-/tmp/desktop-harness-$(id -u)}
GEOMETRY=${DESK_GEOMETRY:-1280x800x24}
TIMEOUT=${DESK_TIMEOUT:-20}
NOTIFYD=${DESK_NOTIFYD:-dunst}
PANEL=${DESK_PANEL:-xfce4-panel}

# gdbus prints non-ASCII (e.g. a menu label "Commit…") as '?' in the C locale,
# and GTK/dunst want UTF-8: default to C.UTF-8 when the caller has no locale.
case ${LC_ALL:-${LANG:-}} in ""|C|POSIX) export LANG=C.UTF-8; unset LC_ALL ;; esac

# Deliberately NOT dbus-x11: with its dbus-launch on PATH, godbus (beeep,
# systray) and GLib autolaunch a stray session bus whenever
# DBUS_SESSION_BUS_ADDRESS is missing (seen: 9 s stall + 2 orphan daemons).
PACKAGES="xvfb dbus libglib2.0-bin x11-utils xfce4-panel dunst zenity xdotool imagemagick fonts-dejavu-core desktop-file-utils"

die() { echo "desktop-harness: $*" >&2; exit 1; }
log() { echo "desktop-harness: $*" >&2; }

# ---------------------------------------------------------------- install
cmd_install() {
  local missing=() p
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root"
  log "installing: ${missing[*]}"
  local t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  # 'apt-get update' first: without it a fresh machine finds nothing or an old list.
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- helpers
alive() { # PID is running and not a zombie (PID 1 here does not reap orphans)
  local s
  s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "${s:0:1}" != Z ]
}

wait_for() { # DESC CMD...   poll CMD every 50 ms up to $TIMEOUT s
  local desc=$1; shift
  local n=$((TIMEOUT * 20))
  while [ $n -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05; n=$((n - 1))
  done
  die "timed out after ${TIMEOUT}s waiting for $desc (logs: $DESK_DIR/logs)"
}

bus() { local m=$1; shift; gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m "org.freedesktop.DBus.$m" "$@"; }
has_owner() { bus NameHasOwner "$1" 2>/dev/null | grep -q true; }
name_pid() { bus GetConnectionUnixProcessID "$1" 2>/dev/null | sed -n 's/^(uint32 \([0-9]*\),)$/\1/p'; }
host_registered() {
  gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
    -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher IsStatusNotifierHostRegistered \
    2>/dev/null | grep -q true
}

write_env() {
  cat > "$DESK_DIR/env" <<EOF
export DISPLAY=:$DISPLAY_NUM
export DBUS_SESSION_BUS_ADDRESS=unix:path=$DESK_DIR/run/bus
export XDG_RUNTIME_DIR=$DESK_DIR/run
export NO_AT_BRIDGE=1
export GDK_BACKEND=x11
export LANG=$LANG
export DESK_DIR=$DESK_DIR
unset WAYLAND_DISPLAY SESSION_MANAGER
EOF
}

panel_config() {
  local d=$DESK_DIR/config/xfce4/xfconf/xfce-perchannel-xml
  mkdir -p "$d"
  # A pre-seeded channel: no first-start "welcome" dialog, one 32 px panel on
  # top with the systray plugin first (icons start at x=0), a spacer, a clock.
  cat > "$d/xfce4-panel.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
    <property name="plugin-2" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-3" type="string" value="clock"/>
  </property>
</channel>
EOF
}

start_bg() { # NAME CMD...  start detached from our stdin/tty, record PID
  local name=$1; shift
  # The daemons (and what the bus activates) get private XDG config/cache/data
  # dirs; the test does not: XDG_CACHE_HOME would also move Go's GOCACHE
  # (os.UserCacheDir) into DESK_DIR = a cold 20 s rebuild on every run.
  setsid env XDG_CONFIG_HOME="$DESK_DIR/config" XDG_CACHE_HOME="$DESK_DIR/cache" \
    XDG_DATA_HOME="$DESK_DIR/data" "$@" >"$DESK_DIR/logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$DESK_DIR/pids/$name"
}

running() { # the stack in DESK_DIR is up and usable
  [ -f "$DESK_DIR/env" ] && [ -f "$DESK_DIR/pids/xvfb" ] && [ -f "$DESK_DIR/pids/dbus" ] || return 1
  alive "$(cat "$DESK_DIR/pids/xvfb")" && alive "$(cat "$DESK_DIR/pids/dbus")" || return 1
  ( . "$DESK_DIR/env"; xdpyinfo >/dev/null 2>&1 && bus GetId >/dev/null 2>&1 )
}

# ---------------------------------------------------------------- start / stop
do_start() {
  local t0 p
  t0=$(date +%s.%N)
  if [ -d "$DESK_DIR/pids" ]; then do_stop quiet || true; fi
  if [ -d "$DESK_DIR" ] && [ -n "$(ls -A "$DESK_DIR")" ] && [ ! -f "$DESK_DIR/.desktop-harness" ]; then
    die "$DESK_DIR exists and is not a harness dir; refusing to wipe it"
  fi
  rm -rf "$DESK_DIR"
  mkdir -p "$DESK_DIR"/{run,config,cache,data,logs,pids,shots}
  touch "$DESK_DIR/.desktop-harness"
  chmod 700 "$DESK_DIR/run"   # XDG_RUNTIME_DIR must be 0700 or GLib/dunst complain

  # 1. X server. -displayfd writes the display number it picked once it accepts
  #    connections: no fixed :99 to collide with, and it doubles as readiness.
  local fifo=$DESK_DIR/run/displayfd
  mkfifo "$fifo"
  setsid Xvfb -displayfd 3 -screen 0 "$GEOMETRY" -nolisten tcp -noreset \
    3>"$fifo" >"$DESK_DIR/logs/xvfb.log" 2>&1 </dev/null 9>&- &
  echo $! > "$DESK_DIR/pids/xvfb"
  DISPLAY_NUM=$(timeout "$TIMEOUT" head -n1 "$fifo") || true
  rm -f "$fifo"
  [ -n "$DISPLAY_NUM" ] || die "Xvfb did not start: $(tail -n3 "$DESK_DIR/logs/xvfb.log" | tr '\n' ' ')"
  write_env
  # shellcheck disable=SC1091
  . "$DESK_DIR/env"
  wait_for "X display $DISPLAY" xdpyinfo

  # 2. Session bus on a private socket. Started after DISPLAY is exported
  #    so D-Bus-activated services (xfconfd) inherit it.
  #    Own config: same policy as /usr/share/dbus-1/session.conf, but only OUR
  #    service dir (xfconfd, dconf), so nothing else gets bus-activated behind
  #    the test's back (the stock dirs would auto-start dunst on the first
  #    Notify even with DESK_NOTIFYD=none, and at-spi for every GTK app).
  mkdir -p "$DESK_DIR/services"
  for p in org.xfce.Xfconf ca.desrt.dconf; do
    [ -f "/usr/share/dbus-1/services/$p.service" ] && cp "/usr/share/dbus-1/services/$p.service" "$DESK_DIR/services/"
  done
  cat > "$DESK_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>$DBUS_SESSION_BUS_ADDRESS</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$DESK_DIR/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">30000</limit>
</busconfig>
EOF
  start_bg dbus dbus-daemon --config-file="$DESK_DIR/bus.conf" --nofork --nopidfile
  wait_for "session bus" bus GetId

  # 3. Notification daemon.
  if [ "$NOTIFYD" = dunst ]; then
    start_bg dunst dunst
    wait_for "org.freedesktop.Notifications" has_owner org.freedesktop.Notifications
  fi
  # 4. Capture of every Notify call (summary/body land in logs/notify.log).
  start_bg notify-monitor dbus-monitor --session \
    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
  # 5. Panel = StatusNotifierWatcher + StatusNotifierHost.
  if [ "$PANEL" = xfce4-panel ]; then
    panel_config
    start_bg panel xfce4-panel --disable-wm-check
    wait_for "org.kde.StatusNotifierWatcher" has_owner org.kde.StatusNotifierWatcher
    wait_for "a StatusNotifierHost" host_registered
  fi
  for p in "$DESK_DIR"/pids/*; do
    alive "$(cat "$p")" || die "$(basename "$p") died at start (logs/$(basename "$p").log)"
  done
  echo "$(date +%s.%N) $t0" | awk '{printf "%.2f\n", $1-$2}' > "$DESK_DIR/startup-seconds"
  log "up in $(cat "$DESK_DIR/startup-seconds")s: DISPLAY=$DISPLAY bus=$DBUS_SESSION_BUS_ADDRESS"
}

kill_pid() { # PID  SIGTERM, then SIGKILL after 3 s
  local pid=$1 n=60
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while [ $n -gt 0 ] && alive "$pid"; do sleep 0.05; n=$((n - 1)); done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true   # reap if it is our child (run mode)
  return 0
}

do_stop() {
  local quiet=${1:-}
  if [ -z "$(ls -A "$DESK_DIR/pids" 2>/dev/null)" ]; then
    [ -n "$quiet" ] || log "nothing to stop in $DESK_DIR"; return 0
  fi
  local ours=() f pid name
  for f in "$DESK_DIR"/pids/*; do [ -f "$f" ] && ours+=("$(cat "$f")"); done
  # 1. clients first (the panel would re-activate xfconfd if killed after it)
  for name in panel notify-monitor dunst; do
    [ -f "$DESK_DIR/pids/$name" ] && kill_pid "$(cat "$DESK_DIR/pids/$name")"
    rm -f "$DESK_DIR/pids/$name"
  done
  # 2. services OUR private bus activated (xfconfd, dconf): their PIDs come
  #    from the bus itself (they are re-parented to PID 1, not our children).
  if [ -f "$DESK_DIR/env" ] && [ -f "$DESK_DIR/pids/dbus" ] && alive "$(cat "$DESK_DIR/pids/dbus")"; then
    local activated=()
    for name in $(. "$DESK_DIR/env"; bus ListActivatableNames 2>/dev/null | grep -o "'[^']*'" | tr -d "'"); do
      [ "$name" = org.freedesktop.DBus ] && continue
      pid=$(. "$DESK_DIR/env"; has_owner "$name" && name_pid "$name") || true
      [ -n "$pid" ] && [[ " ${ours[*]} " != *" $pid "* ]] && activated+=("$pid")
    done
    for pid in "${activated[@]}"; do kill_pid "$pid"; done
  fi
  # 3. the bus, the X server, anything else recorded
  for name in dbus xvfb; do
    [ -f "$DESK_DIR/pids/$name" ] && kill_pid "$(cat "$DESK_DIR/pids/$name")"
    rm -f "$DESK_DIR/pids/$name"
  done
  for f in "$DESK_DIR"/pids/*; do [ -f "$f" ] && kill_pid "$(cat "$f")" && rm -f "$f"; done
  rm -f "$DESK_DIR/env"
  [ -n "$quiet" ] || log "stopped"
}

need_env() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -n "${DISPLAY:-}" ] && return 0
  [ -f "$DESK_DIR/env" ] || die "no running stack in $DESK_DIR (start it first)"
  # shellcheck disable=SC1091
  . "$DESK_DIR/env"
}

# ---------------------------------------------------------------- SNI / dbusmenu helpers
cmd_items() {
  need_env
  gdbus call --session -d org.kde.StatusNotifierWatcher -o /StatusNotifierWatcher \
    -m org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher RegisteredStatusNotifierItems \
    | grep -o "'[^']*'" | tr -d "'"
}

cmd_wait_item() {
  need_env
  TIMEOUT=${1:-$TIMEOUT}
  wait_for "a registered StatusNotifierItem" sh -c "\"$0\" items | grep -q ."
  cmd_items
}

split_item() { # "busname/path" or "busname" -> ITEM_BUS ITEM_PATH
  case $1 in
    */*) ITEM_BUS=${1%%/*}; ITEM_PATH=/${1#*/} ;;
    *)   ITEM_BUS=$1; ITEM_PATH=/StatusNotifierItem ;;
  esac
}

menu_path() {
  gdbus call --session -d "$ITEM_BUS" -o "$ITEM_PATH" -m org.freedesktop.DBus.Properties.Get \
    org.kde.StatusNotifierItem Menu | sed -n "s/^(<objectpath '\(.*\)'>,)$/\1/p"
}

cmd_menu() {
  need_env; split_item "$1"
  gdbus call --session -d "$ITEM_BUS" -o "$(menu_path)" -m com.canonical.dbusmenu.GetLayout -- 0 -1 '@as []'
}

cmd_click() {
  need_env; split_item "$1"
  local label=$2 mp layout id
  mp=$(menu_path)
  layout=$(gdbus call --session -d "$ITEM_BUS" -o "$mp" -m com.canonical.dbusmenu.GetLayout -- 0 -1 '@as []')
  # each entry looks like <(ID, {... 'label': <'Text'> ...}, @av [])>
  id=$(printf '%s\n' "$layout" | grep -o "<([0-9]*, {[^}]*}" | grep -F "'label': <'$label'>" \
       | head -1 | sed 's/^<(\([0-9]*\),.*/\1/')
  [ -n "$id" ] || die "no menu entry labelled '$label' in: $layout"
  gdbus call --session -d "$ITEM_BUS" -o "$mp" -m com.canonical.dbusmenu.Event -- "$id" clicked '<int32 0>' 0 >/dev/null
  echo "$id"
}

cmd_prop() {
  need_env; split_item "$1"
  local v
  v=$(gdbus call --session -d "$ITEM_BUS" -o "$ITEM_PATH" -m org.freedesktop.DBus.Properties.Get \
      org.kde.StatusNotifierItem "$2")
  if [ "$2" = IconPixmap ] || [ "$2" = AttentionIconPixmap ]; then
    # (<[(W, H, [byte ...])]>,)  -> "WxH" of the first pixmap, "0x0" when empty
    printf '%s\n' "$v" | sed -n 's/^(<\[(\([0-9]*\), \([0-9]*\),.*/\1x\2/p;s/^(<@a(iiay) \[\]>,)$/0x0/p'
  else
    printf '%s\n' "$v"
  fi
}

cmd_notifications() {
  need_env
  # Notify(app_name s, replaces_id u, app_icon s, summary s, body s, ...): strings 3 and 4
  awk '/member=Notify/{n=0; on=1; next}
       on && /^   string "/{n++; s=$0; sub(/^   string "/,"",s); sub(/"$/,"",s);
                           if(n==3) sum=s; if(n==4){print sum "\t" s; on=0}}' \
    "$DESK_DIR/logs/notify-monitor.log"
}

cmd_type_into() {
  need_env
  local title=$1 text=$2 key=${3-Return} wid
  wid=$(timeout "$TIMEOUT" xdotool search --sync --name "$title" | head -1) || die "no window '$title'"
  # No window manager: 'windowactivate' needs _NET_ACTIVE_WINDOW and fails;
  # 'windowfocus' (XSetInputFocus) works.
  xdotool windowfocus --sync "$wid"
  [ -z "$text" ] || xdotool type --delay 15 -- "$text"
  [ -z "$key" ] || xdotool key --clearmodifiers "$key"
  echo "$wid"
}

cmd_shot() {
  need_env
  import -window root "$1"
}

cmd_status() {
  local f
  for f in "$DESK_DIR"/pids/*; do
    [ -f "$f" ] || continue
    printf '%-15s %-8s %s\n' "$(basename "$f")" "$(cat "$f")" "$(alive "$(cat "$f")" && echo alive || echo dead)"
  done
  if running; then
    . "$DESK_DIR/env"
    echo "DISPLAY=$DISPLAY DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
    bus ListNames
    echo "SNI items:"; cmd_items || true
  else
    echo "not running"
  fi
}

# ---------------------------------------------------------------- main
case ${1:-} in
  install) cmd_install ;;
  start)
    exec 9>"${DESK_DIR}.lock"; flock 9
    if running; then log "already running"; else cmd_install; do_start; fi
    cat "$DESK_DIR/env" ;;
  env) running || die "not running"; cat "$DESK_DIR/env" ;;
  stop) exec 9>"${DESK_DIR}.lock"; flock 9; do_stop ;;
  status) cmd_status ;;
  run)
    shift; [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "run needs a command"
    cmd_install
    exec 9>"${DESK_DIR}.lock"; flock 9
    trap 'do_stop quiet' EXIT
    trap 'exit 130' INT; trap 'exit 143' TERM
    do_start
    # shellcheck disable=SC1091
    . "$DESK_DIR/env"
    rc=0; "$@" 9>&- || rc=$?   # 9>&-: the lock fd must not leak into the test
    exit $rc ;;
  screenshots)
    # One package at a time: the shots share one screen and one pointer.
    dir=$(cd "$(dirname "$0")/.." && pwd)/docs/screenshots
    [ -n "${2:-}" ] && dir=$(mkdir -p "$2" && cd "$2" && pwd)
    mkdir -p "$dir"
    cd "$(dirname "$0")/.."
    exec "$0" run -- sh -c "AUTOSYNC_SCREENSHOTS='$dir' go test -count=1 -p 1 -run 'Screenshot|OnDesktop' ./tray/ ./dialogs/" ;;
  items) cmd_items ;;
  wait-item) shift; cmd_wait_item "$@" ;;
  menu) shift; cmd_menu "$@" ;;
  click) shift; cmd_click "$@" ;;
  prop) shift; cmd_prop "$@" ;;
  notifications) cmd_notifications ;;
  type-into) shift; cmd_type_into "$@" ;;
  shot) shift; cmd_shot "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
