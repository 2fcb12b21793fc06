// Package draw renders autosync's icons from geometry, at any pixel size, so
// that every size is drawn natively (crisp at 16 px) rather than scaled down
// from a big bitmap. The generator in assets/internal/gen writes the results
// into assets/icons; a test in package assets checks that the committed files
// still match this code.
package draw

import (
	"image"
	"image/color"
	"math"
)

// States lists the icon names: one per tray state, plus "app".
var States = []string{"idle", "committing", "pushing", "pulling", "paused", "offline", "conflict", "error", "app"}

// Sizes are the square pixel sizes rendered for every icon. 16-24 are the
// common panel sizes, 32/48/64 serve HiDPI panels and notifications, 256 is
// for the application icon in menus and the Windows .ico.
var Sizes = []int{16, 22, 24, 32, 48, 64, 256}

// Colours. The fills are mid-tones so that a white glyph reads on them and
// the disc itself reads on both a white and a near-black panel; the dark
// outline separates the disc from light panels.
var (
	outline = color.NRGBA{0x1b, 0x1f, 0x24, 0xff}
	glyph   = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	fills   = map[string]color.NRGBA{
		"idle":       {0x2e, 0x9e, 0x48, 0xff}, // green: all is well
		"committing": {0x2b, 0x6c, 0xd8, 0xff}, // blue: working
		"pushing":    {0x2b, 0x6c, 0xd8, 0xff},
		"pulling":    {0x12, 0x8f, 0xa6, 0xff}, // teal: working, data coming in
		"paused":     {0x7b, 0x82, 0x8c, 0xff}, // grey: deliberately off
		"offline":    {0x6a, 0x5f, 0x9e, 0xff}, // muted violet: temporarily off, not our doing
		"conflict":   {0xe0, 0x8e, 0x0b, 0xff}, // amber: needs a look
		"error":      {0xd1, 0x36, 0x2b, 0xff}, // red: needs the user
		"app":        {0x2b, 0x6c, 0xd8, 0xff},
	}
)

// shape reports whether the point (x, y) is inside, in unit coordinates: the
// icon spans [-1, 1] on both axes, y grows downwards.
type shape func(x, y float64) bool

// Icon renders icon name at size x size pixels. Unknown names render as the
// error icon, so that a typo shows up as something visible.
func Icon(name string, size int) *image.NRGBA {
	fill, ok := fills[name]
	if !ok {
		name, fill = "error", fills["error"]
	}
	px := 2 / float64(size) // one pixel in units
	// Outline: one pixel up to 24 px, then growing slowly; in units.
	ow := math.Max(1, float64(size)/24) * px
	rOuter := 1 - px*0.25
	layers := []struct {
		s shape
		c color.NRGBA
	}{
		{disc(0, 0, rOuter), outline},
		{disc(0, 0, rOuter-ow), fill},
		{glyphs(name, px), glyph},
	}
	// 4x4 supersampling per pixel: smooth edges without a rasteriser.
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for pxi := 0; pxi < size; pxi++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(pxi)+(float64(sx)+0.5)/ss)*px - 1
					y := (float64(py)+(float64(sy)+0.5)/ss)*px - 1
					for i := len(layers) - 1; i >= 0; i-- {
						if layers[i].s(x, y) {
							c := layers[i].c
							r += float64(c.R)
							g += float64(c.G)
							b += float64(c.B)
							a++
							break
						}
					}
				}
			}
			if a == 0 {
				continue
			}
			// Straight (non-premultiplied) colour: average of covered samples.
			img.SetNRGBA(pxi, py, color.NRGBA{
				R: uint8(r/a + 0.5), G: uint8(g/a + 0.5), B: uint8(b/a + 0.5),
				A: uint8(a/(ss*ss)*255 + 0.5),
			})
		}
	}
	return img
}

// glyphs is the white symbol of each state. Stroke widths have a floor in
// pixels so that they stay at least ~1.7 px wide at 16 px.
func glyphs(name string, px float64) shape {
	w := math.Max(0.22, 1.7*px) // main stroke width
	switch name {
	case "idle": // check mark
		return union(seg(-0.45, 0.02, -0.13, 0.34, w), seg(-0.13, 0.34, 0.47, -0.3, w))
	case "committing": // a commit: a ring on a line
		return union(ring(0, 0, 0.27, w*0.85), seg(-0.62, 0, -0.27, 0, w*0.85), seg(0.27, 0, 0.62, 0, w*0.85))
	case "pushing": // arrow up
		return union(seg(0, 0.5, 0, -0.42, w), seg(0, -0.5, -0.36, -0.14, w), seg(0, -0.5, 0.36, -0.14, w))
	case "pulling": // arrow down
		return union(seg(0, -0.5, 0, 0.42, w), seg(0, 0.5, -0.36, 0.14, w), seg(0, 0.5, 0.36, 0.14, w))
	case "paused": // two bars
		bw := math.Max(0.13, 1.1*px)
		return union(rect(-0.2-bw, -0.42, -0.2+bw, 0.42), rect(0.2-bw, -0.42, 0.2+bw, 0.42))
	case "offline": // a broken link: two dashes with a gap
		return union(seg(-0.55, 0, -0.2, 0, w), seg(0.2, 0, 0.55, 0, w))
	case "conflict": // exclamation mark: "have a look", like a warning sign
		return union(seg(0, -0.52, 0, 0.12, w*1.1), disc(0, 0.45, w*0.7))
	case "error": // a cross: something failed
		return union(seg(-0.36, -0.36, 0.36, 0.36, w*1.05), seg(-0.36, 0.36, 0.36, -0.36, w*1.05))
	case "app": // two arrows chasing each other round a circle: sync
		aw := w * 0.9
		return union(
			arc(0, 0, 0.48, aw, math.Pi*1.05, math.Pi*1.8), head(0.48, math.Pi*1.8, 0.26),
			arc(0, 0, 0.48, aw, math.Pi*0.05, math.Pi*0.8), head(0.48, math.Pi*0.8, 0.26),
		)
	}
	return func(x, y float64) bool { return false }
}

func union(ss ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range ss {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func disc(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

func ring(cx, cy, r, w float64) shape {
	return func(x, y float64) bool { return math.Abs(math.Hypot(x-cx, y-cy)-r) <= w/2 }
}

// arc is a ring between angles a0 and a1 (radians, clockwise on screen
// because y grows downwards).
func arc(cx, cy, r, w, a0, a1 float64) shape {
	return func(x, y float64) bool {
		if math.Abs(math.Hypot(x-cx, y-cy)-r) > w/2 {
			return false
		}
		a := math.Atan2(y-cy, x-cx)
		if a < 0 {
			a += 2 * math.Pi
		}
		return a >= a0 && a <= a1
	}
}

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

// seg is a line from (x0,y0) to (x1,y1) with round caps, w wide.
func seg(x0, y0, x1, y1, w float64) shape {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	return func(x, y float64) bool {
		t := ((x-x0)*dx + (y-y0)*dy) / l2
		t = math.Max(0, math.Min(1, t))
		ex, ey := x0+t*dx-x, y0+t*dy-y
		return ex*ex+ey*ey <= w*w/4
	}
}

// head is an arrowhead on a circle of radius r at angle a, pointing
// clockwise (on screen), size s.
func head(r, a, s float64) shape {
	px, py := r*math.Cos(a), r*math.Sin(a)
	tx, ty := -math.Sin(a), math.Cos(a) // tangent, clockwise
	nx, ny := math.Cos(a), math.Sin(a)  // radial
	return tri(px+s*tx, py+s*ty, px+s*0.9*nx, py+s*0.9*ny, px-s*0.9*nx, py-s*0.9*ny)
}

func tri(ax, ay, bx, by, cx, cy float64) shape {
	side := func(x, y, x0, y0, x1, y1 float64) float64 { return (x-x1)*(y0-y1) - (x0-x1)*(y-y1) }
	return func(x, y float64) bool {
		d1, d2, d3 := side(x, y, ax, ay, bx, by), side(x, y, bx, by, cx, cy), side(x, y, cx, cy, ax, ay)
		neg := d1 < 0 || d2 < 0 || d3 < 0
		pos := d1 > 0 || d2 > 0 || d3 > 0
		return !(neg && pos)
	}
}
