package main

import (
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

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
