package apitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// Seed fills an org quickly, with direct writes of items shaped as the
// store writes them (keys.go): n users who are org members (role member)
// and, when ws is not "", viewers of that workspace, n pending invitations
// and n audit events. It is for tests of how costs grow with an org's size,
// where going through the API would take minutes; the items pass
// Invariants. The users can call the API.
func (e *Env) Seed(t testing.TB, org, ws string, n int) []*User {
	t.Helper()
	now := e.Now().UTC()
	at := now.Format(time.RFC3339Nano)
	var items []map[string]types.AttributeValue
	users := make([]*User, n)
	for i := range n {
		u := e.NewUser(FreeEmail(fmt.Sprintf("seed%d", i)))
		users[i] = u
		items = append(items,
			item("PK", "USER#"+u.ID, "SK", "PROFILE", "Type", TypeUser, "UserId", u.ID, "Email", u.Email, "CreatedAt", at, "#Version", "1"),
			item("PK", "USER#"+u.ID, "SK", "ORG#"+org, "GSI1PK", "ORG#"+org+"#MEMBERS", "GSI1SK", "USER#"+u.ID, "Type", TypeOrgMember,
				"OrgId", org, "UserId", u.ID, "Email", u.Email, "Role", "member", "CreatedAt", at, "#Version", "1"))
		if ws != "" {
			items = append(items, item("PK", "USER#"+u.ID, "SK", "ORG#"+org+"#WS#"+ws, "GSI1PK", "WS#"+ws+"#MEMBERS", "GSI1SK", "USER#"+u.ID,
				"Type", TypeWorkspaceMbr, "OrgId", org, "WorkspaceId", ws, "UserId", u.ID, "Email", u.Email, "Role", "viewer", "CreatedAt", at, "#Version", "1"))
		}
		inv, evt := domain.NewID(domain.PrefixInvitation, now), domain.NewID(domain.PrefixAudit, now)
		email := FreeEmail(fmt.Sprintf("invitee%d", i))
		hash := make([]byte, 32)
		_, _ = rand.Read(hash)
		items = append(items,
			item("PK", "ORG#"+org, "SK", "INVITE#"+inv, "GSI1PK", "EMAIL#"+email, "GSI1SK", "INVITE#"+inv, "Type", TypeInvitation,
				"Id", inv, "OrgId", org, "Email", email, "Role", "member", "Status", "pending", "TokenHash", hex.EncodeToString(hash),
				"#ValidUntil", fmt.Sprint(now.Add(7*24*time.Hour).UnixMilli()), "CreatedAt", at, "#Version", "1"),
			item("PK", "ORG#"+org, "SK", "AUDIT#"+evt, "Type", TypeAuditEvent, "Id", evt, "OrgId", org, "Action", "seeded",
				"UserId", u.ID, "TargetType", "user", "TargetId", u.ID, "CreatedAt", at, "#ExpiresAt", fmt.Sprint(now.Add(24*time.Hour).Unix()), "#Version", "1"))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for len(items) > 0 {
		k := min(len(items), 25)
		batch := items[:k]
		items = items[k:]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			e.batchWrite(t, batch)
		}()
	}
	wg.Wait()
	return users
}

// item builds an item from name, value pairs; a name starting with # is a
// number.
func item(kv ...string) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for i := 0; i < len(kv); i += 2 {
		if name, ok := cutHash(kv[i]); ok {
			m[name] = &types.AttributeValueMemberN{Value: kv[i+1]}
		} else {
			m[kv[i]] = &types.AttributeValueMemberS{Value: kv[i+1]}
		}
	}
	return m
}

func cutHash(s string) (string, bool) {
	if len(s) > 0 && s[0] == '#' {
		return s[1:], true
	}
	return s, false
}

func (e *Env) batchWrite(t testing.TB, batch []map[string]types.AttributeValue) {
	reqs := make([]types.WriteRequest, len(batch))
	for i, it := range batch {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	in := map[string][]types.WriteRequest{e.Store.Table(): reqs}
	for attempt := 0; len(in) > 0; attempt++ {
		if attempt == 20 {
			t.Errorf("seed: items left unprocessed")
			return
		}
		out, err := e.Store.Client().BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: in})
		if err != nil {
			t.Errorf("seed: %v", err)
			return
		}
		in = out.UnprocessedItems
		if len(in) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}
