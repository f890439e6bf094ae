//go:build windows

package publish

import "os/user"

// ownAccount names the logged-on user, whose credential SSPI uses.
func ownAccount() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "the logged-on user"
}
