// Package dialogs talks to the user outside the tray: desktop notifications
// (beeep) for what autosync did, and the optional commit-message prompt
// (zenity).
//
// Notifier turns the engine's events into few, useful notifications: a
// burst (a commit and its push, ten files pulled at once) becomes one
// notification; "offline" is said once per outage, not per retry; normal
// activity is never urgent. Prompter implements syncer.Prompter and never
// keeps the engine waiting longer than the timeout.
package dialogs
