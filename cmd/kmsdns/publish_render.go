package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/publish"
)

// recordLines says, per host published, the record as planned: the TTL
// is the one the plan chose (the RRset's when --ttl was not given), and
// port, priority and weight not given are those of the host's record at
// that name; one line per distinct record.
func recordLines(w io.Writer, recs []publish.Record, results []publish.Result) {
	for _, rec := range recs {
		var lines []string
		for _, r := range results {
			for _, c := range r.Changes {
				cr := c.Record
				if cr.Target != rec.Target || c.Action == publish.ActionRemoved || c.Action == publish.ActionNotPresent {
					continue
				}
				l := fmt.Sprintf("record: SRV priority %d, weight %d, port %d, target %s, TTL %d", cr.Priority, cr.Weight, cr.Port, short(cr.Target), cr.TTL)
				if !slices.Contains(lines, l) {
					lines = append(lines, l)
				}
			}
		}
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}

// planCode fails a dry run whose plans could not be made or are blocked.
func planCode(plans []*publish.ZonePlan) error {
	for _, p := range plans {
		if p.Err != nil || p.Blocked {
			return &codeError{code: exitErrors}
		}
	}
	return nil
}

// resultCode is 0 only if every zone succeeded.
func resultCode(results []publish.Result) error {
	for _, r := range results {
		if r.Err != nil || r.Action == publish.ActionFailed || r.Action == publish.ActionSkipped {
			return &codeError{code: exitErrors}
		}
	}
	return nil
}

// jsonChange is one record of a plan or result.
type jsonChange struct {
	Action   string `json:"action"`
	Planned  string `json:"planned,omitempty"`
	Name     string `json:"name"`
	Target   string `json:"target"`
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	TTL      uint32 `json:"ttl"`
}

func jsonChanges(cs []publish.Change, dryRun bool) []jsonChange {
	out := []jsonChange{}
	for _, c := range cs {
		jc := jsonChange{Action: string(c.Action), Name: c.Record.Name, Target: c.Record.Target, Port: c.Record.Port,
			Priority: c.Record.Priority, Weight: c.Record.Weight, TTL: c.Record.TTL}
		if dryRun {
			jc.Planned = c.Action.Planned()
		}
		out = append(out, jc)
	}
	return out
}

// resultChanges are a result's changes. In a zone that failed or was
// skipped, action is what happened to the zone and planned the change
// that was not made, as the table shows "failed (added)".
func resultChanges(r publish.Result) []jsonChange {
	out := jsonChanges(r.Changes, false)
	if notDone(r.Action) {
		for i := range out {
			out[i].Action, out[i].Planned = string(r.Action), out[i].Action
		}
	}
	return out
}

// notDone reports whether a zone's result means its changes were not
// made.
func notDone(a publish.Action) bool {
	return a == publish.ActionFailed || a == publish.ActionSkipped
}

type jsonPlan struct {
	Zone        string       `json:"zone"`
	Server      string       `json:"server"`
	Action      string       `json:"action"`
	Note        string       `json:"note,omitempty"`
	Error       string       `json:"error,omitempty"`
	Blocked     bool         `json:"blocked,omitempty"`
	Update      string       `json:"update,omitempty"`
	Changes     []jsonChange `json:"changes"`
	Warnings    []string     `json:"warnings,omitempty"`
	Credentials string       `json:"credentials,omitempty"`
}

// renderPlans prints what a dry run would do: per record, and the exact
// UPDATE message per zone (ZonePlan.Text renders the message Apply sends).
func renderPlans(w io.Writer, format string, plans []*publish.ZonePlan) error {
	if format == "json" {
		out := struct {
			Version int        `json:"version"`
			DryRun  bool       `json:"dry_run"`
			Plans   []jsonPlan `json:"plans"`
		}{Version: 1, DryRun: true, Plans: []jsonPlan{}}
		for _, p := range plans {
			jp := jsonPlan{Zone: p.Zone, Server: p.Server, Action: string(p.Action), Note: p.Note, Blocked: p.Blocked,
				Changes: jsonChanges(p.Changes, true), Warnings: p.Warnings, Credentials: p.Credentials}
			if p.Err != nil {
				jp.Error = p.Err.Error()
			} else if !p.Empty() {
				jp.Update = p.Text()
			}
			out.Plans = append(out.Plans, jp)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	t := newTable(w)
	t.Header("ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION")
	for _, p := range plans {
		if len(p.Changes) == 0 {
			t.Append([]string{short(p.Zone), "-", "-", "-", "-", "-", "-", p.Action.Planned()})
		}
		for _, c := range p.Changes {
			action := c.Action.Planned()
			if p.Blocked {
				action = publish.ActionSkipped.Planned() + " (" + string(c.Action) + ")"
			}
			t.Append(changeRow(p.Zone, c, action))
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, p := range plans {
		head := fmt.Sprintf("zone %s on %s: %s", short(p.Zone), p.Server, p.Action.Planned())
		if p.Err != nil {
			head += fmt.Sprintf(": %v", p.Err)
		}
		para(w, "", head, "  ")
		if p.Note != "" {
			para(w, "  ", p.Note, "  ")
		}
		for _, warn := range p.Warnings {
			para(w, "  ", "warning: "+warn, "  ")
		}
		if !p.Empty() {
			fmt.Fprint(w, indent(p.Text(), "  "))
		}
	}
	_, err := fmt.Fprintln(w, "dry run: nothing was sent")
	return err
}

func changeRow(zoneName string, c publish.Change, action string) []string {
	r := c.Record
	if c.Action == publish.ActionNotPresent {
		return []string{short(zoneName), short(r.Name), short(r.Target), "-", "-", "-", "-", action}
	}
	return []string{short(zoneName), short(r.Name), short(r.Target), fmt.Sprint(r.Port), fmt.Sprint(r.Priority), fmt.Sprint(r.Weight), fmt.Sprint(r.TTL), action}
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}

type jsonResult struct {
	Zone   string `json:"zone"`
	Server string `json:"server"`
	Action string `json:"action"`
	Answer string `json:"answer,omitempty"`
	// ReadBack is how an update without a clear answer was decided by
	// reading the records back: "applied" or "not applied".
	ReadBack     string       `json:"read_back,omitempty"`
	Verified     bool         `json:"verified"`
	Note         string       `json:"note,omitempty"`
	Error        string       `json:"error,omitempty"`
	AnswerSigned bool         `json:"answer_signed"`
	Changes      []jsonChange `json:"changes"`
	Warnings     []string     `json:"warnings,omitempty"`
	Credentials  string       `json:"credentials,omitempty"`
	// AnswerSignature is "unverifiable" when the server's answer
	// signature did not verify and the read-back confirmed the change.
	AnswerSignature string `json:"answer_signature,omitempty"`
	// AnswerSignatureError is why it did not verify.
	AnswerSignatureError string `json:"answer_signature_error,omitempty"`
}

// renderResults prints what was done: per record (zone-level for plans
// without record changes), then errors, notes and warnings per zone;
// verbose adds why an answer's signature did not verify.
func renderResults(w io.Writer, format string, results []publish.Result, verbose bool) error {
	if format == "json" {
		out := struct {
			Version int          `json:"version"`
			Results []jsonResult `json:"results"`
		}{Version: 1, Results: []jsonResult{}}
		for _, r := range results {
			jr := jsonResult{Zone: r.Zone, Server: r.Server, Action: string(r.Action), Answer: r.Answer, ReadBack: r.ReadBack, Verified: r.Verified, Note: r.Note,
				AnswerSigned: r.AnswerSigned, Changes: resultChanges(r), Warnings: r.Warnings, Credentials: r.Credentials}
			if r.Err != nil {
				jr.Error = r.Err.Error()
			}
			if r.Unverifiable != nil {
				jr.AnswerSignature, jr.AnswerSignatureError = "unverifiable", r.Unverifiable.Error()
			}
			out.Results = append(out.Results, jr)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	t := newTable(w)
	t.Header("ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION", "ANSWER", "VERIFIED")
	for _, r := range results {
		verified := "-"
		if r.Verified {
			verified = "yes"
		}
		if len(r.Changes) == 0 {
			t.Append([]string{short(r.Zone), "-", "-", "-", "-", "-", "-", string(r.Action), r.Answer, verified})
		}
		for _, c := range r.Changes {
			action := string(c.Action)
			if notDone(r.Action) {
				action = string(r.Action) + " (" + action + ")"
			}
			t.Append(append(changeRow(r.Zone, c, action), r.Answer, verified))
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			para(w, "", fmt.Sprintf("%s: %v", short(r.Zone), r.Err), "  ")
		case r.Note != "":
			para(w, "", fmt.Sprintf("%s: %s", short(r.Zone), r.Note), "  ")
		}
		if verbose && r.Unverifiable != nil {
			para(w, "", fmt.Sprintf("%s: %v", short(r.Zone), r.Unverifiable), "  ")
		}
		for _, warn := range r.Warnings {
			para(w, "", fmt.Sprintf("%s: warning: %s", short(r.Zone), warn), "  ")
		}
	}
	renderUnverifiable(w, results)
	return nil
}

// renderUnverifiable says once per server that its answers could not be
// verified and the read-back confirmed each change instead.
func renderUnverifiable(w io.Writer, results []publish.Result) {
	seen := map[string]bool{}
	for _, r := range results {
		if r.Unverifiable == nil || seen[r.Server] {
			continue
		}
		seen[r.Server] = true
		para(w, "", r.Server+" signs its answers in a way that cannot be verified (known of Windows DNS and Samba), so each change was confirmed by reading it back.", "")
	}
}
