package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/autosync-dev/autosync/syncer/vcs"
)

// Kind classifies a failed git command by what the caller should do about
// it. The classification reads git's standard error (in the C locale, which
// the runner forces), never the text of Error().
type Kind int

// The kinds of git failure.
const (
	// KindOther is any failure not classified below.
	KindOther Kind = iota
	// KindOffline: the remote could not be reached. Unwraps to vcs.ErrOffline.
	KindOffline
	// KindRejected: a push was refused because the remote has commits we
	// do not have. Unwraps to vcs.ErrRejected.
	KindRejected
	// KindLocked: another git process holds a lock. Unwraps to vcs.ErrLocked.
	KindLocked
	// KindAuth: the remote refused our credentials, or git would have had to
	// ask for them. The runner wraps it in a *vcs.NeedsUserError.
	KindAuth
	// KindIdentity: git does not know the author's name or email. The runner
	// wraps it in a *vcs.NeedsUserError.
	KindIdentity
	// KindDirty: uncommitted local changes are in the way of a merge.
	// Unwraps to vcs.ErrDirtyTree.
	KindDirty
	// KindNoRemoteRef: the remote does not have the branch (yet).
	KindNoRemoteRef
	// KindMissingPath: a path given to git add vanished before git saw it.
	KindMissingPath
)

// String names the kind, for logs.
func (k Kind) String() string {
	switch k {
	case KindOther:
		return "other"
	case KindOffline:
		return "offline"
	case KindRejected:
		return "rejected"
	case KindLocked:
		return "locked"
	case KindAuth:
		return "auth"
	case KindIdentity:
		return "identity"
	case KindDirty:
		return "dirty"
	case KindNoRemoteRef:
		return "no remote ref"
	case KindMissingPath:
		return "missing path"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a git command that failed. Stderr keeps what git said; Kind says
// what it means. errors.Is(err, vcs.ErrOffline) (and the other sentinels)
// works through Unwrap, as does errors.Is(err, context.Canceled) when the
// command was cancelled.
type Error struct {
	Args     []string // arguments after "git"
	ExitCode int      // -1 when git did not exit by itself (killed, not started)
	Stderr   string   // git's standard error, trimmed
	Kind     Kind
	Err      error // the exec error, or the context's error on cancellation/timeout
}

// Error says which git command failed and the last lines git printed.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("git ")
	b.WriteString(summarizeArgs(e.Args))
	b.WriteString(": ")
	if e.Stderr != "" {
		b.WriteString(lastLines(e.Stderr, 4))
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		fmt.Fprintf(&b, "exit status %d", e.ExitCode)
	}
	return b.String()
}

// Unwrap exposes the underlying error and the sentinel of Kind.
func (e *Error) Unwrap() []error {
	errs := []error{}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	switch e.Kind {
	case KindOffline:
		errs = append(errs, vcs.ErrOffline)
	case KindRejected:
		errs = append(errs, vcs.ErrRejected)
	case KindLocked:
		errs = append(errs, vcs.ErrLocked)
	case KindDirty:
		errs = append(errs, vcs.ErrDirtyTree)
	}
	return errs
}

// IsKind reports whether err is (or wraps) a git *Error of kind k.
func IsKind(err error, k Kind) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Kind == k
}

// summarizeArgs keeps an error message short when git was given many paths.
func summarizeArgs(args []string) string {
	for i, a := range args {
		if a == "--" && len(args)-i > 4 {
			return strings.Join(args[:i+4], " ") + fmt.Sprintf(" ... (%d paths)", len(args)-i-1)
		}
	}
	return strings.Join(args, " ")
}

// lastLines joins the last n non-empty lines of s: git puts the reason at
// the end.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " ")
}

// Patterns of git's (and ssh's, and curl's) standard error in the C locale.
// Order matters: authentication failures print "Could not read from remote
// repository" too, so they are tested before the offline patterns.
var (
	authPatterns = []string{
		"Authentication failed",
		"Permission denied (publickey",
		"Permission denied, please try again",
		"could not read Username",
		"could not read Password",
		"terminal prompts disabled",
		"HTTP Basic: Access denied",
		"Invalid username or password",
		"The requested URL returned error: 401",
		"The requested URL returned error: 403",
		"Host key verification failed",
		"SSL certificate problem",
		"server certificate verification failed",
	}
	offlinePatterns = []string{
		"Could not resolve host",
		"Could not resolve hostname",
		"Temporary failure in name resolution",
		"Name or service not known",
		"Connection refused",
		"Connection timed out",
		"Operation timed out",
		"Network is unreachable",
		"No route to host",
		"Connection reset by peer",
		"Connection closed by",
		"ssh: connect to host",
		"Could not read from remote repository",
		"unable to access",
		"the remote end hung up unexpectedly",
		"early EOF",
		"Failed to connect to",
	}
	rejectedPatterns = []string{
		"[rejected]",
		"non-fast-forward",
		"(fetch first)",
		"Updates were rejected because",
	}
	lockedPatterns = []string{
		".lock': File exists",
		"cannot lock ref",
		"Unable to create '",
	}
	identityPatterns = []string{
		"Please tell me who you are",
		"unable to auto-detect email address",
		"empty ident name",
		"no email was given and auto-detection is disabled",
		"no name was given and auto-detection is disabled",
	}
	dirtyPatterns = []string{
		"would be overwritten by merge",
		"would be overwritten by checkout",
		"Please commit your changes or stash them",
		"Please move or remove them before you merge",
		"Your local changes to the following files would be overwritten",
	}
)

func containsAny(s string, pats []string) bool {
	for _, p := range pats {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// classify decides the Kind of a failure from git's standard error.
func classify(stderr string) Kind {
	switch {
	case strings.Contains(stderr, "(failed to update ref)") || strings.Contains(stderr, "remote: error: cannot lock ref"):
		// The remote's ref moved while we pushed: another machine pushed
		// at the same moment. Fetch, merge and push again.
		return KindRejected
	case containsAny(stderr, lockedPatterns):
		return KindLocked
	case containsAny(stderr, identityPatterns):
		return KindIdentity
	case containsAny(stderr, dirtyPatterns):
		return KindDirty
	case containsAny(stderr, rejectedPatterns):
		return KindRejected
	case strings.Contains(stderr, "couldn't find remote ref"):
		return KindNoRemoteRef
	case strings.Contains(stderr, "did not match any files"):
		return KindMissingPath
	case containsAny(stderr, authPatterns):
		return KindAuth
	case containsAny(stderr, offlinePatterns):
		return KindOffline
	}
	return KindOther
}

// userError turns the failures only the user can fix into a
// *vcs.NeedsUserError that wraps the git error; other errors pass through.
func userError(dir string, err error) error {
	var ge *Error
	if !errors.As(err, &ge) {
		return err
	}
	switch ge.Kind {
	case KindAuth:
		if strings.Contains(ge.Stderr, "Host key verification failed") {
			return vcs.NeedsUser("git does not trust the server's ssh host key",
				"connect once in a terminal (for example git -C "+dir+" fetch) and accept the host key", err)
		}
		if strings.Contains(ge.Stderr, "certificate") {
			return vcs.NeedsUser("git does not trust the server's TLS certificate",
				"fix the certificate, or tell git about it (git config http.sslCAInfo FILE)", err)
		}
		return vcs.NeedsUser("the remote refused to let git log in",
			"make sure git can fetch and push without asking for a password: run git -C "+dir+
				" fetch in a terminal, then load your ssh key into ssh-agent or set up a credential helper", err)
	case KindIdentity:
		return vcs.NeedsUser("git does not know who you are",
			`set your name and email: git config --global user.name "Your Name" and git config --global user.email you@example.com`, err)
	}
	return err
}

// maxStderr bounds how much of git's standard error is kept in memory; the
// interesting part of a failure is at the end, the start is kept too.
const maxStderr = 64 << 10

type boundedBuffer struct{ b bytes.Buffer }

func (w *boundedBuffer) Write(p []byte) (int, error) {
	if room := maxStderr - w.b.Len(); room > 0 {
		if len(p) > room {
			w.b.Write(p[:room])
		} else {
			w.b.Write(p)
		}
	}
	return len(p), nil
}

// cmd is one git invocation.
type cmd struct {
	args    []string
	stdin   io.Reader // nil: /dev/null
	stdout  io.Writer // nil: captured and returned
	network bool      // use the network timeout
	// okCodes are exit codes that are not failures (git check-ignore exits 1
	// when nothing is ignored).
	okCodes []int
}

// repoLocationVars name a repository by environment. autosync runs git in
// each folder by its working directory; inherited from a shell (or a hook
// that started autosync) they would make every folder's git act on one
// other repository.
var repoLocationVars = []string{"GIT_DIR=", "GIT_WORK_TREE=", "GIT_INDEX_FILE=", "GIT_OBJECT_DIRECTORY=",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES=", "GIT_COMMON_DIR=", "GIT_NAMESPACE=", "GIT_PREFIX="}

// environment is the user's environment plus what makes git predictable and
// non-interactive. It is computed per call, as the process environment may
// change (tests isolate git through it).
func environment() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		// LC_ALL/LANGUAGE would translate git's messages and break
		// classification; everything else (ssh-agent, credential helpers,
		// GIT_SSH_COMMAND, proxies, HOME) is the user's and is kept.
		if strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "LANGUAGE=") || strings.HasPrefix(kv, "GIT_TERMINAL_PROMPT=") {
			continue
		}
		if slices.ContainsFunc(repoLocationVars, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LC_ALL=C", "LANGUAGE=", "GIT_TERMINAL_PROMPT=0")
}

// outputConfig overrides the user's settings that could change the output
// autosync parses (colours, signatures shown in git log), and nothing else.
var outputConfig = []string{"-c", "color.ui=false", "-c", "log.showSignature=false"}

// run runs git in r.dir and returns its standard output.
func (r *Repo) run(ctx context.Context, c cmd) ([]byte, error) {
	timeout := r.opts.Timeout
	if c.network {
		timeout = r.opts.NetworkTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	x := exec.CommandContext(ctx, "git", append(outputConfig[:len(outputConfig):len(outputConfig)], c.args...)...)
	x.Dir = r.dir
	x.Env = environment()
	x.Stdin = c.stdin
	var stdout bytes.Buffer
	if c.stdout != nil {
		x.Stdout = c.stdout
	} else {
		x.Stdout = &stdout
	}
	var stderr boundedBuffer
	x.Stderr = &stderr
	prepare(x)
	// After a cancellation git gets a SIGTERM (so it removes its lock files)
	// and this long to exit before it is killed.
	x.WaitDelay = 10 * time.Second

	start := time.Now()
	err := x.Run()
	r.log.Debug("git", "args", summarizeArgs(c.args), "took", time.Since(start).Round(time.Millisecond), "err", err)
	if errors.Is(err, exec.ErrWaitDelay) && x.ProcessState != nil && x.ProcessState.Success() {
		// git succeeded, but something it started (a hook's background
		// job) kept its output open: not a failure of git.
		err = nil
	}
	if err == nil {
		return stdout.Bytes(), nil
	}
	ge := &Error{Args: c.args, ExitCode: -1, Stderr: strings.TrimSpace(stderr.b.String()), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ge.ExitCode = ee.ExitCode()
		for _, ok := range c.okCodes {
			if ge.ExitCode == ok {
				return stdout.Bytes(), nil
			}
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		ge.Err = ctxErr
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			ge.Err = fmt.Errorf("no answer within %v: %w", timeout, ctxErr)
		}
		// A network command that ran out of time is as good as offline;
		// a cancellation by the caller is not a failure to classify.
		if c.network && errors.Is(ctxErr, context.DeadlineExceeded) {
			ge.Kind = KindOffline
		}
		return nil, ge
	}
	ge.Kind = classify(ge.Stderr)
	return nil, userError(r.dir, ge)
}

// out runs a local git command and returns its trimmed output.
func (r *Repo) out(ctx context.Context, args ...string) (string, error) {
	b, err := r.run(ctx, cmd{args: args})
	return strings.TrimRight(string(b), "\n"), err
}
