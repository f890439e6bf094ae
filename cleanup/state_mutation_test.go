package cleanup_test

import (
	"testing"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

// TestRememberAndForgetExactly: remembering the same removal twice keeps
// one entry; forgetting a republished host drops that host's entry only,
// not the other hosts removed under the same name.
func TestRememberAndForgetExactly(t *testing.T) {
	a, b := entry(1), entry(1)
	b.Target = "kms-other.z1.example."
	s := &cleanup.State{Version: 1}
	s.Remember(a, b)
	s.Remember(a)
	if len(s.Removed) != 2 {
		t.Fatalf("%d entries after remembering a twice and b once, want 2: %+v", len(s.Removed), s.Removed)
	}
	n := s.Forget(zone.Record{Zone: a.Zone, Name: a.Name, Port: a.Port, Target: a.Target})
	if n != 1 || len(s.Removed) != 1 || s.Removed[0].Target != b.Target {
		t.Errorf("forgot %d, left %+v; want only %s left", n, s.Removed, b.Target)
	}
}
