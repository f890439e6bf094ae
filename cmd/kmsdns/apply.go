package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/converge"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/urfave/cli/v2"
)

func applyCommand(e env) *cli.Command {
	var a convergeArgs
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the zones hold exactly the desired KMS records of the config (plan, confirm, backup, update, verify)",
		UsageText: "kmsdns apply --config FILE [--zone NAME]... [--yes] [--backup FILE] [--force] [options]",
		Description: `Makes the plan kmsdns plan shows, then, confirmed at a terminal (or with
--yes; without a terminal and without --yes nothing changes, exit 3), writes
every record it removes or replaces to a backup file (synced to disk before
the first update; the restore command is printed), sends one UPDATE per zone
with the additions and removals together, every name it changes guarded by
an RFC 2136 prerequisite that the name's records are still exactly as read
(or still absent), and reads every zone back. A record someone added or
changed since the plan makes that zone's update refused: nothing there
changes and the zone is reported as skipped (run apply again). Finally every managed name is read again and
compared with the desired records. A second apply sends nothing.

A plan that would leave a managed name with no live KMS host (every desired
host fails its probe, or an empty list) is refused unless --force.

Exit codes: 0 converged (or nothing to do), 2 a zone could not be read or
changed, the plan is unsafe, the zones did not converge, or the confirmation
was declined (nothing changed), 3 bad usage or config, or no terminal to
confirm on without --yes.

Examples:
   kmsdns apply --config /etc/kmsdns/kmsdns.yaml
   kmsdns apply --config kmsdns.yaml --yes --backup "backups/apply-$(date -u +%Y%m%dT%H%M%SZ).zone"    # after review, from CI: a backup per run`,
		Flags: append(convergeFlags(&a),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (needed without a terminal)", Destination: &a.yes},
			&cli.BoolFlag{Name: "force", Usage: "apply a plan that leaves a managed name with no live KMS host", Destination: &a.force},
			&cli.StringFlag{Name: "backup", Usage: "backup `FILE` of the records removed (default: kmsdns-backup-<time>.zone in the current directory)", Destination: &a.backup},
			stateFlag(&a.statePath),
		),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("apply: %v (see kmsdns apply --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("apply: unexpected argument %q", c.Args().First())
			}
			return runConverge(c, e, a, true)
		},
	}
}

// applyPlan confirms, backs up, sends and verifies a plan.
func applyPlan(c *cli.Context, e env, a convergeArgs, cv *converging, plan *converge.Plan, guardErr error, doc *convergeDoc, human io.Writer) error {
	if guardErr != nil {
		return &codeError{code: exitErrors, err: fmt.Errorf("apply: refused, nothing was changed: %w; fix the hosts or the desired: section, or give --force", guardErr)}
	}
	if plan.Sends() == 0 {
		if plan.Failed() {
			return &codeError{code: exitErrors, err: errors.New("apply: some zones could not be read; nothing was sent")}
		}
		doc.Verified = plan.InSync()
		fmt.Fprintln(human, "apply: nothing to send, every managed name is in sync")
		return nil
	}
	if !a.yes {
		if err := confirm(c, e, "apply", fmt.Sprintf("Apply these changes to %d zone(s)?", plan.Sends()), "run again with --yes to apply this plan (kmsdns plan shows it)"); err != nil {
			return err
		}
	}
	path := a.backup
	if path == "" {
		path = fmt.Sprintf("kmsdns-backup-%s.zone", e.now().UTC().Format("20060102-150405"))
	}
	var store *cleanup.StateStore
	if sp := writeStatePath(a.statePath, cv.file); sp != "" {
		store = &cleanup.StateStore{Path: sp, Now: e.now, Notice: func(msg string) { fmt.Fprintln(e.stderr, "kmsdns: warning:", msg) }}
	}
	out, err := converge.Apply(c.Context, cv.cl, plan, cleanup.ApplyOptions{BackupPath: path, BackupUnique: a.backup == "", State: store, Now: e.now, BeforeZone: e.beforeZone})
	if err != nil {
		return &codeError{code: exitErrors, err: fmt.Errorf("apply: %w", err)}
	}
	doc.Backup, doc.Interrupted = out.Backup, out.Interrupted
	doc.Results = jsonResults(out)
	if out.Backup != "" {
		doc.Restore = applyRestoreCommand(a, out.Backup)
		fmt.Fprintf(e.stderr, "kmsdns: backup of the records removed or replaced: %s (restore: %s)\n", out.Backup, doc.Restore)
	}
	if out.StateErr != nil {
		doc.StateError = out.StateErr.Error()
		fmt.Fprintf(e.stderr, "kmsdns: %v: no further update was sent (the table says what became of each zone)\n", out.StateErr)
	}
	fmt.Fprintln(human)
	renderCleanupResults(human, out, false)
	if out.Interrupted {
		return &codeError{code: exitErrors, err: errors.New("apply: interrupted: the table above says what became of each zone")}
	}
	// Verification: read every managed name again.
	after := converge.New(c.Context, cv.cl, cv.zones)
	doc.Drift = append(doc.Drift, converge.Drift(after)...)
	doc.Verified = len(doc.Drift) == 0
	failed := plan.Failed() || out.StateErr != nil
	var skipped []string
	for _, z := range out.Zones {
		if z.Err != nil || z.Status == cleanup.StatusUnknown || z.Status == cleanup.StatusNotChanged || z.Status == cleanup.StatusNotSent && !z.Plan.Empty() {
			failed = true
		}
		if z.Status == cleanup.StatusNotChanged {
			skipped = append(skipped, short(z.Zone))
		}
	}
	if doc.Verified {
		fmt.Fprintln(human, "\nverified: every managed name holds exactly its desired records")
	} else {
		fmt.Fprintln(human, "\nnot converged; still different:")
		for _, d := range doc.Drift {
			fmt.Fprintf(human, "  %s\n", d)
		}
		failed = true
	}
	if len(skipped) > 0 {
		fmt.Fprintf(human, "skipped (the records changed since the plan, or the server refused the update): %s; run kmsdns plan to see them now\n", strings.Join(skipped, ", "))
	}
	if failed {
		return &codeError{code: exitErrors}
	}
	return nil
}

// applyRestoreCommand is the command that puts apply's backup back: the
// config, the key name and the state file this run used.
func applyRestoreCommand(a convergeArgs, backup string) string {
	return restoreCommand(cleanupArgs{audit: auditArgs{configFile: a.configFile, flags: config.Flags{KeyName: a.keyName}}, statePath: a.statePath}, backup)
}
