//go:build unix

// Package xmpptest starts a real prosody XMPP server for tests: on a free
// loopback port, from a temporary directory, with a certificate for
// "localhost" made by Go (whose PEM file is the CA file clients trust) and
// accounts the test creates. Nothing outside the temporary directory is
// used; the system's /etc/prosody and service are left alone.
//
// Without prosody on PATH, Start skips the test with the command that
// installs it; under CI=true a missing prosody is a failure instead.
//
// Typical use from any package's tests:
//
//	srv := xmpptest.Start(t)
//	jid := srv.AddUser(t, "alice", "secret") // alice@localhost
//	opts := xmpp.Options{JID: jid, Password: "secret", Server: srv.Addr(), CAFile: srv.CAFile()}
package xmpptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Domain is the XMPP domain (virtual host) of every test server.
const Domain = "localhost"

// startTimeout bounds how long prosody may take to open its port. It opens
// in about 0.1 s here; the rest is headroom for loaded CI machines.
const startTimeout = 20 * time.Second

// Options selects optional server features.
type Options struct {
	// DirectTLS also listens for direct TLS (XEP-0368, "tls = direct");
	// its address is DirectTLSAddr.
	DirectTLS bool
	// AllowPlaintext lets clients log in without TLS (for "tls = none"
	// against a loopback server).
	AllowPlaintext bool
}

// Server is a running prosody. Its methods may be called from the test's
// goroutine only.
type Server struct {
	dir, cfg string
	port     int
	tlsPort  int
	caFile   string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start starts a prosody with default options; it is stopped when the test
// ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// StartWith starts a prosody with opts; it is stopped when the test ends.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	for _, bin := range []string{"prosody", "prosodyctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := bin + " is not installed (apt-get install --no-install-recommends prosody lua-unbound)"
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s; CI=true: a missing dependency is a failure", msg)
			}
			tb.Skip(msg)
		}
	}
	dir := tb.TempDir()
	s := &Server{dir: dir, cfg: filepath.Join(dir, "prosody.cfg.lua"), port: freePort(tb)}
	if opts.DirectTLS {
		s.tlsPort = freePort(tb)
	}
	for _, d := range []string{"data", "certs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	crt, key := filepath.Join(dir, "certs", Domain+".crt"), filepath.Join(dir, "certs", Domain+".key")
	if err := writeCert(crt, key); err != nil {
		tb.Fatalf("making the test certificate: %v", err)
	}
	s.caFile = crt
	if err := os.WriteFile(s.cfg, []byte(s.config(opts, crt, key)), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.stop(syscall.SIGTERM) })
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *Server) config(opts Options, crt, key string) string {
	var b strings.Builder
	b.WriteString("-- written by xmpptest\n")
	// As root, prosody refuses to run (and prosodyctl switches to the
	// prosody user) unless told; as anyone else the option must be absent.
	if os.Geteuid() == 0 {
		b.WriteString("run_as_root = true\n")
	}
	fmt.Fprintf(&b, "pidfile = %q\n", filepath.Join(s.dir, "prosody.pid"))
	fmt.Fprintf(&b, "data_path = %q\n", filepath.Join(s.dir, "data"))
	fmt.Fprintf(&b, "certificates = %q\n", filepath.Join(s.dir, "certs"))
	fmt.Fprintf(&b, "log = { { levels = { min = \"info\" }, to = \"file\", filename = %q } }\n", filepath.Join(s.dir, "prosody.log"))
	b.WriteString("interfaces = { \"127.0.0.1\" }\n")
	// Nagle (prosody's default) adds 40 ms to back-to-back stanzas on
	// loopback, which would distort every latency measured against it.
	b.WriteString("network_settings = { nagle = false }\n")
	fmt.Fprintf(&b, "c2s_ports = { %d }\n", s.port)
	if s.tlsPort != 0 {
		fmt.Fprintf(&b, "c2s_direct_tls_ports = { %d }\n", s.tlsPort)
	}
	// s2s is loaded by default and would bind 5269.
	b.WriteString("modules_disabled = { \"s2s\" }\n")
	b.WriteString("modules_enabled = { \"roster\"; \"saslauth\"; \"tls\"; \"disco\"; \"carbons\"; \"ping\"; \"posix\"; \"offline\" }\n")
	b.WriteString("authentication = \"internal_hashed\"\n")
	if opts.AllowPlaintext {
		b.WriteString("c2s_require_encryption = false\nallow_unencrypted_plain_auth = true\n")
	}
	fmt.Fprintf(&b, "ssl = { certificate = %q; key = %q }\n", crt, key)
	fmt.Fprintf(&b, "VirtualHost %q\n", Domain)
	return b.String()
}

func (s *Server) start() error {
	cmd := exec.Command("prosody", "-F", "--config", s.cfg)
	out, err := os.OpenFile(filepath.Join(s.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a Ctrl-C in the terminal reaches the test
	// binary, whose cleanup stops the server, not the server directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start prosody: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	ports := []int{s.port}
	if s.tlsPort != 0 {
		ports = append(ports, s.tlsPort)
	}
	deadline := time.Now().Add(startTimeout)
	for _, port := range ports {
		for !portOpen(port) {
			select {
			case <-exited:
				return fmt.Errorf("prosody exited during startup:\n%s", s.Log())
			default:
			}
			if time.Now().After(deadline) {
				s.stop(syscall.SIGKILL)
				return fmt.Errorf("prosody did not open port %d within %v:\n%s", port, startTimeout, s.Log())
			}
			// Polling a real process; there is no event to wait for.
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// stop signals the server and waits for it to exit (SIGKILL after 5 s).
func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// AddUser creates the account user@localhost with password and returns its
// JID. It works while the server runs.
func (s *Server) AddUser(tb testing.TB, user, password string) string {
	tb.Helper()
	out, err := exec.Command("prosodyctl", "--config", s.cfg, "register", user, Domain, password).CombinedOutput()
	if err != nil {
		tb.Fatalf("prosodyctl register %s: %v\n%s", user, err, out)
	}
	return user + "@" + Domain
}

// Addr is the host:port of the STARTTLS (and plaintext) listener.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// DirectTLSAddr is the host:port of the direct TLS listener, "" unless
// started with Options.DirectTLS.
func (s *Server) DirectTLSAddr() string {
	if s.tlsPort == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort))
}

// CAFile is a PEM file that makes a client trust the server's certificate.
func (s *Server) CAFile() string { return s.caFile }

// TLSConfig is a client TLS configuration that trusts the server.
func (s *Server) TLSConfig() *tls.Config {
	pem, err := os.ReadFile(s.caFile)
	pool := x509.NewCertPool()
	if err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	return &tls.Config{RootCAs: pool, ServerName: Domain, MinVersion: tls.VersionTLS12}
}

// Kill kills the server with SIGKILL, as a crash or power loss would, and
// waits until it is gone. Clients see their connection drop at once.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	s.stop(syscall.SIGKILL)
	deadline := time.Now().Add(startTimeout)
	for portOpen(s.port) {
		if time.Now().After(deadline) {
			tb.Fatalf("port %d still open %v after killing prosody", s.port, startTimeout)
		}
		time.Sleep(10 * time.Millisecond) // a real process going away
	}
}

// Restart starts the server again on the same port with the same accounts
// (after Kill, or to restart a running server).
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.stop(syscall.SIGTERM)
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
}

// Pause stops the server process (SIGSTOP) without closing its sockets: a
// hung server or a half-open connection, as far as clients can tell.
func (s *Server) Pause(tb testing.TB) {
	tb.Helper()
	s.signal(tb, syscall.SIGSTOP)
	tb.Cleanup(func() { s.signalIfRunning(syscall.SIGCONT) })
}

// Resume continues a paused server.
func (s *Server) Resume(tb testing.TB) {
	tb.Helper()
	s.signal(tb, syscall.SIGCONT)
}

func (s *Server) signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := s.signalIfRunning(sig); err != nil {
		tb.Fatal(err)
	}
}

func (s *Server) signalIfRunning(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("prosody is not running")
	}
	return s.cmd.Process.Signal(sig)
}

// Log returns prosody's log so far, for failure messages.
func (s *Server) Log() string {
	var b strings.Builder
	for _, f := range []string{"stdout.log", "prosody.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, f))
		if err == nil && len(data) > 0 {
			if len(data) > 8000 {
				data = data[len(data)-8000:]
			}
			fmt.Fprintf(&b, "--- %s\n%s", f, data)
		}
	}
	return b.String()
}

// freePort returns a loopback port that was free a moment ago. Another
// process could take it before prosody binds it; that race is accepted
// (the start then fails with prosody's message).
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func portOpen(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// writeCert writes a self-signed ECDSA certificate for localhost (with the
// subjectAltName Go requires) and its key.
func writeCert(crtPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: Domain},
		DNSNames:              []string{Domain},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}
