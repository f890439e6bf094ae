package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/kmsdns/kmsdns/converge"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// The rendering of kmsdns plan and kmsdns apply: the plan table, what
// clients see, the DnsDomainPublishList values and the JSON document.
// renderConvergePlan prints the plan: per zone, the record changes, then
// per name what clients see before and after, and the UPDATE message.
func renderConvergePlan(w io.Writer, cv *converging, plan *converge.Plan, apply bool) {
	t := newTable(w)
	t.Header("ZONE", "OWNER", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION", "WAS")
	for _, z := range plan.Zones {
		for _, n := range z.Names {
			for _, ch := range n.Changes {
				r := ch.Record
				var was []string
				for _, o := range ch.Was {
					was = append(was, fmt.Sprintf("%d %d %d ttl %d", o.Port, o.Priority, o.Weight, o.TTL))
				}
				action := string(ch.Action)
				if ch.Action != publish.ActionAlreadyPresent {
					action = ch.Action.Planned()
				}
				if ch.Action == publish.ActionAlreadyPresent {
					action = "in sync"
				}
				t.Append([]string{short(z.Zone), short(n.Owner), short(r.Target), fmt.Sprint(r.Port), fmt.Sprint(r.Priority), fmt.Sprint(r.Weight), fmt.Sprint(r.TTL), action, strings.Join(was, "; ")})
			}
			if len(n.Changes) == 0 {
				t.Append([]string{short(z.Zone), short(n.Owner), "-", "-", "-", "-", "-", "in sync (no record)", ""})
			}
		}
	}
	t.Render()
	live := plan.Live
	for i, z := range plan.Zones {
		fmt.Fprintf(w, "\nzone %s on %s (desired: %s)\n", short(z.Zone), z.Server, cv.desired[i].From)
		if z.Err != nil {
			fmt.Fprintf(w, "  could not be read: %v\n", z.Err)
			continue
		}
		fmt.Fprintf(w, "  %s\n", z.Note)
		for _, n := range z.Names {
			if n.InSync() {
				fmt.Fprintf(w, "  %s: in sync; clients see: %s\n", short(n.Owner), converge.ClientView(n.Before, live))
				continue
			}
			fmt.Fprintf(w, "  %s\n    clients see now:   %s\n    clients see after: %s\n", short(n.Owner), converge.ClientView(n.Before, live), converge.ClientView(n.After, live))
		}
		if !z.Empty() || z.Blocked {
			fmt.Fprint(w, indent(z.Text(), "  "))
		}
	}
	if len(plan.Unsafe) > 0 {
		fmt.Fprintln(w, "\nUnsafe:")
		for _, u := range plan.Unsafe {
			fmt.Fprintf(w, "  %s\n", u)
		}
		if plan.Forced {
			fmt.Fprintln(w, "  --force: applied anyway")
		} else {
			fmt.Fprintln(w, "  kmsdns apply refuses this plan unless --force")
		}
	}
	if !plan.Probed {
		fmt.Fprintln(w, "\nHosts were not probed (--no-probe): a host counts as live when it resolves.")
	}
	switch {
	case plan.InSync():
		fmt.Fprintln(w, "\nin sync: every managed name holds exactly its desired records")
	case !apply && len(plan.Unsafe) == 0:
		changes := 0
		for _, z := range plan.Zones {
			if !z.InSync() && z.Err == nil {
				changes++
			}
		}
		fmt.Fprintf(w, "\n%d zone(s) with changes; %s sends them (plan changed nothing)\n", changes, cv.applyHint)
	}
}

// renderPublishList prints the DnsDomainPublishList value per host.
func renderPublishList(w io.Writer, list []jsonPublishEntry) {
	fmt.Fprintln(w, "\nDnsDomainPublishList per KMS host (REG_MULTI_SZ under HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SoftwareProtectionPlatform):")
	for _, p := range list {
		fmt.Fprintf(w, "  %s: %s\n", p.Host, strings.Join(p.Entries, " "))
		fmt.Fprintf(w, "    %s\n", p.Command)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "    note: %s\n", n)
		}
	}
}

// convergeDoc is plan's and apply's one JSON document (schema version 1).
type convergeDoc struct {
	Version     int                 `json:"version"`
	Command     string              `json:"command"`
	InSync      bool                `json:"in_sync"`
	Unsafe      []string            `json:"unsafe"`
	Forced      bool                `json:"forced,omitempty"`
	Probed      bool                `json:"probed"`
	Zones       []jsonConvergeZone  `json:"zones"`
	Hosts       []jsonHostCheck     `json:"hosts"`
	PublishList []jsonPublishEntry  `json:"publish_list"`
	Backup      string              `json:"backup,omitempty"`
	Restore     string              `json:"restore,omitempty"`
	Results     []jsonCleanupResult `json:"results"`
	Interrupted bool                `json:"interrupted,omitempty"`
	StateError  string              `json:"state_error,omitempty"`
	ExitCode    int                 `json:"exit_code"`
	// Verified: after apply, every managed name was read again and holds
	// exactly its desired records; Drift lists what does not.
	Verified bool     `json:"verified"`
	Drift    []string `json:"drift"`
	Error    string   `json:"error,omitempty"`
}

type jsonConvergeZone struct {
	Zone     string             `json:"zone"`
	Server   string             `json:"server"`
	Desired  string             `json:"desired_from"`
	Action   string             `json:"action"`
	InSync   bool               `json:"in_sync"`
	Blocked  bool               `json:"blocked,omitempty"`
	Note     string             `json:"note,omitempty"`
	Error    string             `json:"error,omitempty"`
	Update   string             `json:"update,omitempty"`
	Names    []jsonConvergeName `json:"names"`
	Warnings []string           `json:"warnings,omitempty"`
}

type jsonConvergeName struct {
	Name          string               `json:"name"`
	InSync        bool                 `json:"in_sync"`
	Before        []jsonRecord         `json:"before"`
	After         []jsonRecord         `json:"after"`
	ClientsBefore string               `json:"clients_before"`
	ClientsAfter  string               `json:"clients_after"`
	Changes       []jsonConvergeChange `json:"changes"`
	Unsafe        string               `json:"unsafe,omitempty"`
}

type jsonConvergeChange struct {
	jsonChange
	Was []jsonRecord `json:"was,omitempty"`
}

type jsonHostCheck struct {
	Host       string `json:"host"`
	Port       uint16 `json:"port"`
	Live       bool   `json:"live"`
	Resolution string `json:"resolution"`
	Probe      string `json:"probe,omitempty"`
	Warning    string `json:"warning,omitempty"`
}

type jsonPublishEntry struct {
	Host    string   `json:"host"`
	Entries []string `json:"entries"`
	Value   string   `json:"value"`
	Command string   `json:"command"`
	Notes   []string `json:"notes,omitempty"`
}

func jsonRecs(rs []zone.Record) []jsonRecord {
	out := []jsonRecord{}
	for _, r := range rs {
		out = append(out, jsonRec(r))
	}
	return out
}

// fillConvergeDoc puts the plan into the JSON document.
func fillConvergeDoc(doc *convergeDoc, cv *converging, plan *converge.Plan) {
	doc.InSync, doc.Forced, doc.Probed = plan.InSync(), plan.Forced, plan.Probed
	doc.Unsafe = append(doc.Unsafe, plan.Unsafe...)
	for i, z := range plan.Zones {
		jz := jsonConvergeZone{Zone: z.Zone, Server: z.Server, Desired: cv.desired[i].From, Action: string(z.Action), InSync: z.InSync(),
			Blocked: z.Blocked, Note: z.Note, Names: []jsonConvergeName{}, Warnings: z.Warnings}
		if z.Err != nil {
			jz.Error = z.Err.Error()
		} else if !z.Empty() || z.Blocked {
			jz.Update = z.Text()
		}
		for _, n := range z.Names {
			jn := jsonConvergeName{Name: n.Owner, InSync: n.InSync(), Before: jsonRecs(n.Before), After: jsonRecs(n.After),
				ClientsBefore: converge.ClientView(n.Before, plan.Live), ClientsAfter: converge.ClientView(n.After, plan.Live),
				Changes: []jsonConvergeChange{}, Unsafe: n.Unsafe}
			for _, ch := range n.Changes {
				jc := jsonConvergeChange{jsonChange: jsonChanges([]publish.Change{ch}, false)[0]}
				if ch.Action != publish.ActionAlreadyPresent {
					jc.Planned = ch.Action.Planned()
				}
				for _, w := range ch.Was {
					jc.Was = append(jc.Was, jsonRec(w))
				}
				jn.Changes = append(jn.Changes, jc)
			}
			jz.Names = append(jz.Names, jn)
		}
		doc.Zones = append(doc.Zones, jz)
	}
	for _, h := range plan.Hosts {
		jh := jsonHostCheck{Host: h.Host, Port: h.Port, Live: h.Live(), Resolution: string(h.Resolution.Status), Warning: h.Warning()}
		if h.Probed {
			jh.Probe = string(h.Probe.Status)
		}
		doc.Hosts = append(doc.Hosts, jh)
	}
	for _, p := range converge.PublishList(cv.zones) {
		doc.PublishList = append(doc.PublishList, jsonPublishEntry{Host: p.Host, Entries: p.Entries, Value: p.Value(), Command: p.Command(), Notes: p.Notes})
	}
}
