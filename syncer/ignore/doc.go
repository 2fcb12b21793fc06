// Package ignore matches paths against gitignore-style patterns.
//
// autosync uses it for the patterns git itself does not know about: the
// folder's `ignore` setting and [Defaults], the editor and OS temp files
// that must never be committed. git's own ignore rules (.gitignore files,
// info/exclude, core.excludesFile) are left to git, which applies them
// exactly; this package only has to agree with git on what a pattern means.
//
// The semantics are those of gitignore(5): blank lines and lines starting
// with "#" are skipped; "\" escapes the next character; a leading "!"
// negates and the last matching pattern wins; a leading "/" or a "/" in the
// middle anchors the pattern to the top of the working copy, otherwise it
// matches the base name at any depth; a trailing "/" matches directories
// only; "*", "?", "[a-z]", "[!a-z]" and "[[:alpha:]]" never match "/"; "**"
// between slashes matches any number of directories. A path inside an
// ignored directory is ignored, and no negation can re-include it (as in
// git, whose walk never enters an ignored directory).
//
// Matching is case-sensitive, as git is by default.
package ignore
