package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// A custom role's holder giving that role: the guard's check of the role
// and the assignment's count on it become one action whose condition is
// both, and whose refusal is named by the guard first.
func TestConditionChecksFuseIntoTheWriteOnTheirItem(t *testing.T) {
	role := domain.NewID(domain.PrefixRole, time.Now())
	g := CustomOrgGuard("org_1", "u1", role, "org:members:manage")
	steps := merge(flatten(append([]step{g.step()}, useRoles("org_1", RoleUse{Role: role, User: "u2"})...)))
	if len(steps) != 3 { // the guard's membership check, the role (fused), the marker
		t.Fatalf("%d actions, want 3", len(steps))
	}
	u := steps[1].item.Update
	if u == nil || !strings.Contains(aws.ToString(u.ConditionExpression), "contains(#gperms, :gperm)") ||
		!strings.Contains(aws.ToString(u.ConditionExpression), "#uscope = :uscope") {
		t.Fatalf("fused action = %+v", steps[1].item)
	}
	// The role lost the permission: the guard speaks (forbidden).
	lost := roleRecord(domain.CustomRole{ID: role, OrgID: "org_1", Name: "x", Scope: "org", Permissions: []string{"org:members:read"}}).item()
	if err := steps[1].onFail(lost); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("a role without the permission: %v, want forbidden", err)
	}
	// The role holds it but is of another scope: the assignment speaks.
	other := roleRecord(domain.CustomRole{ID: role, OrgID: "org_1", Name: "x", Scope: "workspace", Permissions: []string{"org:members:manage"}}).item()
	if err := steps[1].onFail(other); !errors.Is(err, domain.ErrForbidden) && !errors.Is(err, domain.ErrRoleScopeMismatch) {
		t.Errorf("a role of another scope: %v", err)
	}
	// The step given to merge is left as it was (a retry sends it again).
	if c := useRoles("org_1", RoleUse{Role: role, User: "u2"})[0].item.Update.ConditionExpression; strings.Contains(aws.ToString(c), "gperm") {
		t.Error("merge changed the caller's step")
	}
}

func TestTwoWritesOnOneItemAreStillRefused(t *testing.T) {
	s := &Store{table: "never-called"}
	put := step{item: types.TransactWriteItem{Put: &types.Put{Item: memberRecord(membershipOf("org_1", "u1")).item()}}}
	if err := s.run(context.Background(), []step{put, put}); !errors.Is(err, ErrSameItemTwice) {
		t.Fatalf("two puts of one item: %v, want ErrSameItemTwice", err)
	}
}
