//go:build !windows

package publish

import "context"

// negotiate sets up a context with server (host name host) using the
// keytab, password or credential cache.
func (g *GSS) negotiate(ctx context.Context, server, host string) (gssContext, error) {
	return g.negotiateKRB(ctx, server, host)
}
