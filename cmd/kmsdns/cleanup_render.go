package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

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
	var gone []string
	for _, p := range plan.Zones {
		for _, r := range p.Gone {
			gone = append(gone, fmt.Sprintf("  %s: %s", short(p.Zone), r.Record.String()))
		}
	}
	// Kept records, under each reason.
	var reasons []string
	byReason := map[string][]string{}
	for _, k := range plan.Kept() {
		if byReason[k.Reason] == nil {
			reasons = append(reasons, k.Reason)
		}
		byReason[k.Reason] = append(byReason[k.Reason], fmt.Sprintf("  %s: %s (%s)", short(k.Record.Zone), k.Record.String(), k.Check()))
	}
	for _, r := range reasons {
		fmt.Fprintln(w)
		para(w, "", "Kept: "+r+":", "")
		fmt.Fprintln(w, strings.Join(byReason[r], "\n"))
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
