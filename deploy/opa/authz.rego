# METADATA
# title: OPA's own API authorization for bpfopa's containerised OPA
# description: >-
#   Loaded by deploy/opa/bpfopa-opa next to bpfopa's policies when OPA runs with
#   --authentication=token --authorization=basic. Every request must carry the bearer token that
#   bpfopa-opa loaded as data.bpfopa_authz.token from the token file (a generated secret, never in
#   the image); without it nobody on the host can read alerts' inputs or PUT exceptions that
#   switch rules off.
package system.authz

default allow := false

allow if {
	token := data.bpfopa_authz.token
	count(token) >= 16
	input.identity == token
}
