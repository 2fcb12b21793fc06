package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/autosync-dev/autosync/syncer"
)

type fakeHandler struct {
	mu    sync.Mutex
	calls []string
}

func (h *fakeHandler) Status() Status {
	return Status{PID: os.Getpid(), Folders: []syncer.Snapshot{{Path: "/home/u/notes", Name: "notes", State: syncer.Pushing}}}
}

func (h *fakeHandler) record(cmd, folder string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, cmd+" "+folder)
	if folder == "/elsewhere" {
		return fmt.Errorf("%w: %s", syncer.ErrNoFolder, folder)
	}
	return nil
}

func (h *fakeHandler) SyncNow(f string) error { return h.record("sync", f) }
func (h *fakeHandler) Pause(f string) error   { return h.record("pause", f) }
func (h *fakeHandler) Resume(f string) error  { return h.record("resume", f) }

func serve(t *testing.T, dir string, h Handler) *Server {
	t.Helper()
	srv, err := Listen(dir, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

func TestStatusAndCommandsReachTheInstance(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "autosync")
	h := &fakeHandler{}
	srv := serve(t, dir, h)

	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("control dir mode %v (err %v), want 0700", fi.Mode().Perm(), err)
	}
	if fi, _ := os.Stat(srv.Path()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", fi.Mode().Perm())
	}

	insts, err := Send(t.Context(), dir, Request{Cmd: CmdStatus})
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 1 || insts[0].Response.Status == nil || insts[0].Response.Status.Folders[0].State != syncer.Pushing {
		t.Fatalf("status answer %+v", insts)
	}
	for _, cmd := range []string{CmdSync, CmdPause, CmdResume} {
		insts, err := Send(t.Context(), dir, Request{Cmd: cmd, Folder: "/home/u/notes"})
		if err != nil || !insts[0].Response.OK {
			t.Fatalf("%s: %+v, %v", cmd, insts, err)
		}
	}
	insts, _ = Send(t.Context(), dir, Request{Cmd: CmdPause, Folder: "/elsewhere"})
	if insts[0].Response.OK || !insts[0].Response.NoSuch {
		t.Fatalf("pause of an unknown folder: %+v", insts[0].Response)
	}
	insts, _ = Send(t.Context(), dir, Request{Cmd: "explode"})
	if insts[0].Response.OK || insts[0].Response.Error == "" {
		t.Fatalf("unknown command accepted: %+v", insts[0].Response)
	}
	want := []string{"sync /home/u/notes", "pause /home/u/notes", "resume /home/u/notes", "pause /elsewhere"}
	if fmt.Sprint(h.calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", h.calls, want)
	}
}

func TestNotRunningAndStaleSockets(t *testing.T) {
	dir := t.TempDir()
	if _, err := Send(t.Context(), dir, Request{Cmd: CmdStatus}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("no instance: %v, want ErrNotRunning", err)
	}
	// A socket file left by a crashed instance: nobody listens, and its
	// PID is gone.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, strconv.Itoa(dead.Process.Pid)+".sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Send(t.Context(), dir, Request{Cmd: CmdStatus}); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("stale socket only: %v, want ErrNotRunning", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale socket was not removed: %v", err)
	}
	// A socket whose process is alive but not listening yet (bound, not
	// listening: an instance starting up) must be left alone.
	starting := filepath.Join(dir, strconv.Itoa(os.Getpid())+".sock")
	ln2, err := net.Listen("unix", starting)
	if err != nil {
		t.Fatal(err)
	}
	ln2.(*net.UnixListener).SetUnlinkOnClose(false)
	ln2.Close()
	Send(t.Context(), dir, Request{Cmd: CmdStatus})
	if _, err := os.Stat(starting); err != nil {
		t.Fatalf("the socket of a live process was removed: %v", err)
	}
}

func TestSeveralInstancesAnswerTogether(t *testing.T) {
	dir := t.TempDir()
	serve(t, dir, &fakeHandler{})
	// A second instance: another PID's socket in the same directory.
	other, err := net.Listen("unix", filepath.Join(dir, "1.sock"))
	if err != nil {
		t.Fatal(err)
	}
	s2 := &Server{ln: other, path: filepath.Join(dir, "1.sock"), h: &fakeHandler{}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go s2.Serve(ctx)
	insts, err := Send(t.Context(), dir, Request{Cmd: CmdStatus})
	if err != nil || len(insts) != 2 {
		t.Fatalf("%d answers (%v), want 2", len(insts), err)
	}
}

func TestListenRefusesAForeignDirectory(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create a directory owned by another user")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	os.Mkdir(dir, 0o700)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(dir, &fakeHandler{}, nil); err == nil {
		t.Fatal("listened in a directory owned by another user")
	}
}
