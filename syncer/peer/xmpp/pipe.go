package xmpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// pipe connects go-xmpp to the server through a loopback connection that
// the transport controls: go-xmpp dials Addr(), the pipe copies bytes to
// and from the real server connection. Close ends both sides, which makes
// any go-xmpp read or write fail at once, without touching go-xmpp's own
// state (its Close is racy and can hang). Reads from the server have an
// idle deadline: when nothing arrives for idle, the pipe closes itself.
//
// Another local process could connect to the listener before go-xmpp does;
// it would only get a pipe to the server (TLS runs end to end between
// go-xmpp and the server, so it sees nothing of ours), and our login would
// fail and be retried.
type pipe struct {
	remote net.Conn
	ln     net.Listener
	idle   time.Duration

	once   sync.Once
	mu     sync.Mutex
	local  net.Conn
	closed bool
	err    error // why the pipe closed, if it did on its own
}

// errIdle is the pipe's error when the server sent nothing for too long.
var errIdle = errors.New("no data from the server for too long (connection dead or half-open)")

func openPipe(ctx context.Context, addr string, dialTimeout, idle time.Duration) (*pipe, error) {
	d := net.Dialer{Timeout: dialTimeout}
	remote, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln, err = net.Listen("tcp", "[::1]:0")
	}
	if err != nil {
		remote.Close()
		return nil, fmt.Errorf("listen on loopback for the XMPP connection: %w", err)
	}
	noProxyForLoopback()
	p := &pipe{remote: remote, ln: ln, idle: idle}
	go p.serve()
	return p, nil
}

// Addr is the loopback address go-xmpp must dial.
func (p *pipe) Addr() string { return p.ln.Addr().String() }

func (p *pipe) serve() {
	local, err := p.ln.Accept()
	p.ln.Close() // one connection only
	if err != nil {
		p.fail(err)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		local.Close()
		return
	}
	p.local = local
	p.mu.Unlock()

	go func() {
		_, err := io.Copy(p.remote, local)
		if err == nil {
			err = io.EOF
		}
		p.fail(err)
	}()
	buf := make([]byte, 32<<10)
	for {
		_ = p.remote.SetReadDeadline(time.Now().Add(p.idle))
		n, err := p.remote.Read(buf)
		if n > 0 {
			if _, werr := local.Write(buf[:n]); werr != nil {
				p.fail(werr)
				return
			}
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				err = errIdle
			}
			p.fail(err)
			return
		}
	}
}

// fail closes the pipe and records why, unless it was closed already.
func (p *pipe) fail(err error) {
	p.mu.Lock()
	if p.err == nil && !p.closed {
		p.err = err
	}
	p.mu.Unlock()
	p.Close()
}

// Err is why the pipe closed on its own (nil if it did not, or if Close
// came first).
func (p *pipe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Close closes both sides. Safe to call many times from any goroutine.
func (p *pipe) Close() {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		local := p.local
		p.mu.Unlock()
		p.ln.Close()
		p.remote.Close()
		if local != nil {
			local.Close()
		}
	})
}

var noProxyOnce sync.Once

// noProxyForLoopback keeps go-xmpp from sending its loopback dial through
// an HTTP proxy: go-xmpp honours HTTP_PROXY for XMPP and exempts only the
// hosts in NO_PROXY (a substring match). It adds 127.0.0.1 and ::1 to
// NO_PROXY when a proxy is set and they are missing. This changes the
// process environment; loopback addresses are never meant for a proxy, so
// child processes lose nothing.
func noProxyForLoopback() {
	noProxyOnce.Do(func() {
		if os.Getenv("HTTP_PROXY") == "" && os.Getenv("http_proxy") == "" {
			return
		}
		np := os.Getenv("NO_PROXY")
		if np == "" {
			np = os.Getenv("no_proxy")
		}
		if strings.Contains(np, "127.0.0.1") && strings.Contains(np, "::1") {
			return
		}
		if np != "" {
			np += ","
		}
		_ = os.Setenv("NO_PROXY", np+"127.0.0.1,::1")
	})
}
