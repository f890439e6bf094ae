//go:build !windows

package publish

import (
	"os"
	"os/user"
	"strings"

	"github.com/jcmturner/gokrb5/v8/credentials"
)

// ownAccount names the principal of the user's credential cache
// (KRB5CCNAME, or /tmp/krb5cc_<uid> as MIT kinit writes it), for messages.
func ownAccount() string {
	path := os.Getenv("KRB5CCNAME")
	if path == "" {
		u, err := user.Current()
		if err != nil {
			return "the credential cache's principal"
		}
		path = "/tmp/krb5cc_" + u.Uid
	}
	path = strings.TrimPrefix(path, "FILE:")
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		return "the principal of credential cache " + path
	}
	p := cc.DefaultPrincipal
	return p.PrincipalName.PrincipalNameString() + "@" + p.Realm
}
