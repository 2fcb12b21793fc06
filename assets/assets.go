// Package assets holds autosync's icons, embedded in the binary: one per tray
// state (idle, committing, pushing, pulling, paused, offline, conflict, error)
// and the application icon "app", each as PNG at several sizes and as a
// multi-size Windows ICO.
//
// The files in icons/ are drawn by code (assets/internal/draw) and written by
// `go generate ./assets`; TestIconsUpToDate fails when they drift.
package assets

import (
	"embed"
	"fmt"
)

//go:generate go run ./internal/gen -out icons

//go:embed icons
var icons embed.FS

// Format is an icon file format.
type Format int

const (
	// PNG is for Linux (StatusNotifierItem, notifications) and macOS.
	PNG Format = iota
	// ICO is for the Windows notification area: one file with 16-256 px.
	ICO
)

// TraySize is the PNG size handed to the tray. Panels scale it down to
// 22-24 px (an exact halving for 24) and HiDPI panels show it as is.
const TraySize = 48

// Names lists every icon name Icon knows.
var Names = []string{"idle", "committing", "pushing", "pulling", "paused", "offline", "conflict", "error", "app"}

// Sizes lists the PNG sizes embedded for every name.
var Sizes = []int{16, 22, 24, 32, 48, 64, 256}

// Icon returns the icon for a tray state name ("idle", "pushing", ... or
// "app") in format f: a TraySize PNG or a multi-size ICO. An unknown name
// gives the error icon, so a mistake shows as something visible rather than
// as a blank tray.
func Icon(name string, f Format) []byte {
	if f == ICO {
		if b, err := icons.ReadFile("icons/" + name + ".ico"); err == nil {
			return b
		}
		b, _ := icons.ReadFile("icons/error.ico")
		return b
	}
	return PNGSize(name, TraySize)
}

// PNGSize returns the PNG of icon name at size pixels, one of Sizes; other
// sizes give the next larger one (or the largest). An unknown name gives the
// error icon.
func PNGSize(name string, size int) []byte {
	pick := Sizes[len(Sizes)-1]
	for _, s := range Sizes {
		if s >= size {
			pick = s
			break
		}
	}
	b, err := icons.ReadFile(fmt.Sprintf("icons/%s-%d.png", name, pick))
	if err != nil {
		b, _ = icons.ReadFile(fmt.Sprintf("icons/error-%d.png", pick))
	}
	return b
}
