package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/urfave/cli/v2"
)

// errInterruptedEarly ends a run interrupted (SIGINT, SIGTERM) while it
// audited or planned: nothing was sent.
var errInterruptedEarly = errors.New("cleanup: interrupted before anything was planned: nothing changed")

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
	doc := newCleanupDoc(a.update.dryRun)
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
		plan.Options.Aliases = true // to warn about CNAMEs of removed hosts
		for _, s := range plan.Specs {
			if len(s.Files) > 0 {
				return usageError("cleanup: zone %s is read from a file: cleanup changes zones on their servers", s.Zone)
			}
		}
		return nil
	})
	if c.Context.Err() != nil {
		doc.Interrupted = true
		return emit(&codeError{code: exitErrors, err: errInterruptedEarly})
	}
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
	doc.Unreadable = append(doc.Unreadable, unreadable...)

	// 2. What goes, and the plan.
	removals, err := cleanup.Select(res.results, rep, sel)
	if done, err := selectionOutcome(e, human, a, res, err, removals, unreadable); done {
		return emit(err)
	}
	for _, w := range cleanup.AliasWarnings(rep, removals, res.results...) {
		doc.Warnings = append(doc.Warnings, jsonWarning{Kind: "alias", Message: w})
	}
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
	if replace != nil && !c.IsSet("replace-port") {
		replace.Port = res.policy.PortFor(replace.Target) // as the audit expects it
	}
	plan := cleanup.NewPlan(c.Context, cl, targets, removals, replace, a.update.force)
	if replace != nil {
		// The replacement is checked as publish checks a host.
		var prober resolve.Prober
		if !a.audit.flags.NoProbe && (res.file == nil || !res.file.Defaults.NoProbe) {
			var cfg time.Duration
			if res.file != nil {
				cfg = time.Duration(res.file.Defaults.ProbeTimeout)
			}
			prober = probe.Prober{Timeout: first(a.audit.flags.ProbeTimeout, cfg)}
		}
		checks := publish.CheckHosts(c.Context, targets, []publish.Record{*replace}, &resolve.TargetResolver{Resolver: res.update.Resolver, Timeout: res.update.Timeout}, prober)
		plan.HeedReplacement(checks, a.requireLive)
		for _, w := range plan.Warnings {
			doc.Warnings = append(doc.Warnings, jsonWarning{Kind: "host", Message: w})
		}
	}
	if c.Context.Err() != nil {
		doc.Interrupted = true
		return emit(&codeError{code: exitErrors, err: errInterruptedEarly})
	}
	fillCleanupDoc(doc, plan, nil)
	renderCleanupPlan(human, plan, a.update.dryRun, unreadable)
	for _, w := range doc.Warnings {
		if w.Kind != "ttl" { // in the plan already
			fmt.Fprintln(e.stderr, "kmsdns: warning:", w.Message)
		}
	}

	if a.update.dryRun {
		for _, p := range plan.Zones {
			if !p.Empty() {
				fmt.Fprint(human, "\n"+p.Text())
			}
		}
		fmt.Fprintln(human, "\ndry run: nothing was changed")
		return emit(cleanupCode(plan, nil, unreadable))
	}
	toSend := plan.Sends()
	if toSend == 0 {
		return emit(cleanupCode(plan, nil, unreadable))
	}

	// 3. Confirmation, only with a person at a terminal.
	if !a.yes {
		if err := confirm(c, e, "cleanup", fmt.Sprintf("Remove these records from %d zone(s)?", toSend),
			"run again with --yes to apply this plan, or with --dry-run to see the UPDATE messages"); err != nil {
			return emit(err)
		}
	}

	// 4. Backup, then the updates, one zone at a time.
	path := a.backup
	if path == "" {
		path = fmt.Sprintf("kmsdns-backup-%s.zone", e.now().UTC().Format("20060102-150405"))
	}
	store := &cleanup.StateStore{Path: res.statePath, Now: e.now, Notice: func(msg string) { fmt.Fprintln(e.stderr, "kmsdns: warning:", msg) }}
	out, err := cleanup.Apply(c.Context, cl, plan, cleanup.ApplyOptions{BackupPath: path, BackupUnique: a.backup == "", State: store, Now: e.now, BeforeZone: e.beforeZone})
	if err != nil {
		return emit(&codeError{code: exitErrors, err: err})
	}
	fillCleanupDoc(doc, plan, out)
	doc.Interrupted = out.Interrupted
	if out.Backup != "" {
		doc.Backup, doc.Restore = out.Backup, restoreCommand(a, out.Backup)
		fmt.Fprintf(e.stderr, "kmsdns: backup of the records to remove: %s (restore: %s)\n", out.Backup, doc.Restore)
	} else {
		fmt.Fprintln(e.stderr, "kmsdns: no backup written: the plan removes no record")
	}
	if out.StateErr != nil {
		doc.StateError = out.StateErr.Error()
		fmt.Fprintf(e.stderr, "kmsdns: %v: no further update was sent (the table says what became of each zone)\n", out.StateErr)
	}
	fmt.Fprintln(human)
	renderCleanupResults(human, out, a.update.verbose)
	for _, w := range plan.Warnings {
		fmt.Fprintln(e.stderr, "kmsdns: warning:", w) // the replacement, again under the result
	}
	if out.Interrupted {
		return emit(&codeError{code: exitErrors, err: errors.New("cleanup: interrupted: the table above says what became of each zone")})
	}
	return emit(cleanupCode(plan, out, unreadable))
}

// selectionOutcome handles the ends of a run that has nothing to plan: a
// usage error, an unknown host, nothing to clean. done says the run ends
// here, with err.
func selectionOutcome(e env, human io.Writer, a cleanupArgs, res *audited, err error, removals []cleanup.Removal, unreadable []string) (bool, error) {
	var uh *cleanup.UnknownHostError
	if errors.As(err, &uh) && len(unreadable) == 0 {
		// A host whose records an earlier run removed: nothing to clean.
		for _, r := range res.removed {
			if r.Target == uh.Host && !r.Pending && zonesRead(res.report, r.Zone) {
				fmt.Fprintf(human, "nothing to clean: no record targets %s any more (kmsdns cleanup removed its records on %s)\n",
					short(uh.Host), r.RemovedAt.UTC().Format("2006-01-02 15:04 MST"))
				return true, nil
			}
		}
	}
	if errors.As(err, &uh) {
		code := exitUsage
		if len(unreadable) > 0 {
			code = exitErrors
			err = fmt.Errorf("%w (and some zones could not be read: %s)", err, strings.Join(unreadable, "; "))
		}
		return true, &codeError{code: code, err: fmt.Errorf("cleanup: --host %s: %w", short(uh.Host), err)}
	}
	if err != nil {
		return true, usageError("cleanup: %v", err)
	}
	if len(removals) > 0 {
		return false, nil
	}
	for _, u := range unreadable {
		fmt.Fprintln(e.stderr, "kmsdns: could not read", u)
	}
	what := "decommissioned or unresolvable"
	if a.includeUnreachable {
		what = "decommissioned, unresolvable, unreachable or not KMS"
	}
	fmt.Fprintln(human, "nothing to clean: no record is "+what)
	if len(unreadable) > 0 {
		return true, &codeError{code: exitErrors}
	}
	return true, nil
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

// cleanupCode is 0 only when every zone was cleaned as planned and could
// be read; 1 when cleanup kept a record it was asked to remove (the last
// record of a name, a record changed since it was read, a replacement
// refused by --require-live), with the reasons; 2 for errors. A dry run
// (out nil) gives the code the real run would for the same plan.
func cleanupCode(plan *cleanup.Plan, out *cleanup.Outcome, unreadable []string) error {
	failed := len(unreadable) > 0
	var kept []string
	for _, k := range plan.Kept() {
		kept = append(kept, fmt.Sprintf("%s (%s): %s", short(k.Record.Target), short(k.Record.Name), k.Reason))
	}
	for _, p := range plan.Zones {
		failed = failed || p.Err != nil
	}
	if out != nil {
		failed = failed || out.StateErr != nil
		for _, z := range out.Zones {
			if errors.Is(z.Err, publish.ErrChanged) {
				for _, r := range z.Plan.Removals {
					kept = append(kept, fmt.Sprintf("%s (%s): changed since it was read: the server refused the guarded update", short(r.Record.Target), short(r.Record.Name)))
				}
				continue
			}
			if z.Err != nil || z.Status == cleanup.StatusUnknown || z.Status == cleanup.StatusNotChanged ||
				z.Status == cleanup.StatusNotSent && !z.Plan.Empty() {
				failed = true
			}
		}
	}
	switch {
	case failed:
		return &codeError{code: exitErrors}
	case len(kept) > 0:
		return &codeError{code: exitWarnings, err: fmt.Errorf("cleanup: kept %d record(s) it was asked to remove:\n  %s", len(kept), strings.Join(kept, "\n  "))}
	}
	return nil
}
