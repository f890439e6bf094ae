package main

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/urfave/cli/v2"
)

// runRestore puts back the records of a cleanup backup.
func runRestore(c *cli.Context, e env, a updateArgs) error {
	if len(a.hosts.Value()) > 0 || len(a.names.Value()) > 0 {
		return usageError("publish: --from-file restores the records in the file; it takes no --host or --name")
	}
	f, err := regfile.Open(a.fromFile)
	if err != nil {
		return usageError("publish: --from-file: %v", err)
	}
	b, err := publish.ReadBackup(f, a.fromFile)
	f.Close()
	if err != nil {
		return usageError("publish: %v", err)
	}
	if len(a.zones.Value()) > 0 {
		return usageError("publish: --from-file takes its zones from the file; no --zone")
	}
	for _, z := range b.Zones {
		a.zones.Set(z.Zone)
	}
	a.flags.ProbeTimeout = a.probeTimeout
	plan, err := loadUpdatePlan(e, &a)
	if err != nil {
		return err
	}
	for i, t := range plan.Primaries {
		if t.Server == "" { // by zone name: the plan may order zones otherwise
			plan.Primaries[i].Server = b.Server(t.Zone)
		}
	}
	targets, cl, done, err := openUpdates(c, e, plan)
	if err != nil {
		return err
	}
	defer done()
	plans := cleanup.PlanRestore(c.Context, cl, b, targets)
	for _, p := range plans {
		p.Changes = p.RecordChanges() // the result table shows each record
	}
	heedHosts(c.Context, a, plan, targets, plans) // the restored hosts, as publish checks a host
	if c.Context.Err() != nil {
		return &codeError{code: exitErrors, err: errors.New("publish: interrupted before anything was sent: nothing changed")}
	}
	if a.dryRun {
		if err := renderPlans(e.stdout, a.output, plans); err != nil {
			return &codeError{code: exitErrors, err: err}
		}
		return planCode(plans)
	}
	results := cl.Apply(c.Context, plans)
	forgetRepublished(c, e, a.statePath, plans, results)
	if err := renderResults(e.stdout, a.output, results, a.verbose); err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	return resultCode(results)
}

// restoreCommand is the command that puts the backup back, with the
// credentials this run used (file names, never a secret).
func restoreCommand(a cleanupArgs, backup string) string {
	abs := func(p string) string {
		if ap, err := filepath.Abs(p); err == nil {
			return ap
		}
		return p
	}
	args := []string{"kmsdns", "publish", "--from-file", shellQuote(abs(backup))}
	if a.audit.configFile != "" {
		args = append(args, "--config", shellQuote(abs(a.audit.configFile)))
	}
	if a.statePath != "" {
		// The state file this run wrote: the restore takes its records
		// out again, or audit reports them as reappeared. (The config's
		// defaults.state comes with --config.)
		args = append(args, "--state", shellQuote(abs(a.statePath)))
	}
	u := a.update.flags.Update
	var piped []string // secret inputs that were pipes: they cannot be named again
	file := func(flag, path string) {
		if regfile.IsPipe(path) {
			piped = append(piped, flag+" "+path)
			return
		}
		args = append(args, flag, shellQuote(abs(path)))
	}
	switch {
	case u.UsesGSS() || u.Keytab != "" || u.PasswordFile != "":
		// --gss always: a piped password file is left out below, and
		// without --gss the rest would restore unsigned.
		args = append(args, "--gss")
		for _, f := range []struct{ flag, val string }{{"--keytab", u.Keytab}, {"--password-file", u.PasswordFile}, {"--principal", u.Principal}, {"--krb5-conf", u.Krb5Conf}, {"--server-name", u.ServerName}} {
			switch {
			case f.val == "":
			case f.flag == "--principal" || f.flag == "--server-name":
				args = append(args, f.flag, shellQuote(f.val))
			default:
				file(f.flag, f.val)
			}
		}
	default:
		// The key as this run selected it: the key file (or the config's),
		// the key's name in it, or a name and algorithm whose secret stays
		// where it was (its file, or $KMSDNS_TSIG_SECRET).
		f := a.audit.flags
		if f.KeyFile != "" {
			file("--key-file", f.KeyFile)
		}
		if f.KeyName != "" {
			args = append(args, "--key-name", shellQuote(f.KeyName))
		}
		if f.KeyAlgorithm != "" {
			args = append(args, "--key-algorithm", shellQuote(f.KeyAlgorithm))
		}
		if f.SecretFile != "" {
			file("--key-secret-file", f.SecretFile)
		}
	}
	cmd := strings.Join(args, " ")
	if len(piped) > 0 {
		// A shell comment: what the command needs besides, which this
		// run read from a pipe that cannot be named again.
		cmd += "  # add " + strings.Join(piped, ", ") + " as you gave it this time: a pipe is read once"
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
