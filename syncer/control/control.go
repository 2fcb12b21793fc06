// Package control is the local control socket through which `autosync
// status|sync|pause|resume` talk to running instances.
//
// Every instance listens on its own Unix socket, <dir>/<pid>.sock, in a
// directory only its owner can enter (0700; on Linux the peer's uid is also
// checked). A client talks to every instance it finds there, so several
// processes (one per legacy config, say) are seen as one. Sockets left by a
// crashed instance are removed by the next client that finds them dead.
//
// The protocol is one JSON request and one JSON response per connection.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/autosync-dev/autosync/syncer"
	"github.com/autosync-dev/autosync/syncer/peer"
)

// Commands.
const (
	CmdStatus = "status"
	CmdSync   = "sync"
	CmdPause  = "pause"
	CmdResume = "resume"
)

// ioTimeout bounds one request/response exchange; an instance is local, so
// anything slower is stuck.
const ioTimeout = 5 * time.Second

// ErrNotRunning means no instance answered.
var ErrNotRunning = errors.New("autosync is not running")

// Request is what a client sends.
type Request struct {
	Cmd    string `json:"cmd"`
	Folder string `json:"folder,omitempty"` // "" = all folders
}

// Response is what an instance answers.
type Response struct {
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	NoSuch bool    `json:"no_such_folder,omitempty"` // the instance does not sync Folder
	Status *Status `json:"status,omitempty"`
}

// Status is one instance's state.
type Status struct {
	PID     int               `json:"pid"`
	Version string            `json:"version"`
	Started time.Time         `json:"started"`
	Config  string            `json:"config,omitempty"`
	Folders []syncer.Snapshot `json:"folders"`
	Peers   []Peer            `json:"peers,omitempty"`
}

// Peer is a peer channel's state, as shown by `autosync status`.
type Peer struct {
	Name         string             `json:"name"`
	State        string             `json:"state"`
	Detail       string             `json:"detail,omitempty"`
	LastSent     *peer.Announcement `json:"last_sent,omitempty"`
	LastReceived *peer.Announcement `json:"last_received,omitempty"`
}

// PeerView converts transport states for Status.
func PeerView(ps []peer.Status) []Peer {
	var out []Peer
	for _, p := range ps {
		out = append(out, Peer{Name: p.Name, State: p.State.String(), Detail: p.Detail, LastSent: p.LastSent, LastReceived: p.LastReceived})
	}
	return out
}

// Handler is what an instance does for requests. Methods are called from
// the server's goroutines and must not block for long.
type Handler interface {
	Status() Status
	SyncNow(folder string) error
	Pause(folder string) error
	Resume(folder string) error
}

// DefaultDir is where instances put their sockets:
// $XDG_RUNTIME_DIR/autosync, else <tmp>/autosync-<uid>.
func DefaultDir() string {
	if d := os.Getenv("AUTOSYNC_CONTROL_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "autosync")
	}
	return filepath.Join(os.TempDir(), "autosync-"+strconv.Itoa(os.Getuid()))
}

// Server is a listening control socket.
type Server struct {
	ln   net.Listener
	path string
	h    Handler
	log  *slog.Logger
}

// Listen creates dir (0700) if needed and listens on dir/<pid>.sock.
func Listen(dir string, h Handler, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, strconv.Itoa(os.Getpid())+".sock")
	os.Remove(path) // a socket of an earlier process with our PID is dead
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &Server{ln: ln, path: path, h: h, log: logger}, nil
}

// privateDir makes sure dir exists, belongs to us and only we can enter it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("control directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control directory %s: %w", dir, err)
	}
	if !ownedByUs(fi) {
		return fmt.Errorf("control directory %s belongs to another user; remove it or set AUTOSYNC_CONTROL_DIR", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("control directory %s: %w", dir, err)
		}
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers requests until ctx is done, then removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	defer os.Remove(s.path)
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return fmt.Errorf("control socket: %w", err)
		}
		go s.handle(conn)
	}
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	if err := checkPeer(conn); err != nil {
		s.log.Warn("control socket: refused a connection", "err", err)
		return
	}
	var req Request
	if err := json.NewDecoder(io.LimitReader(conn, 1<<16)).Decode(&req); err != nil {
		json.NewEncoder(conn).Encode(Response{Error: "bad request: " + err.Error()})
		return
	}
	json.NewEncoder(conn).Encode(s.answer(req))
}

func (s *Server) answer(req Request) Response {
	var err error
	switch req.Cmd {
	case CmdStatus:
		st := s.h.Status()
		return Response{OK: true, Status: &st}
	case CmdSync:
		err = s.h.SyncNow(req.Folder)
	case CmdPause:
		err = s.h.Pause(req.Folder)
	case CmdResume:
		err = s.h.Resume(req.Folder)
	default:
		return Response{Error: fmt.Sprintf("unknown command %q", req.Cmd)}
	}
	if err != nil {
		return Response{Error: err.Error(), NoSuch: errors.Is(err, syncer.ErrNoFolder)}
	}
	return Response{OK: true}
}

// Instance is one running autosync's answer to a request.
type Instance struct {
	Socket   string
	Response Response
}

// Send sends req to every instance with a socket in dir and returns their
// answers. With no live instance it returns ErrNotRunning. Dead sockets are
// removed.
func Send(ctx context.Context, dir string, req Request) ([]Instance, error) {
	socks, _ := filepath.Glob(filepath.Join(dir, "*.sock"))
	slices.Sort(socks)
	var out []Instance
	for _, sock := range socks {
		resp, err := roundTrip(ctx, sock, req)
		if err != nil {
			if isDead(err) && !ownerAlive(sock) {
				os.Remove(sock)
			}
			continue
		}
		out = append(out, Instance{Socket: sock, Response: resp})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (no instance answers in %s); start it with `autosync FOLDER` or `autosync --config FILE`", ErrNotRunning, dir)
	}
	return out, nil
}

func roundTrip(ctx context.Context, sock string, req Request) (Response, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "unix", sock)
	if err != nil {
		return Response{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return Response{}, err
	}
	var resp Response
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
		return Response{}, fmt.Errorf("reading answer from %s: %w", sock, err)
	}
	return resp, nil
}

// ownerAlive reports whether the process a socket is named after
// (<pid>.sock) still runs. A refused connection alone does not prove a
// socket dead: an instance that is just starting has bound its socket but
// not yet begun to listen.
func ownerAlive(sock string) bool {
	pid, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(sock), ".sock"))
	if err != nil || pid <= 0 {
		return false
	}
	return processAlive(pid)
}

// isDead reports whether a dial error means nobody listens on the socket
// any more (rather than, say, a timeout of a busy instance).
func isDead(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		strings.Contains(err.Error(), "connection refused")
}
