package main

import (
	"context"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/publish"
)

// heedHosts checks every host the plans would publish, as publish and
// restore do: each resolved and probed (--no-probe: resolved only) on the
// port it would get; one that cannot serve is a warning on its zone's
// plan, or with --require-live stops that zone.
func heedHosts(ctx context.Context, a updateArgs, plan *config.UpdatePlan, targets []publish.Primary, plans []*publish.ZonePlan) {
	var prober resolve.Prober
	if !a.noProbe {
		prober = probe.Prober{Timeout: plan.ProbeTimeout}
	}
	checks := publish.CheckHosts(ctx, targets, publish.Planned(plans), &resolve.TargetResolver{Resolver: plan.Resolver, Timeout: plan.Timeout}, prober)
	publish.Heed(plans, checks, a.requireLive)
}
