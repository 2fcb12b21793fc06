// Package tray shows autosync in the desktop's notification area
// (fyne.io/systray: a StatusNotifierItem over D-Bus on Linux, the
// notification area on Windows, the menu bar on macOS).
//
// The GUI code is thin: Model is a pure, table-tested function from the
// folders' snapshots to what the tray shows (icon, tooltip, menu labels);
// Run only draws its result and turns clicks into Controller calls. The tray
// never blocks the engine: it reads snapshots when Source says they changed,
// and every click handler only enqueues.
package tray
