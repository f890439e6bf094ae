package main

import (
	"errors"
	"strings"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// cleanupDoc is cleanup's one JSON document (schema version 1; README,
// "kmsdns cleanup", lists its fields). Every list is present, empty when
// there is nothing in it.
type cleanupDoc struct {
	Version int  `json:"version"`
	DryRun  bool `json:"dry_run"`
	// Planned: each record the plan removes or adds, and what became of it.
	Planned []jsonPlanned `json:"planned"`
	// Blocked: each record cleanup was asked to remove and keeps, and why.
	Blocked []jsonPlanned `json:"blocked"`
	// Gone: records selected that are no longer on the primary.
	Gone       []jsonPlanned    `json:"gone"`
	Warnings   []jsonWarning    `json:"warnings"`
	Changes    []jsonZoneChange `json:"changes"`
	Unreadable []string         `json:"unreadable"`
	// Backup is the backup file, "" when none was written; Restore is the
	// command that puts it back, exactly as it runs.
	Backup      string `json:"backup"`
	Restore     string `json:"restore"`
	Interrupted bool   `json:"interrupted"`
	StateError  string `json:"state_error,omitempty"`
	Error       string `json:"error,omitempty"`
}

func newCleanupDoc(dryRun bool) *cleanupDoc {
	return &cleanupDoc{Version: 1, DryRun: dryRun, Planned: []jsonPlanned{}, Blocked: []jsonPlanned{}, Gone: []jsonPlanned{},
		Warnings: []jsonWarning{}, Changes: []jsonZoneChange{}, Unreadable: []string{}}
}

// jsonPlanned is one record of the plan: the record itself, what is (or
// would be) done to it, and why.
type jsonPlanned struct {
	Zone     string `json:"zone"`
	Server   string `json:"server"`
	Owner    string `json:"owner"`
	Target   string `json:"target"`
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	TTL      uint32 `json:"ttl"`
	// Action: "would remove", "would add" (dry run); "removed", "added",
	// "not changed", "not sent", "unknown" (a real run); "kept" (blocked).
	Action string `json:"action"`
	// Check is the audit check behind a removal ("host": named by --host).
	Check  string `json:"check,omitempty"`
	Reason string `json:"reason"`
	// Alive: the host to remove still answers as a KMS host (it will
	// register its record again unless told not to).
	Alive bool `json:"alive"`
}

func plannedRec(zp *cleanup.ZonePlan, r zone.Record, action, reason string) jsonPlanned {
	return jsonPlanned{Zone: r.Zone, Server: zp.Server, Owner: r.Name, Target: r.Target, Port: r.Port, Priority: r.Priority,
		Weight: r.Weight, TTL: r.TTL, Action: action, Reason: reason}
}

// jsonWarning is something to know that does not stop the run. Kind:
// "alias" (a CNAME still leads to a removed host), "host" (the
// replacement does not resolve or answer as a KMS host), "ttl" (a TTL
// changes for records that stay), "alive" (a removed host still answers).
type jsonWarning struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// jsonZoneChange is what became of one zone. Status:
// "changed-and-verified", "not-changed" (sent, not applied), "not-sent",
// "unknown" (sent, no answer, and the read-back could not tell).
type jsonZoneChange struct {
	Zone                 string `json:"zone"`
	Server               string `json:"server"`
	Status               string `json:"status"`
	Answer               string `json:"answer,omitempty"`
	ReadBack             string `json:"read_back,omitempty"`
	AnswerSignature      string `json:"answer_signature,omitempty"`
	AnswerSignatureError string `json:"answer_signature_error,omitempty"`
	Note                 string `json:"note,omitempty"`
	Error                string `json:"error,omitempty"`
}

var jsonStatus = map[cleanup.Status]string{cleanup.StatusChanged: "changed-and-verified", cleanup.StatusNotChanged: "not-changed",
	cleanup.StatusNotSent: "not-sent", cleanup.StatusUnknown: "unknown"}

// fillCleanupDoc puts the plan, and the outcome of a real run (nil before
// or without one), into the document.
func fillCleanupDoc(doc *cleanupDoc, plan *cleanup.Plan, out *cleanup.Outcome) {
	status := map[*cleanup.ZonePlan]cleanup.ZoneResult{}
	if out != nil {
		for _, z := range out.Zones {
			status[z.Plan] = z
		}
	}
	doc.Planned, doc.Blocked, doc.Gone, doc.Changes = []jsonPlanned{}, []jsonPlanned{}, []jsonPlanned{}, []jsonZoneChange{}
	for _, zp := range plan.Zones {
		zr, sent := status[zp]
		word := func(add bool) string {
			switch {
			case doc.DryRun && add:
				return "would add"
			case doc.DryRun:
				return "would remove"
			case !sent:
				return "not sent"
			}
			return statusWords(zr.Status, add)
		}
		for _, r := range zp.Removals {
			j := plannedRec(zp, r.Record, word(false), cleanupReason(r))
			j.Check, j.Alive = r.Check(), r.Alive
			doc.Planned = append(doc.Planned, j)
		}
		for _, a := range zp.Add {
			doc.Planned = append(doc.Planned, plannedRec(zp, a, word(true), "replaces the removed host"))
		}
		for _, k := range zp.Kept {
			j := plannedRec(zp, k.Record, "kept", k.Reason)
			j.Check, j.Alive = k.Check(), k.Alive
			doc.Blocked = append(doc.Blocked, j)
		}
		if sent && errors.Is(zr.Err, publish.ErrChanged) {
			for _, r := range zp.Removals {
				j := plannedRec(zp, r.Record, "kept", "changed since it was read: the server refused the guarded update, nothing changed in this zone")
				j.Check = r.Check()
				doc.Blocked = append(doc.Blocked, j)
			}
		}
		for _, g := range zp.Gone {
			doc.Gone = append(doc.Gone, plannedRec(zp, g.Record, "already gone", "no longer on the primary: nothing to do"))
		}
		for _, n := range zp.TTLNotes {
			doc.Warnings = append(doc.Warnings, jsonWarning{Kind: "ttl", Message: short(zp.Zone) + ": " + n})
		}
		c := jsonZoneChange{Zone: zp.Zone, Server: zp.Server, Status: jsonStatus[cleanup.StatusNotSent], Note: zp.Note}
		switch {
		case sent:
			c.Status, c.Answer, c.ReadBack, c.Note = jsonStatus[zr.Status], zr.Answer, zr.ReadBack, zr.Note
			if zr.Err != nil {
				c.Error = zr.Err.Error()
			}
			if zr.Unverifiable != nil {
				c.AnswerSignature, c.AnswerSignatureError = "unverifiable", zr.Unverifiable.Error()
			}
		case zp.Err != nil:
			c.Error = zp.Err.Error()
		case doc.DryRun:
			c.Note = strings.TrimPrefix(c.Note+"; dry run: nothing sent", "; ")
		}
		doc.Changes = append(doc.Changes, c)
	}
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
