package assets

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"
	"testing"

	ico "github.com/sergeymakinen/go-ico"

	"github.com/autosync-dev/autosync/assets/internal/draw"
)

// TestIconsUpToDate fails when the committed icons differ from what the
// drawing code renders: run `go generate ./assets`.
func TestIconsUpToDate(t *testing.T) {
	if !slices.Equal(Names, draw.States) || !slices.Equal(Sizes, draw.Sizes) {
		t.Fatalf("assets.Names/Sizes %v %v differ from draw.States/Sizes %v %v", Names, Sizes, draw.States, draw.Sizes)
	}
	for _, name := range Names {
		for _, size := range Sizes {
			got, err := png.Decode(bytes.NewReader(PNGSize(name, size)))
			if err != nil {
				t.Fatalf("%s-%d.png: %v", name, size, err)
			}
			want := draw.Icon(name, size)
			if !sameImage(got, want) {
				t.Errorf("icons/%s-%d.png is stale: run go generate ./assets", name, size)
			}
		}
	}
}

func TestIconFormats(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(Icon(name, PNG)))
			if err != nil || format != "png" || cfg.Width != TraySize || cfg.Height != TraySize {
				t.Errorf("Icon(%q, PNG): %s %dx%d, %v; want a %d px png", name, format, cfg.Width, cfg.Height, err, TraySize)
			}
			imgs, err := ico.DecodeAll(bytes.NewReader(Icon(name, ICO)))
			if err != nil {
				t.Fatalf("Icon(%q, ICO): %v", name, err)
			}
			var sizes []int
			for _, img := range imgs {
				sizes = append(sizes, img.Bounds().Dx())
			}
			if !slices.Contains(sizes, 16) || !slices.Contains(sizes, 32) {
				t.Errorf("Icon(%q, ICO) sizes %v: want 16 and 32 at least", name, sizes)
			}
		})
	}
}

// TestIconsDistinct guards against two states drawing the same picture: a
// user tells states apart by the icon alone.
func TestIconsDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, name := range Names {
		k := fmt.Sprintf("%x", PNGSize(name, 22))
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s have the same 22 px icon", name, other)
		}
		seen[k] = name
	}
	if !bytes.Equal(Icon("no-such-state", PNG), Icon("error", PNG)) {
		t.Error("an unknown name should give the error icon")
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
