package main

import "strings"

// commandLine is the command line of this invocation, as a shell would take
// it back: "runbook run --auto-approve 'my runbook.hcl'". The lock's holder
// record and the journal name the run with it, so the values of --var are
// left out (a token, a password): "--var 'token=(redacted)'".
func commandLine(argv []string) string {
	words := []string{"runbook"}
	varValue, positional := false, false
	for _, w := range argv {
		switch {
		case positional:
		case varValue:
			w, varValue = redactVar(w), false
		case w == "--":
			positional = true
		case w == "--var":
			varValue = true
		case strings.HasPrefix(w, "--var="):
			w = "--var=" + redactVar(strings.TrimPrefix(w, "--var="))
		}
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

// redactVar keeps the name of a --var NAME=VALUE and drops its value.
func redactVar(kv string) string {
	name, _, ok := strings.Cut(kv, "=")
	if !ok {
		return "(redacted)"
	}
	return name + "=(redacted)"
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+.,/:@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
