// Package load is orgkit's load test (load_test.go): many concurrent clients
// against the local stack doing a realistic mix of sign-ups, reads, workspace
// and membership changes, then a check of the table's invariants
// (DESIGN.md §13) once the cleanup stream has run. `make load` runs it;
// make test skips it.
package load
