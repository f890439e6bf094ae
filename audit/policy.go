package audit

// PortFor is the port policy expects target's records to carry: its
// HostPorts entry, else ExpectedPort, else 1688. A fix or a replacement
// that publishes target uses it, so that it agrees with the audit.
func (p Policy) PortFor(target string) uint16 {
	if hp, ok := p.HostPorts[target]; ok && hp != 0 {
		return hp
	}
	if p.ExpectedPort != 0 {
		return p.ExpectedPort
	}
	return DefaultPort
}
