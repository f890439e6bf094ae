package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/urfave/cli/v2"
)

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
		plan.Options.Aliases = true // to warn about CNAMEs of removed hosts
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
	doc.Warnings = append(doc.Warnings, cleanup.AliasWarnings(rep, removals, res.results...)...)
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
