package dialogs

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ncruces/zenity"

	"github.com/autosync-dev/autosync/assets"
	"github.com/autosync-dev/autosync/syncer"
)

// DefaultAskTimeout is how long the commit prompt waits when neither the
// options nor the context say otherwise (the config's default ask_timeout).
const DefaultAskTimeout = 30 * time.Second

// PrompterOptions configure a Prompter. The zero value works.
type PrompterOptions struct {
	// Timeout bounds every dialog; the context passed to CommitMessage may
	// end it sooner. Zero: the context's deadline alone (the engine passes
	// the folder's ask_timeout that way), or DefaultAskTimeout when the
	// context has none.
	Timeout time.Duration
	// TimeoutFor, when set and positive for a folder (its path), replaces
	// Timeout for that folder: the folder's ask_timeout.
	TimeoutFor func(folder string) time.Duration
	// AppName starts the dialog's title. Default "autosync".
	AppName string
	// Logger gets why no dialog was shown; nil discards it.
	Logger *slog.Logger
}

// Prompter asks for commit messages with a zenity entry dialog. It
// implements syncer.Prompter.
type Prompter struct {
	o        PrompterOptions
	log      *slog.Logger
	iconOnce sync.Once
	icon     string // path of the window icon PNG, "" if it could not be written
}

var _ syncer.Prompter = (*Prompter)(nil)

// NewPrompter makes a Prompter.
func NewPrompter(opts PrompterOptions) *Prompter {
	opts.AppName = cmp.Or(opts.AppName, "autosync")
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Prompter{o: opts, log: log}
}

// Title is the dialog's window title for folder (a path): tests and
// window rules can find the dialog by it.
func (p *Prompter) Title(folder string) string {
	return p.o.AppName + ": commit message for " + filepath.Base(folder)
}

// CommitMessage shows a dialog with generated prefilled and returns what the
// user confirmed. It returns generated, and a nil error, on Cancel, on an
// empty answer, on timeout, when ctx ends, and when no dialog can be shown
// (no display, no zenity): a commit never waits on the user for longer than
// the timeout, nor fails because of the dialog.
func (p *Prompter) CommitMessage(ctx context.Context, folder, generated string) (string, error) {
	if ok, why := canShow(); !ok {
		p.log.Debug("no commit message dialog: "+why, "folder", folder)
		return generated, nil
	}
	ctx, cancel := context.WithDeadline(ctx, p.limit(ctx, folder))
	defer cancel()
	opts := []zenity.Option{
		zenity.Title(p.Title(folder)),
		zenity.EntryText(generated),
		zenity.OKLabel("Commit"),
		zenity.Width(520),
		zenity.Context(ctx),
	}
	if icon := p.windowIcon(); icon != "" {
		opts = append(opts, zenity.WindowIcon(icon))
	}
	text := "Describe the changes in " + filepath.Base(folder) + ".\nCancel, or no answer within " +
		time.Until(deadline(ctx)).Round(time.Second).String() + ", uses the suggested message."
	start := time.Now()
	msg, err := zenity.Entry(text, opts...)
	switch {
	case err == nil:
		if m := strings.TrimSpace(msg); m != "" {
			return m, nil
		}
		return generated, nil
	case errors.Is(err, zenity.ErrCanceled):
		p.log.Debug("commit message dialog cancelled; using the generated message", "folder", folder)
	case ctx.Err() != nil:
		p.log.Info("commit message dialog timed out; using the generated message", "folder", folder, "after", time.Since(start).Round(time.Millisecond))
	default:
		p.log.Warn("commit message dialog failed; using the generated message", "folder", folder, "err", err)
	}
	return generated, nil
}

// limit is when the dialog for folder closes by itself: the folder's
// timeout, else Timeout, else the context's deadline, else
// DefaultAskTimeout; never later than the context's deadline.
func (p *Prompter) limit(ctx context.Context, folder string) time.Time {
	timeout := p.o.Timeout
	if p.o.TimeoutFor != nil {
		if d := p.o.TimeoutFor(folder); d > 0 {
			timeout = d
		}
	}
	d, ok := ctx.Deadline()
	switch {
	case timeout > 0 && (!ok || time.Now().Add(timeout).Before(d)):
		return time.Now().Add(timeout)
	case ok:
		return d
	}
	return time.Now().Add(DefaultAskTimeout) // never wait forever
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// windowIcon writes the app icon once to the user's cache directory: zenity
// takes a window icon only as a file.
func (p *Prompter) windowIcon() string {
	p.iconOnce.Do(func() {
		dir, err := os.UserCacheDir()
		if err != nil {
			return
		}
		path := filepath.Join(dir, "autosync", "autosync-64.png")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return
		}
		if err := os.WriteFile(path, assets.PNGSize("app", 64), 0o644); err != nil {
			return
		}
		p.icon = path
	})
	return p.icon
}
