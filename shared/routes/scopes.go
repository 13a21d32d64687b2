package routes

import "strings"

// ResourceServer is the identifier of the Cognito resource server whose
// scopes the backend routes require (SPEC §13): a scope is
// "<ResourceServer>/<name>".
const ResourceServer = "orgkit"

// Scopes are every scope of the resource server, the ones a backend app
// client is allowed: the CDK stack and the local stack declare exactly these.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeBilling}

// ScopeName is the part of a scope after the resource server's identifier
// ("read" of "orgkit/read"), as Cognito's resource server declares it.
func ScopeName(scope string) string {
	return strings.TrimPrefix(scope, ResourceServer+"/")
}

// ScopeDescriptions say what each scope lets a product's server do.
var ScopeDescriptions = map[string]string{
	ScopeRead:    "Read orgs, users, memberships and permissions",
	ScopeWrite:   "Change memberships, product data and webhooks",
	ScopeBilling: "Set plans and seat limits",
}
