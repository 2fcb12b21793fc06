package config

// modeWarnings checks nothing on Windows: access is governed by ACLs, and a
// file in the user's profile is private to them by default.
func modeWarnings(string, bool) []string { return nil }

// syncDir does nothing on Windows, where directories cannot be synced.
func syncDir(string) {}
