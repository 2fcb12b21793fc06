// Command gen writes autosync's icons into a directory: for every icon name
// (see package draw) a PNG per size and a Windows .ico holding several sizes.
// With -sheet it also writes a contact sheet (every icon at 16, 22 and 24 px
// on a light and a dark panel, plus a 4x magnification) for a human to judge.
//
//	go run ./assets/internal/gen -out assets/icons [-sheet /tmp/sheet.png]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"os"
	"path/filepath"

	ico "github.com/sergeymakinen/go-ico"

	"github.com/autosync-dev/autosync/assets/internal/draw"
)

// icoSizes are the sizes packed into each .ico: Windows picks 16 for the
// notification area at 100 % scaling, 24/32 at 150/200 %, 48/256 for
// Explorer.
var icoSizes = []int{16, 24, 32, 48, 256}

func main() {
	out := flag.String("out", "assets/icons", "directory to write the icons into")
	sheet := flag.String("sheet", "", "also write a contact sheet PNG to this path")
	flag.Parse()
	if err := run(*out, *sheet); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, sheet string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, name := range draw.States {
		for _, size := range draw.Sizes {
			b, err := encodePNG(draw.Icon(name, size))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("%s-%d.png", name, size)), b, 0o644); err != nil {
				return err
			}
		}
		var imgs []image.Image
		for _, size := range icoSizes {
			imgs = append(imgs, draw.Icon(name, size))
		}
		var buf bytes.Buffer
		if err := ico.EncodeAll(&buf, imgs); err != nil {
			return fmt.Errorf("%s.ico: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".ico"), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if sheet == "" {
		return nil
	}
	b, err := encodePNG(contactSheet())
	if err != nil {
		return err
	}
	return os.WriteFile(sheet, b, 0o644)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// contactSheet: one row per panel colour (light, dark); each row holds every
// icon at 16, 22 and 24 px at 1x, then the same three magnified 4x.
func contactSheet() image.Image {
	panels := []color.NRGBA{{0xf2, 0xf2, 0xf2, 0xff}, {0x23, 0x25, 0x29, 0xff}}
	sizes := []int{16, 22, 24}
	const zoom, pad = 4, 8
	cell := 24*zoom + pad
	w := len(draw.States)*cell + pad
	rowH := 24 + pad + cell
	img := image.NewNRGBA(image.Rect(0, 0, w, len(panels)*len(sizes)*rowH))
	y := 0
	for _, bg := range panels {
		for _, size := range sizes {
			stddraw.Draw(img, image.Rect(0, y, w, y+rowH), image.NewUniform(bg), image.Point{}, stddraw.Src)
			for i, name := range draw.States {
				ic := draw.Icon(name, size)
				x := pad + i*cell
				stddraw.Draw(img, image.Rect(x, y+pad/2, x+size, y+pad/2+size), ic, image.Point{}, stddraw.Over)
				big := magnify(ic, zoom)
				stddraw.Draw(img, image.Rect(x, y+24+pad, x+size*zoom, y+24+pad+size*zoom), big, image.Point{}, stddraw.Over)
			}
			y += rowH
		}
	}
	return img
}

func magnify(src *image.NRGBA, k int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			dst.SetNRGBA(x, y, src.NRGBAAt(x/k, y/k))
		}
	}
	return dst
}
