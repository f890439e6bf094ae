package publish

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
)

// TestHostCheckCancelled: a host check cut short by Ctrl-C warns that
// nothing is known, never that the host does not answer; a probe that
// ran says it does not answer.
func TestHostCheckCancelled(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.94:1688")
	res := resolve.Resolution{Status: resolve.Resolved, Addrs: []netip.Addr{ap.Addr()}}
	cut := HostCheck{Host: "kms.example.", Port: 1688, Resolution: res, Probed: true, Probe: probe.Result{Addr: ap, Status: probe.StatusCancelled}}
	if w := cut.Warning(); !strings.Contains(w, "unknown: the check was interrupted") || strings.Contains(w, "does not answer") || cut.Live() {
		t.Errorf("cancelled: live %v, %q", cut.Live(), w)
	}
	ran := cut
	ran.Probe.Status = probe.StatusNotKMS
	if w := ran.Warning(); !strings.Contains(w, "does not answer as a KMS host on port 1688") {
		t.Errorf("not-kms: %q", w)
	}
}
