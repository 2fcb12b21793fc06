package legacy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Template keys, as in the [dvcs] section.
const (
	keyStatus    = "statuscmd"
	keyAdd       = "addcmd"
	keyRm        = "rmcmd"
	keyModify    = "modifycmd"
	keyMove      = "movecmd"
	keyStartup   = "startupcmd"
	keyCommit    = "commitcmd"
	keyPush      = "pushcmd"
	keyPull      = "pullcmd"
	keyRemoteURL = "remoteurlcmd"
)

// Split turns a template into the argument lists it runs, the way
// dvcs-autosync did: one command per line, each split on spaces with no
// quoting. Empty lines give no command, so an empty template runs nothing.
// Runs of spaces count as one separator (the old tool passed empty
// arguments there, which no tool wanted).
func Split(template string) [][]string {
	var cmds [][]string
	for _, line := range strings.Split(template, "\n") {
		var argv []string
		for _, tok := range strings.Split(strings.TrimRight(line, "\r"), " ") {
			if tok = strings.TrimSpace(tok); tok != "" {
				argv = append(argv, tok)
			}
		}
		if len(argv) > 0 {
			cmds = append(cmds, argv)
		}
	}
	return cmds
}

// Expand splits template and fills each token that is exactly "%s" with
// the next of args, the count carrying on across lines (movecmd's first
// line gets the source, its second the destination). The substitution
// happens after splitting, so an argument with spaces stays one argv
// element. Extra args are ignored, as they were: "hg add" without %s adds
// everything. A template that asks for more args than given is an error.
func Expand(template string, args ...string) ([][]string, error) {
	cmds := Split(template)
	n := 0
	for _, argv := range cmds {
		for i, tok := range argv {
			if tok != "%s" {
				continue
			}
			if n >= len(args) {
				return nil, fmt.Errorf("template %q has more %%s than the %d argument(s) it is given", template, len(args))
			}
			argv[i] = args[n]
			n++
		}
	}
	return cmds, nil
}

// CommandError is a template command (or a command autosync runs itself)
// that failed: it did not start, timed out, or exited non-zero. Output
// holds what it wrote to stderr (stdout when stderr was empty), trimmed.
type CommandError struct {
	Key      string   // the [dvcs] key, or "" for autosync's own commands
	Argv     []string // the command as run
	Dir      string   // its working directory
	ExitCode int      // -1 when it did not start or was killed
	Output   string
	Err      error
}

func (e *CommandError) Error() string {
	var b strings.Builder
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	fmt.Fprintf(&b, "%q in %s failed: %v", strings.Join(e.Argv, " "), e.Dir, e.Err)
	if e.Output != "" {
		b.WriteString(": " + tail(e.Output, 2000))
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// tail keeps the end of long output (the error is usually last).
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// runner runs commands in one directory with a timeout each.
type runner struct {
	dir     string
	timeout time.Duration
	// env is added to the user's environment for every command.
	env []string
}

// result is what a command printed.
type result struct {
	stdout, stderr string
}

// run runs one argv. extraEnv is added on top of r.env.
func (r *runner) run(ctx context.Context, key string, argv []string, extraEnv ...string) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir = r.dir
	if len(r.env) > 0 || len(extraEnv) > 0 {
		c.Env = append(append(os.Environ(), r.env...), extraEnv...)
	}
	// Let a killed command's children (ssh under hg) go with it.
	c.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if err == nil {
		return res, nil
	}
	out := strings.TrimSpace(res.stderr)
	if out == "" {
		out = strings.TrimSpace(res.stdout)
	}
	ce := &CommandError{Key: key, Argv: argv, Dir: r.dir, ExitCode: -1, Output: out, Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ce.ExitCode = ee.ExitCode()
	}
	if ctx.Err() == context.DeadlineExceeded {
		ce.Err = fmt.Errorf("timed out after %v (a network or password prompt hanging?): %w", r.timeout, err)
	}
	return res, ce
}

// runTemplate runs every command of a template in order and stops at the
// first failure. Output is collected from all commands.
func (r *runner) runTemplate(ctx context.Context, key, template string, args ...string) (result, error) {
	cmds, err := Expand(template, args...)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", key, err)
	}
	var all result
	for _, argv := range cmds {
		res, err := r.run(ctx, key, argv)
		all.stdout += res.stdout
		all.stderr += res.stderr
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// runShell runs statuscmd through the platform's shell (pipes work, as
// they did). It reports whether the command exited 0; a command that could
// not run at all is an error.
func (r *runner) runShell(ctx context.Context, key, script string) (bool, error) {
	if strings.TrimSpace(script) == "" {
		return false, fmt.Errorf("%s is empty: autosync cannot tell whether there is anything to commit; set it (for git: git status | grep -iq \"nothing to commit\")", key)
	}
	_, err := r.run(ctx, key, shellArgv(script))
	if err == nil {
		return true, nil
	}
	var ce *CommandError
	if errors.As(err, &ce) && ce.ExitCode > 0 && ctx.Err() == nil {
		return false, nil
	}
	return false, err
}
