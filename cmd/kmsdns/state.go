package main

import (
	"fmt"
	"os"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// writeStatePath is the state file publish and unpublish keep: --state,
// else the config's defaults.state, else the default file when it exists
// (a run that was not told of a state file does not create one).
func writeStatePath(flag string, file *config.File) string {
	if flag != "" || (file != nil && file.Defaults.State != "") {
		return statePath(flag, file)
	}
	path := cleanup.DefaultStatePath()
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// forgetRepublished drops from cleanup's state the records published again
// on purpose, so that audit does not report them as reappeared.
func forgetRepublished(c *cli.Context, e env, path string, plans []*publish.ZonePlan, results []publish.Result) {
	if path == "" {
		return
	}
	var recs []zone.Record
	for i, r := range results {
		if r.Err != nil || plans[i].Blocked {
			continue
		}
		for _, ch := range plans[i].Changes {
			if ch.Action != publish.ActionRemoved && ch.Action != publish.ActionNotPresent {
				recs = append(recs, ch.Record)
			}
		}
		recs = append(recs, plans[i].Add...)
	}
	if _, err := cleanup.Forget(c.Context, path, recs); err != nil {
		fmt.Fprintln(e.stderr, "kmsdns: warning:", err)
	}
}

// rememberRemoved records in cleanup's state what unpublish removed, so a
// later audit reports the records if they come back.
func rememberRemoved(c *cli.Context, e env, path string, plans []*publish.ZonePlan, results []publish.Result) {
	if path == "" {
		return
	}
	var removed []audit.Removed
	for i, r := range results {
		if r.Err != nil || plans[i].Empty() {
			continue
		}
		for _, d := range plans[i].Delete {
			removed = append(removed, audit.Removed{Zone: d.Zone, Name: d.Name, TTL: d.TTL, Priority: d.Priority, Weight: d.Weight,
				Port: d.Port, Target: d.Target, Server: r.Server, RemovedAt: e.now().UTC()})
		}
	}
	notice := func(msg string) { fmt.Fprintln(e.stderr, "kmsdns: warning:", msg) }
	if err := cleanup.Remember(c.Context, path, removed, notice); err != nil {
		fmt.Fprintln(e.stderr, "kmsdns: warning: removed records not remembered:", err)
	}
}
