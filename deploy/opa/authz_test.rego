package system.authz_test

import data.system.authz

_token := "0123456789abcdef0123456789abcdef"

test_the_token_is_allowed if {
	authz.allow with input as {"identity": _token, "method": "PUT", "path": ["v1", "data"]}
		with data.bpfopa_authz.token as _token
}

test_another_token_is_refused if {
	not authz.allow with input as {"identity": "guess", "method": "GET", "path": ["health"]}
		with data.bpfopa_authz.token as _token
}

test_no_token_is_refused if {
	not authz.allow with input as {"method": "GET", "path": ["v1", "data"]}
		with data.bpfopa_authz.token as _token
}

test_a_short_configured_token_allows_nobody if {
	not authz.allow with input as {"identity": "short"} with data.bpfopa_authz.token as "short"
}

test_a_missing_token_allows_nobody if {
	not authz.allow with input as {"identity": ""}
}
