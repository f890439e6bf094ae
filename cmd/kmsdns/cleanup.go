package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// cleanupArgs holds everything cleanup needs, independently of the CLI.
type cleanupArgs struct {
	audit              auditArgs
	update             updateArgs
	hosts              cli.StringSlice
	stale              bool
	replaceWith        string
	replacePort        int
	replaceTTL         int
	replacePriority    int
	replaceWeight      int
	includeUnreachable bool
	yes                bool
	backup             string
	statePath          string
}

func cleanupCommand(e env) *cli.Command {
	var a cleanupArgs
	return &cli.Command{
		Name:      "cleanup",
		Usage:     "remove a failed KMS host's records everywhere, with a backup",
		UsageText: "kmsdns cleanup (--host HOST... | --stale) [--replace-with HOST] [options]",
		Description: `Audits the zones (--zone, or every zone of --config), then removes exactly
what is asked: with --host, every record whose target is that host
(repeatable); with --stale, every record the audit finds decommissioned or
target-unresolvable, and with --include-unreachable also host-unreachable
and not-kms ones. One of --host or --stale is required. A --host that is the
target of no record is an error that lists the closest targets seen.
Healthy records are never touched.

The plan is shown first and confirmed when stdin and stderr are terminals;
otherwise (cron, systemd) nothing changes without --yes (exit 3).

Before any change, every record to be removed is written to a backup file
(zone-file format, synced to disk); the restore command printed after the
run puts them back. Each zone is changed by one UPDATE message whose
prerequisites guard every deletion: a record changed since the audit is left
alone. --replace-with adds the new host in the same message, so no name is
ever without a record; it takes the TTL of the RRset it joins unless --ttl
is given (an RRset has one TTL: a different --ttl changes the others' too,
and the plan says so). The last record of a name is not removed without
--replace-with or --force.

What was removed is remembered in the state file (--state, or "state:" under
defaults in the config), written under a lock after each zone; a later audit
reports a removed record that came back (a live host re-registers every 24
hours unless slmgr /cdns is run on it). Interrupted (SIGINT, SIGTERM),
cleanup sends no further update and prints what became of each zone
(exit 2).

Examples:
   kmsdns cleanup --config /etc/kmsdns/kmsdns.yaml --host kms-old.contoso.com --dry-run
   kmsdns cleanup --config /etc/kmsdns/kmsdns.yaml --stale --include-unreachable --dry-run
   kmsdns cleanup --zone contoso.com --zone fabrikam.com --server 10.0.0.53 --key-file /etc/kmsdns/update.key \
       --host kms-old.contoso.com --replace-with kms2.contoso.com --yes`,
		Flags: joinFlags([]cli.Flag{
			configFlag(&a.audit.configFile),
			&cli.StringSliceFlag{Name: "zone", Aliases: []string{"z"}, Usage: "zone `NAME` to clean (repeatable; default: every zone of --config)", Destination: &a.audit.zones},
			&cli.StringSliceFlag{Name: "name", Aliases: []string{"n"}, Usage: "extra client DNS suffix `NAME` to check (repeatable)", Destination: &a.audit.names},
			&cli.StringSliceFlag{Name: "host", Usage: "failed or retired KMS `HOST` whose records go (repeatable)", Destination: &a.hosts},
			&cli.BoolFlag{Name: "stale", Usage: "remove every record the audit finds decommissioned or target-unresolvable", Destination: &a.stale},
			&cli.BoolFlag{Name: "include-unreachable", Usage: "with --stale, also records whose host does not answer (host-unreachable, not-kms)", Destination: &a.includeUnreachable},
			&cli.StringFlag{Name: "replace-with", Usage: "KMS `HOST` to publish wherever a removed host was, in the same message", Destination: &a.replaceWith},
			&cli.IntFlag{Name: "replace-port", Value: publish.DefaultPort, Usage: "`PORT` of the --replace-with host", Destination: &a.replacePort},
			&cli.IntFlag{Name: "ttl", Usage: "`TTL` of the --replace-with record", DefaultText: "the TTL of the RRset it joins", Destination: &a.replaceTTL},
			&cli.IntFlag{Name: "priority", Usage: "SRV `PRIORITY` of the --replace-with record (clients since Windows 7 honour it)", Destination: &a.replacePriority},
			&cli.IntFlag{Name: "weight", Usage: "SRV `WEIGHT` of the --replace-with record", Destination: &a.replaceWeight},
			&cli.BoolFlag{Name: "force", Usage: "also remove the last record of a name when there is no replacement", Destination: &a.update.force},
			dryRunFlag(&a.update.dryRun),
			verboseFlag(&a.update.verbose),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (needed without a terminal)", Destination: &a.yes},
			&cli.StringFlag{Name: "backup", Usage: "backup `FILE`", DefaultText: "kmsdns-backup-<time>.zone in the current directory", Destination: &a.backup},
			stateFlag(&a.statePath),
			&cli.StringFlag{Name: "server", Aliases: []string{"s"}, Usage: "server `HOST[:PORT]` to read from and update (default: the zone's SOA MNAME)", Destination: &a.audit.flags.Server},
		}, tsigFlags(tsigDest{KeyFile: &a.audit.flags.KeyFile, KeyName: &a.audit.flags.KeyName, Algorithm: &a.audit.flags.KeyAlgorithm, SecretFile: &a.audit.flags.SecretFile}),
			gssFlags(&a.update.flags.Update), []cli.Flag{
				resolverFlag(&a.audit.flags.Resolver, "used to find zone servers and to look up targets outside the zones"),
				timeoutFlag(&a.audit.flags.Timeout, "how long to wait for a connection or the next message"),
				probeTimeoutFlag(&a.audit.flags.ProbeTimeout),
				&cli.BoolFlag{Name: "no-probe", Usage: "do not connect to KMS hosts (no host-unreachable, no liveness warnings)", Destination: &a.audit.flags.NoProbe},
				&cli.StringSliceFlag{Name: "decommissioned", Usage: "`HOST` that must no longer be published (repeatable)", Destination: &a.audit.decommissioned},
				&cli.IntFlag{Name: "expected-port", Usage: "`PORT` records should carry (for the audit)", DefaultText: "1688", Destination: &a.audit.flags.ExpectedPort},
				outputFlag(&a.update.output, "result"),
			}),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("cleanup: %v (see kmsdns cleanup --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("cleanup: unexpected argument %q", c.Args().First())
			}
			a.audit.flags.Zones = a.audit.zones.Value()
			a.audit.flags.Names = a.audit.names.Value()
			a.audit.flags.Decommissioned = a.audit.decommissioned.Value()
			return runCleanup(c, e, a)
		},
	}
}

// cleanupInput checks the flags: the selection and the replacement.
func cleanupInput(a cleanupArgs) (cleanup.Selection, *publish.Record, error) {
	sel := cleanup.Selection{Stale: a.stale, IncludeUnreachable: a.includeUnreachable}
	if a.update.output != "table" && a.update.output != "json" {
		return sel, nil, usageError("--output: %q is not table or json", a.update.output)
	}
	for _, h := range a.hosts.Value() {
		hh, err := publish.CheckHost(h)
		if err != nil {
			return sel, nil, usageError("cleanup: --host: %v", err)
		}
		sel.Hosts = append(sel.Hosts, hh)
	}
	if len(sel.Hosts) == 0 && !sel.Stale {
		return sel, nil, usageError("cleanup: %v (see kmsdns cleanup --help)", cleanup.ErrNothingSelected)
	}
	if a.includeUnreachable && !a.stale {
		return sel, nil, usageError("cleanup: --include-unreachable widens --stale: give --stale too")
	}
	if a.replaceWith == "" {
		if a.replaceTTL != 0 || a.replacePriority != 0 || a.replaceWeight != 0 {
			return sel, nil, usageError("cleanup: --ttl, --priority and --weight are for the --replace-with record")
		}
		return sel, nil, nil
	}
	for _, v := range []struct {
		name     string
		val, max int
	}{{"--replace-port", a.replacePort, 65535}, {"--priority", a.replacePriority, 65535}, {"--weight", a.replaceWeight, 65535}, {"--ttl", a.replaceTTL, 1<<31 - 1}} {
		if v.val < 0 || v.val > v.max || v.name == "--replace-port" && v.val == 0 {
			return sel, nil, usageError("cleanup: %s %d is out of range", v.name, v.val)
		}
	}
	r, err := publish.Record{Host: a.replaceWith, Port: uint16(a.replacePort), TTL: publish.DefaultTTL,
		Priority: uint16(a.replacePriority), Weight: uint16(a.replaceWeight)}.Check()
	if err != nil {
		return sel, nil, usageError("cleanup: --replace-with: %v", err)
	}
	r.TTL = uint32(a.replaceTTL) // 0: the TTL of the RRset it joins
	for _, h := range sel.Hosts {
		if h == r.Host {
			return sel, nil, usageError("cleanup: --replace-with %s is also a --host to remove", a.replaceWith)
		}
	}
	return sel, &r, nil
}

func runCleanup(c *cli.Context, e env, a cleanupArgs) error {
	sel, replace, err := cleanupInput(a)
	if err != nil {
		return err
	}
	// Human text goes to stderr when stdout carries the JSON document.
	human := e.stdout
	if a.update.output == "json" {
		human = e.stderr
	}
	doc := &cleanupDoc{Version: 1, DryRun: a.update.dryRun, Plan: []jsonCleanupZone{}, Results: []jsonCleanupResult{}, Warnings: []string{}}
	emit := func(err error) error {
		if a.update.output == "json" {
			if err != nil {
				var ce *codeError
				if !errors.As(err, &ce) || ce.err != nil {
					doc.Error = err.Error()
				}
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(doc); jerr != nil {
				return &codeError{code: exitErrors, err: jerr}
			}
		}
		return err
	}

	// 1. The audit.
	a.audit.statePath = a.statePath
	a.audit.update = &a.update.flags.Update
	res, err := auditZones(c, e, a.audit, func(plan *config.Plan) error {
		for _, s := range plan.Specs {
			if len(s.Files) > 0 {
				return usageError("cleanup: zone %s is read from a file: cleanup changes zones on their servers", s.Zone)
			}
		}
		return nil
	})
	if err != nil {
		return emit(err)
	}
	rep := res.report
	var unreadable []string
	for _, z := range rep.Zones {
		if z.Error != "" {
			unreadable = append(unreadable, fmt.Sprintf("%s: %s", short(z.Zone), z.Error))
		}
	}
	doc.Unreadable = unreadable

	// 2. What goes, and the plan.
	removals, err := cleanup.Select(res.results, rep, sel)
	var uh *cleanup.UnknownHostError
	if errors.As(err, &uh) && len(unreadable) == 0 {
		// A host whose records an earlier run removed: nothing to clean.
		for _, r := range res.removed {
			if r.Target == uh.Host && !r.Pending && zonesRead(rep, r.Zone) {
				fmt.Fprintf(human, "nothing to clean: no record targets %s any more (kmsdns cleanup removed its records on %s)\n",
					short(uh.Host), r.RemovedAt.UTC().Format("2006-01-02 15:04 MST"))
				return emit(nil)
			}
		}
	}
	if errors.As(err, &uh) {
		code := exitUsage
		if len(unreadable) > 0 {
			code = exitErrors
			err = fmt.Errorf("%w (and some zones could not be read: %s)", err, strings.Join(unreadable, "; "))
		}
		return emit(&codeError{code: code, err: fmt.Errorf("cleanup: --host %s: %w", short(uh.Host), err)})
	}
	if err != nil {
		return emit(usageError("cleanup: %v", err))
	}
	if len(removals) == 0 {
		for _, u := range unreadable {
			fmt.Fprintln(e.stderr, "kmsdns: could not read", u)
		}
		what := "decommissioned or unresolvable"
		if a.includeUnreachable {
			what = "decommissioned, unresolvable, unreachable or not KMS"
		}
		fmt.Fprintln(human, "nothing to clean: no record is "+what)
		if len(unreadable) > 0 {
			return emit(&codeError{code: exitErrors})
		}
		return emit(nil)
	}
	doc.Warnings = append(doc.Warnings, cleanup.AliasWarnings(rep, removals)...)
	zonesWith := map[string]bool{}
	for _, r := range removals {
		zonesWith[r.Record.Zone] = true
	}
	var zones []string
	for _, z := range rep.Zones {
		if zonesWith[z.Zone] {
			zones = append(zones, z.Zone)
		}
	}
	targets, cl, done, err := openUpdates(c, e, res.update.Only(zones))
	if err != nil {
		return emit(err)
	}
	defer done()
	plan := cleanup.NewPlan(c.Context, cl, targets, removals, replace, a.update.force)
	doc.Plan = cleanupJSONPlan(plan)
	renderCleanupPlan(human, plan, a.update.dryRun, unreadable)
	for _, w := range doc.Warnings {
		fmt.Fprintln(e.stderr, "kmsdns: warning:", w)
	}

	if a.update.dryRun {
		for _, p := range plan.Zones {
			if !p.Empty() {
				fmt.Fprint(human, "\n"+p.Text())
			}
		}
		fmt.Fprintln(human, "\ndry run: nothing was changed")
		return emit(nil)
	}
	toSend := plan.Sends()
	if toSend == 0 {
		return emit(cleanupCode(plan, nil, unreadable))
	}

	// 3. Confirmation, only with a person at a terminal.
	if !a.yes {
		if !e.stdinTTY || !e.stderrTTY {
			return emit(&codeError{code: exitUsage, err: fmt.Errorf("cleanup: no terminal to confirm on (stdin and stderr must be terminals): nothing was changed; run again with --yes to apply this plan, or with --dry-run to see the UPDATE messages")})
		}
		fmt.Fprintf(e.stderr, "Remove these records from %d zone(s)? [y/N] ", toSend)
		answers := make(chan string, 1)
		go func() {
			answer, _ := bufio.NewReader(io.LimitReader(e.stdin, 64)).ReadString('\n')
			answers <- answer
		}()
		var answer string
		select {
		case answer = <-answers:
		case <-c.Context.Done():
			fmt.Fprintln(e.stderr)
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stderr, "kmsdns: nothing was changed")
			return emit(&codeError{code: exitErrors})
		}
	}

	// 4. Backup, then the updates, one zone at a time.
	path := a.backup
	if path == "" {
		path = fmt.Sprintf("kmsdns-backup-%s.zone", e.now().UTC().Format("20060102-150405"))
	}
	store := &cleanup.StateStore{Path: res.statePath, Now: e.now, Notice: func(msg string) { fmt.Fprintln(e.stderr, "kmsdns: warning:", msg) }}
	out, err := cleanup.Apply(c.Context, cl, plan, cleanup.ApplyOptions{BackupPath: path, State: store, Now: e.now, BeforeZone: e.beforeZone})
	if err != nil {
		return emit(&codeError{code: exitErrors, err: err})
	}
	doc.Backup = out.Backup
	doc.Restore = restoreCommand(a, out.Backup)
	doc.Interrupted = out.Interrupted
	doc.Results = jsonResults(out)
	fmt.Fprintf(e.stderr, "kmsdns: backup of the records to remove: %s (restore: %s)\n", out.Backup, doc.Restore)
	if out.StateErr != nil {
		doc.StateError = out.StateErr.Error()
		fmt.Fprintf(e.stderr, "kmsdns: %v: no further update was sent (the table says what became of each zone)\n", out.StateErr)
	}
	fmt.Fprintln(human)
	renderCleanupResults(human, out, a.update.verbose)
	if out.Interrupted {
		return emit(&codeError{code: exitErrors, err: errors.New("cleanup: interrupted: the table above says what became of each zone")})
	}
	return emit(cleanupCode(plan, out, unreadable))
}

// zonesRead reports whether zone z was audited.
func zonesRead(rep *audit.Report, z string) bool {
	for _, zr := range rep.Zones {
		if zr.Zone == z {
			return true
		}
	}
	return false
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
	u := a.update.flags.Update
	switch {
	case u.GSS || u.Keytab != "" || u.PasswordFile != "":
		if u.GSS {
			args = append(args, "--gss")
		}
		for _, f := range []struct{ flag, val string }{{"--keytab", u.Keytab}, {"--password-file", u.PasswordFile}, {"--principal", u.Principal}, {"--krb5-conf", u.Krb5Conf}, {"--server-name", u.ServerName}} {
			if f.val != "" {
				v := f.val
				if f.flag != "--principal" && f.flag != "--server-name" {
					v = abs(v)
				}
				args = append(args, f.flag, shellQuote(v))
			}
		}
	case a.audit.flags.KeyFile != "":
		args = append(args, "--key-file", shellQuote(abs(a.audit.flags.KeyFile)))
		if a.audit.flags.KeyName != "" {
			args = append(args, "--key-name", shellQuote(a.audit.flags.KeyName))
		}
	case a.audit.flags.KeyName != "" && a.audit.flags.KeyAlgorithm != "":
		// The secret stays where it was: its file, or $KMSDNS_TSIG_SECRET.
		args = append(args, "--key-name", shellQuote(a.audit.flags.KeyName), "--key-algorithm", shellQuote(a.audit.flags.KeyAlgorithm))
		if a.audit.flags.SecretFile != "" {
			args = append(args, "--key-secret-file", shellQuote(abs(a.audit.flags.SecretFile)))
		}
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cleanupCode is 0 only when every zone was cleaned, nothing was withheld
// and every zone could be read.
func cleanupCode(plan *cleanup.Plan, out *cleanup.Outcome, unreadable []string) error {
	if len(unreadable) > 0 {
		return &codeError{code: exitErrors}
	}
	for _, p := range plan.Zones {
		if p.Err != nil || len(p.Withheld) > 0 {
			return &codeError{code: exitErrors}
		}
	}
	if out == nil {
		return nil
	}
	if out.StateErr != nil {
		return &codeError{code: exitErrors}
	}
	for _, z := range out.Zones {
		if z.Err != nil || z.Status == cleanup.StatusUnknown || z.Status == cleanup.StatusNotChanged ||
			z.Status == cleanup.StatusNotSent && !z.Plan.Empty() {
			return &codeError{code: exitErrors}
		}
	}
	return nil
}

// cleanupReason says in a few words why a record goes; the finding's full
// message is in the audit.
func cleanupReason(r cleanup.Removal) string {
	switch r.Check() {
	case cleanup.CheckHost:
		return "named with --host"
	case audit.CheckDecommissioned:
		return "host decommissioned"
	case audit.CheckTargetUnresolv:
		return "target does not resolve"
	case audit.CheckHostUnreachable:
		return "KMS port does not answer"
	case audit.CheckNotKMS:
		return "not a KMS host"
	}
	return r.Finding.Message
}

// recordCells are the columns that show a record itself.
func recordCells(r zone.Record) []string {
	return []string{short(r.Name), short(r.Target), fmt.Sprint(r.Port), fmt.Sprint(r.Priority), fmt.Sprint(r.Weight), fmt.Sprint(r.TTL)}
}

var recordHeader = []string{"ZONE", "OWNER", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL"}

func renderCleanupPlan(w io.Writer, plan *cleanup.Plan, dryRun bool, unreadable []string) {
	remove, replace, add := "remove", "replace", "add"
	if dryRun {
		remove, replace, add = "would remove", "would replace", "would add"
	}
	fmt.Fprintln(w, "Cleanup plan")
	t := newTable(w)
	t.Header(slices.Concat(recordHeader, []string{"ACTION", "REASON"})...)
	var alive []string
	for _, p := range plan.Zones {
		for _, r := range p.Removals {
			action := remove
			if slices.ContainsFunc(p.Add, func(a zone.Record) bool { return a.Name == r.Record.Name }) {
				action = replace
			}
			t.Append(append(append([]string{short(p.Zone)}, recordCells(r.Record)...), action, cleanupReason(r)))
			if r.Alive {
				alive = append(alive, short(r.Record.Target))
			}
		}
		for _, a := range p.Add {
			t.Append(append(append([]string{short(p.Zone)}, recordCells(a)...), add, "replaces the removed host"))
		}
	}
	t.Render()
	for _, p := range plan.Zones {
		if p.Err != nil {
			para(w, "", fmt.Sprintf("%s: cannot be planned: %v", short(p.Zone), p.Err), "  ")
		}
		for _, n := range p.TTLNotes {
			para(w, "", fmt.Sprintf("%s: %s", short(p.Zone), n), "  ")
		}
	}
	var withheld, gone []string
	for _, p := range plan.Zones {
		for _, r := range p.Withheld {
			withheld = append(withheld, fmt.Sprintf("  %s: %s (%s)", short(p.Zone), r.Record.String(), r.Check()))
		}
		for _, r := range p.Gone {
			gone = append(gone, fmt.Sprintf("  %s: %s", short(p.Zone), r.Record.String()))
		}
	}
	if len(withheld) > 0 {
		fmt.Fprintln(w)
		para(w, "", fmt.Sprintf("Kept: the last KMS record of its name, with no replacement (clients would go from %s to %s); give --replace-with HOST or --force:", audit.CodeNoKMS, audit.CodeNameNotExist), "")
		fmt.Fprintln(w, strings.Join(withheld, "\n"))
	}
	if len(gone) > 0 {
		fmt.Fprintln(w, "\nAlready gone from the primary (nothing to do):")
		fmt.Fprintln(w, strings.Join(gone, "\n"))
	}
	seen := map[string]bool{}
	for _, h := range alive {
		if seen[h] {
			continue
		}
		seen[h] = true
		fmt.Fprintln(w)
		para(w, "", fmt.Sprintf("Note: %s still answers on its KMS port: it registers its record again within 24 hours unless you run \"slmgr /cdns\" on it (or set DisableDnsPublishing = 1); a later audit reports it as reappeared.", h), "")
	}
	for _, u := range unreadable {
		fmt.Fprintln(w)
		para(w, "", "Not cleaned, could not be read: "+u, "  ")
	}
}

// statusWords says what became of a record, by its zone's status.
func statusWords(s cleanup.Status, add bool) string {
	switch s {
	case cleanup.StatusChanged:
		if add {
			return "added"
		}
		return "removed"
	case cleanup.StatusNotChanged:
		return "not changed"
	case cleanup.StatusUnknown:
		return "unknown"
	}
	return "not sent"
}

func renderCleanupResults(w io.Writer, out *cleanup.Outcome, verbose bool) {
	t := newTable(w)
	t.Header(slices.Concat(recordHeader, []string{"RESULT", "ANSWER", "VERIFIED"})...)
	for _, z := range out.Zones {
		verified := "-"
		if z.Verified {
			verified = "yes"
		}
		for _, r := range z.Plan.Delete {
			t.Append(append(append([]string{short(z.Zone)}, recordCells(r)...), statusWords(z.Status, false), z.Answer, verified))
		}
		for _, r := range z.Plan.Add {
			t.Append(append(append([]string{short(z.Zone)}, recordCells(r)...), statusWords(z.Status, true), z.Answer, verified))
		}
	}
	t.Render()
	for _, z := range out.Zones {
		switch {
		case z.Err != nil:
			para(w, "", fmt.Sprintf("%s: %s: %v", short(z.Zone), z.Status, z.Err), "  ")
		case z.Note != "":
			para(w, "", fmt.Sprintf("%s: %s", short(z.Zone), z.Note), "  ")
		}
		if verbose && z.Unverifiable != nil {
			para(w, "", fmt.Sprintf("%s: %v", short(z.Zone), z.Unverifiable), "  ")
		}
	}
	var results []publish.Result
	for _, z := range out.Zones {
		results = append(results, z.Result)
	}
	renderUnverifiable(w, results)
}

// cleanupDoc is cleanup's one JSON document (schema version 1).
type cleanupDoc struct {
	Version     int                 `json:"version"`
	DryRun      bool                `json:"dry_run"`
	Plan        []jsonCleanupZone   `json:"plan"`
	Warnings    []string            `json:"warnings"`
	Unreadable  []string            `json:"unreadable,omitempty"`
	Backup      string              `json:"backup,omitempty"`
	Restore     string              `json:"restore,omitempty"`
	Results     []jsonCleanupResult `json:"results"`
	Interrupted bool                `json:"interrupted,omitempty"`
	StateError  string              `json:"state_error,omitempty"`
	Error       string              `json:"error,omitempty"`
}

type jsonRecord struct {
	Zone     string `json:"zone"`
	Name     string `json:"name"`
	Target   string `json:"target"`
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	TTL      uint32 `json:"ttl"`
	Check    string `json:"check,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Alive    bool   `json:"alive,omitempty"`
}

func jsonRec(r zone.Record) jsonRecord {
	return jsonRecord{Zone: r.Zone, Name: r.Name, Target: r.Target, Port: r.Port, Priority: r.Priority, Weight: r.Weight, TTL: r.TTL}
}

func jsonRemovals(rs []cleanup.Removal) []jsonRecord {
	out := []jsonRecord{}
	for _, r := range rs {
		j := jsonRec(r.Record)
		j.Check, j.Reason, j.Alive = r.Check(), cleanupReason(r), r.Alive
		out = append(out, j)
	}
	return out
}

type jsonCleanupZone struct {
	Zone     string       `json:"zone"`
	Server   string       `json:"server"`
	Action   string       `json:"action"`
	Note     string       `json:"note,omitempty"`
	Error    string       `json:"error,omitempty"`
	Remove   []jsonRecord `json:"remove"`
	Add      []jsonRecord `json:"add"`
	Kept     []jsonRecord `json:"kept"`
	Gone     []jsonRecord `json:"gone"`
	TTLNotes []string     `json:"ttl_notes,omitempty"`
}

func cleanupJSONPlan(plan *cleanup.Plan) []jsonCleanupZone {
	out := []jsonCleanupZone{}
	for _, p := range plan.Zones {
		j := jsonCleanupZone{Zone: p.Zone, Server: p.Server, Action: string(p.Action), Note: p.Note, Remove: jsonRemovals(p.Removals),
			Add: []jsonRecord{}, Kept: jsonRemovals(p.Withheld), Gone: jsonRemovals(p.Gone), TTLNotes: p.TTLNotes}
		for _, a := range p.Add {
			j.Add = append(j.Add, jsonRec(a))
		}
		if p.Err != nil {
			j.Error = p.Err.Error()
		}
		out = append(out, j)
	}
	return out
}

type jsonCleanupResult struct {
	Zone     string `json:"zone"`
	Server   string `json:"server"`
	Status   string `json:"status"`
	Action   string `json:"action"`
	Answer   string `json:"answer,omitempty"`
	Verified bool   `json:"verified"`
	// AnswerSignature is "unverifiable" when the server's signature on
	// its answer could not be verified (the read-back decided instead).
	AnswerSignature      string       `json:"answer_signature,omitempty"`
	AnswerSignatureError string       `json:"answer_signature_error,omitempty"`
	ReadBack             string       `json:"read_back,omitempty"`
	Note                 string       `json:"note,omitempty"`
	Error                string       `json:"error,omitempty"`
	Removed              []jsonRecord `json:"removed"`
	Added                []jsonRecord `json:"added"`
}

func jsonResults(out *cleanup.Outcome) []jsonCleanupResult {
	res := []jsonCleanupResult{}
	for _, z := range out.Zones {
		j := jsonCleanupResult{Zone: z.Zone, Server: z.Server, Status: string(z.Status), Action: string(z.Action), Answer: z.Answer,
			Verified: z.Verified, ReadBack: z.ReadBack, Note: z.Note, Removed: []jsonRecord{}, Added: []jsonRecord{}}
		if z.Err != nil {
			j.Error = z.Err.Error()
		}
		if z.Unverifiable != nil {
			j.AnswerSignature, j.AnswerSignatureError = "unverifiable", z.Unverifiable.Error()
		}
		if z.Status == cleanup.StatusChanged {
			for _, r := range z.Plan.Delete {
				j.Removed = append(j.Removed, jsonRec(r))
			}
			for _, r := range z.Plan.Add {
				j.Added = append(j.Added, jsonRec(r))
			}
		}
		res = append(res, j)
	}
	return res
}
