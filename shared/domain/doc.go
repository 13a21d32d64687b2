// Package domain holds orgkit's entities, roles, validation rules and typed
// errors. It has no AWS imports: everything here is plain Go, so the rules can
// be tested and reused without Lambda or DynamoDB.
//
// The model is DESIGN.md §3; the error codes map to HTTP as §11 says.
package domain
