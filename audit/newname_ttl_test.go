package audit

import (
	"testing"

	"github.com/kmsdns/kmsdns/publish"
)

// TestNewNameTTLIsPublishDefault: a fix that publishes under a name with
// no record prints --ttl newNameTTL; that must be the TTL publish gives a
// new name without --ttl, or the printed command and publish disagree.
func TestNewNameTTLIsPublishDefault(t *testing.T) {
	if newNameTTL != publish.DefaultTTL {
		t.Errorf("newNameTTL %d, publish.DefaultTTL %d", newNameTTL, publish.DefaultTTL)
	}
}
