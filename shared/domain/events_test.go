package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every audit action (a constant named Action… in any file of the package)
// has an event type webhooks may subscribe to by name, and no two actions
// share one.
func TestEveryAuditActionIsAnEventType(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok && len(v.Values) == 1 && len(v.Names) == 1 && strings.HasPrefix(v.Names[0].Name, "Action") {
				if lit, ok := v.Values[0].(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					actions = append(actions, s)
				}
			}
			return true
		})
	}
	if len(actions) < 20 {
		t.Fatalf("read %d actions from the package", len(actions))
	}
	types := EventTypes()
	for _, a := range actions {
		if !slices.Contains(types, EventType(a)) || !ValidEventType(EventType(a)) {
			t.Errorf("action %s: its event type %s is not among EventTypes", a, EventType(a))
		}
	}
	seen := map[string]bool{}
	for _, typ := range types {
		if seen[typ] {
			t.Errorf("event type %s twice", typ)
		}
		seen[typ] = true
	}
}

func TestEventFromAudit(t *testing.T) {
	at := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	e := EventFromAudit(AuditEvent{ID: "evt_1", OrgID: "org_1", Action: ActionOrgMemberRoleChanged, ActorID: "u1", ActorEmail: "a@x.test",
		TargetType: "member", TargetID: "u2", TargetEmail: "b@x.test", Details: map[string]string{"role": "admin"}, At: at})
	want := Event{ID: "evt_1", Type: "member.role_changed", OrgID: "org_1", Timestamp: at, Actor: EventActor{"u1", "a@x.test"},
		Target: EventTarget{"member", "u2", "b@x.test"}, Data: map[string]any{"role": "admin"}}
	if e.ID != want.ID || e.Type != want.Type || e.Actor != want.Actor || e.Target != want.Target || !e.Timestamp.Equal(at) || e.Data["role"] != "admin" {
		t.Errorf("EventFromAudit = %+v, want %+v", e, want)
	}
	for _, typ := range []string{"*", "member.added", "workspace.created"} {
		if !ValidEventType(typ) {
			t.Errorf("%s refused", typ)
		}
	}
	for _, typ := range []string{"", "org.member.added", "member.*", "nope"} {
		if ValidEventType(typ) {
			t.Errorf("%q accepted", typ)
		}
	}
}
