package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orgkit/orgkit/shared/domain"
)

// The backend API's writes (SPEC §13). A product's server acts as a
// machine, with no membership to guard on: each write keeps the same
// conditions as the user routes' writes (the org exists, at least one owner,
// the policy's email domains, memberships as read) without the actor's.

// Target is what a backend write on one person in one org reads first, in
// one strongly consistent batch.
type Target struct {
	Org       *domain.Org        // nil when the org does not exist
	User      *domain.User       // nil when the person has no user record
	Member    *domain.Membership // nil when they are no member
	Workspace *domain.Workspace  // nil when not asked for or absent
}

// ReadTarget reads an org, a person's user record and their membership of
// the org, and a workspace of the org when ws is not "".
func (s *Store) ReadTarget(ctx context.Context, org, user, ws string) (Target, error) {
	keys := []map[string]types.AttributeValue{
		key(orgPK(org), orgSK()), key(userPK(user), userProfileSK()), key(userPK(user), orgMemberSK(org)),
	}
	if ws != "" {
		keys = append(keys, key(orgPK(org), workspaceSK(ws)))
	}
	items, err := s.batchGet(ctx, keys)
	var t Target
	if err != nil {
		return t, err
	}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return t, err
		}
		switch r.Type {
		case typeOrg:
			o := r.org()
			t.Org = &o
		case typeUser:
			u := r.user()
			t.User = &u
		case typeOrgMember:
			m := r.membership()
			t.Member = &m
		case typeWorkspace:
			w := r.workspace()
			t.Workspace = &w
		}
	}
	return t, nil
}

// Org reads an org, strongly consistent (ErrOrgNotFound when absent).
func (s *Store) Org(ctx context.Context, org string) (domain.Org, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(orgPK(org), orgSK()), ConsistentRead: aws.Bool(true)})
	switch {
	case err != nil:
		return domain.Org{}, fmt.Errorf("get org: %w", err)
	case out.Item == nil:
		return domain.Org{}, domain.ErrOrgNotFound
	}
	r, err := decode(out.Item)
	return r.org(), err
}

// AddMember makes an existing user a member of an org directly, as
// accepting an invitation does but with no invitation: the policy's email
// domains must allow them, a bar on them is lifted (whoever runs the product
// let them in, as an admin approving them does) and their pending join
// request goes. A membership created meanwhile fails it with ErrConflict:
// read again, and change the role instead.
func (s *Store) AddMember(ctx context.Context, m domain.Membership, ev domain.AuditEvent) error {
	steps := []step{
		{item: types.TransactWriteItem{Put: &types.Put{
			Item:                memberRecord(m).item(),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}, onFail: failWith(domain.ErrConflict)},
		// The person still exists with the email the membership copies.
		{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			Key:                       key(userPK(m.UserID), userProfileSK()),
			ConditionExpression:       aws.String("attribute_exists(PK) AND Email = :email"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":email": str(m.Email)},
		}}, onFail: func(old map[string]types.AttributeValue) error {
			if old == nil {
				return domain.ErrUserNotFound
			}
			return domain.ErrConflict
		}},
		policyAllows(m.OrgID, m.Email),
		liftBar(m.OrgID, m.Email),
		{item: types.TransactWriteItem{Delete: &types.Delete{Key: key(orgPK(m.OrgID), joinRequestSK(m.UserID))}}},
		putAudit(ev),
	}
	// The org's counts: an owner more, a seat taken under the seat limit
	// (SPEC §12). The product's own server may add people to a canceled org,
	// as its owners may: it is the one that canceled it.
	steps = append(steps, Headcount{Org: m.OrgID, To: m.Role, ByOwner: true}.step())
	// A custom role must still exist, at org scope, when it is given.
	steps = append(steps, useRoles(m.OrgID, RoleUse{Role: string(m.Role), User: m.UserID})...)
	return s.run(ctx, steps)
}

// SetMemberMetadata replaces a membership's metadata (nil removes it).
func (s *Store) SetMemberMetadata(ctx context.Context, org, user string, metadata json.RawMessage, ev domain.AuditEvent) error {
	return s.run(ctx, []step{
		exists(orgPK(org), orgSK(), domain.ErrOrgNotFound),
		{item: types.TransactWriteItem{Update: metadataUpdate(key(userPK(user), orgMemberSK(org)), metadata)}, onFail: failWith(domain.ErrMemberNotFound)},
		putAudit(ev),
	})
}

func metadataUpdate(k map[string]types.AttributeValue, metadata json.RawMessage) *types.Update {
	u := &types.Update{Key: k, ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String("REMOVE Metadata")}
	if len(metadata) > 0 {
		u.UpdateExpression = aws.String("SET Metadata = :m")
		u.ExpressionAttributeValues = map[string]types.AttributeValue{":m": str(string(metadata))}
	}
	return u
}

// OrgChange is a backend write of an org's product data: each field nil
// when unchanged.
type OrgChange struct {
	Org domain.Org // as read: its ExternalID is the one to release
	// ExternalID is the new external id, "" to remove it.
	ExternalID *string
	// Metadata replaces the metadata; an empty one removes it.
	Metadata *json.RawMessage
	Events   []domain.AuditEvent
}

// SetOrgProductData writes an org's external id and metadata. An external
// id is unique in the deployment: a marker item claims it with
// attribute_not_exists in the same transaction (ErrExternalIDTaken), and
// the org item is conditioned on the external id read, so two concurrent
// changes cannot both release or claim on stale facts (ErrConflict).
func (s *Store) SetOrgProductData(ctx context.Context, c OrgChange) error {
	org := c.Org.ID
	var sets, removes []string
	values := map[string]types.AttributeValue{}
	names := map[string]string{}
	var steps []step
	cond := "attribute_exists(PK)"
	if c.ExternalID != nil && *c.ExternalID != c.Org.ExternalID {
		names["#ext"] = "ExternalId"
		if c.Org.ExternalID == "" {
			cond += " AND attribute_not_exists(#ext)"
		} else {
			cond += " AND #ext = :oldext"
			values[":oldext"] = str(c.Org.ExternalID)
			steps = append(steps, step{item: types.TransactWriteItem{Delete: &types.Delete{
				Key:                       key(externalIDPK(c.Org.ExternalID), externalIDSK()),
				ConditionExpression:       aws.String("OrgId = :org"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":org": str(org)},
			}}, onFail: failWith(domain.ErrConflict)})
		}
		if *c.ExternalID == "" {
			removes = append(removes, "#ext")
		} else {
			sets = append(sets, "#ext = :ext")
			values[":ext"] = str(*c.ExternalID)
			steps = append(steps, step{item: types.TransactWriteItem{Put: &types.Put{
				Item: record{PK: externalIDPK(*c.ExternalID), SK: externalIDSK(), Type: typeExternalID, Version: 1,
					OrgID: org, ExternalID: *c.ExternalID, CreatedAt: c.Org.CreatedAt}.item(),
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}}, onFail: failWith(domain.ErrExternalIDTaken)})
		}
	}
	if c.Metadata != nil {
		if len(*c.Metadata) > 0 {
			sets = append(sets, "Metadata = :m")
			values[":m"] = str(string(*c.Metadata))
		} else {
			removes = append(removes, "Metadata")
		}
	}
	sets = append(sets, "Version = Version + :one")
	values[":one"] = num(1)
	expr := "SET " + strings.Join(sets, ", ")
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	upd := &types.Update{
		Key: key(orgPK(org), orgSK()), UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeValues: values,
	}
	if len(names) > 0 {
		upd.ExpressionAttributeNames = names
	}
	steps = append([]step{{item: types.TransactWriteItem{Update: upd}, onFail: func(old map[string]types.AttributeValue) error {
		if old == nil {
			return domain.ErrOrgNotFound
		}
		return domain.ErrConflict
	}}}, steps...)
	for _, e := range c.Events {
		steps = append(steps, putAudit(e))
	}
	return s.run(ctx, steps)
}

// LastOwnerIn returns those of the orgs whose only owner the user is.
func (s *Store) LastOwnerIn(ctx context.Context, user string, orgs []string) ([]string, error) {
	var keys []map[string]types.AttributeValue
	for _, o := range orgs {
		keys = append(keys, key(orgPK(o), orgSK()), key(userPK(user), orgMemberSK(o)))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	owners, owner := map[string]int64{}, map[string]bool{}
	for _, it := range items {
		r, err := decode(it)
		if err != nil {
			return nil, err
		}
		switch r.Type {
		case typeOrg:
			owners[r.OrgID] = r.OwnerCount
		case typeOrgMember:
			owner[r.OrgID] = r.Role == string(domain.OrgOwner)
		}
	}
	var last []string
	for _, o := range orgs {
		if c, live := owners[o]; live && owner[o] && c <= 1 {
			last = append(last, o)
		}
	}
	return last, nil
}

// OrgByExternalID finds the org holding an external id
// (ErrOrgNotFound when none does).
func (s *Store) OrgByExternalID(ctx context.Context, id string) (domain.Org, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(externalIDPK(id), externalIDSK()), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return domain.Org{}, fmt.Errorf("get external id: %w", err)
	}
	if out.Item == nil {
		return domain.Org{}, domain.ErrOrgNotFound
	}
	r, err := decode(out.Item)
	if err != nil {
		return domain.Org{}, err
	}
	o, err := s.Org(ctx, r.OrgID)
	if err == nil && o.ExternalID != id {
		return domain.Org{}, domain.ErrOrgNotFound // released since the read
	}
	return o, err
}

// UsersByEmail finds the users with an email (more than one when a person
// signed up again under another account). The email index is eventually
// consistent: a user who signed up a moment ago may be missing.
func (s *Store) UsersByEmail(ctx context.Context, email string) ([]domain.User, error) {
	recs, _, err := s.query(ctx, gsiList(emailGSI(email), userGSISK("")), 100, "", false)
	users := []domain.User{}
	for _, r := range recs {
		if r.Type == typeUser {
			users = append(users, r.user())
		}
	}
	return users, err
}

// AddWorkspaceMember adds an org member to a workspace or changes their
// role, as PutWorkspaceMember does with no actor to guard on.
func (s *Store) AddWorkspaceMember(ctx context.Context, m domain.WorkspaceMembership, ev domain.AuditEvent) error {
	steps := []step{
		exists(orgPK(m.OrgID), orgSK(), domain.ErrOrgNotFound),
		exists(orgPK(m.OrgID), workspaceSK(m.WorkspaceID), domain.ErrWorkspaceMissing),
		putWsMember(m),
		putAudit(ev),
		touchMember(m.OrgID, m.UserID),
	}
	// A custom role must still exist, at workspace scope, when it is given.
	steps = append(steps, useRoles(m.OrgID, RoleUse{Role: string(m.Role), User: m.UserID, Workspace: m.WorkspaceID})...)
	return s.run(ctx, steps)
}

// DropWorkspaceMember removes a member from a workspace, with no actor to
// guard on.
func (s *Store) DropWorkspaceMember(ctx context.Context, org, ws, user string, ev domain.AuditEvent) error {
	return s.run(ctx, []step{
		exists(orgPK(org), orgSK(), domain.ErrOrgNotFound),
		exists(orgPK(org), workspaceSK(ws), domain.ErrWorkspaceMissing),
		{item: types.TransactWriteItem{Delete: &types.Delete{
			Key:                 key(userPK(user), wsMemberSK(org, ws)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}}, onFail: failWith(domain.ErrMemberNotFound)},
		putAudit(ev),
	})
}

// EraseEmail removes a deleted person's email from every item of the table,
// once their memberships are gone: it deletes what exists only for them
// (leftover workspace memberships, invitations to their email, with their
// pending slot given back, join requests, bars, mail counters, unsent mail)
// and removes the email from the audit log, whose events keep their id;
// their user record goes last. It scans the whole table, as nothing indexes
// the audit log by email; it is idempotent and may be cut short and run
// again. It returns how many items it changed.
func (s *Store) EraseEmail(ctx context.Context, user, email string) (int, error) {
	in := &dynamodb.ScanInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("Email = :e OR TargetEmail = :e OR contains(SK, :e) OR (PK = :upk) OR (#type = :jr AND UserId = :u) OR " +
			"(#type = :out AND contains(#text, :e)) OR (#type = :dlv AND contains(Payload, :eb))"),
		ExpressionAttributeNames: map[string]string{"#type": attrType, "#text": "Text"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":e": str(email), ":upk": str(userPK(user)), ":jr": str(typeJoinRequest), ":u": str(user), ":out": str(typeOutbox),
			":dlv": str(typeDelivery), ":eb": &types.AttributeValueMemberB{Value: []byte(email)},
		},
	}
	// Segments of the table scanned at once: the scan's latency is the
	// table's size over their number.
	var n atomic.Int64
	segments := make([]int32, eraseSegments)
	for i := range segments {
		segments[i] = int32(i)
	}
	err := parallel(ctx, segments, func(ctx context.Context, seg int32) error {
		in := *in
		in.Segment, in.TotalSegments = aws.Int32(seg), aws.Int32(eraseSegments)
		p := dynamodb.NewScanPaginator(s.db, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("erase email: %w", err)
			}
			for _, it := range out.Items {
				changed, err := s.eraseItem(ctx, it, user, email)
				if err != nil {
					return err
				}
				if changed {
					n.Add(1)
				}
			}
		}
		return nil
	})
	if err != nil {
		return int(n.Load()), err
	}
	// The user record last: while it is there, the person is found and a
	// deletion cut short is finished by calling again.
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(userPK(user), userProfileSK()),
		ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return int(n.Load()), nil
	case err != nil:
		return int(n.Load()), fmt.Errorf("erase email: %w", err)
	}
	return int(n.Load()) + 1, nil
}

// eraseSegments is how many segments EraseEmail scans at once (purgeWorkers
// of them run together).
const eraseSegments = 8

func (s *Store) eraseItem(ctx context.Context, it map[string]types.AttributeValue, user, email string) (bool, error) {
	r, err := decode(it)
	if err != nil {
		return false, err
	}
	del := func(cond string, values map[string]types.AttributeValue) (bool, error) {
		in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: keyOf(it)}
		if cond != "" {
			in.ConditionExpression, in.ExpressionAttributeValues = aws.String(cond), values
		}
		_, err := s.db.DeleteItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		return err == nil, err
	}
	switch {
	case strings.HasPrefix(r.PK, userPK("")) && r.PK != userPK(user):
		return false, nil // another account of the same email: not theirs to erase
	case r.Type == typeUser && r.PK == userPK(user):
		return false, nil // deleted last, by EraseEmail
	case r.Type == typeOrgMember:
		// Memberships of live orgs went through RemoveMember, which keeps
		// the owner count; those of deleted orgs await the org's purge.
		if _, err := s.Org(ctx, r.OrgID); !errors.Is(err, domain.ErrOrgNotFound) {
			return false, err
		}
		return del("attribute_exists(PK)", nil)
	case r.PK == userPK(user), r.Type == typeJoinRequest && r.UserID == user:
		return del("", nil)
	case r.Type == typeInvitation && r.Email == email:
		return s.eraseInvitation(ctx, r)
	case r.Type == typeDelivery:
		// A webhook delivery keeps its event (30 days): the email goes from
		// it, so that a delivery still to come sends the event without it.
		p, ok := it["Payload"].(*types.AttributeValueMemberB)
		if !ok {
			return false, nil
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: keyOf(it),
			UpdateExpression:          aws.String("SET Payload = :p"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberB{Value: bytes.ReplaceAll(p.Value, []byte(email), nil)}}})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		return err == nil, err
	case r.Type == typeAuditEvent:
		var removes []string
		if r.Email == email {
			removes = append(removes, "Email")
		}
		if r.TargetEmail == email {
			removes = append(removes, "TargetEmail")
		}
		if len(removes) == 0 {
			return false, nil
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(s.table), Key: keyOf(it), UpdateExpression: aws.String("REMOVE " + strings.Join(removes, ", ")),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		return err == nil, err
	case r.Email == email, strings.HasSuffix(r.SK, "#"+email):
		// Bars, mail counters, unsent mail to them: they exist for the
		// email alone.
		return del("", nil)
	case r.Type == typeOutbox:
		// Unsent mail naming them (an invitation they made): not sent, the
		// invitation stays and may be resent.
		return del("attribute_exists(PK)", nil)
	}
	return false, nil // contains(SK) matched a longer address
}

// eraseInvitation deletes an invitation to an erased email; a pending one
// gives its slot back in the same transaction.
func (s *Store) eraseInvitation(ctx context.Context, r record) (bool, error) {
	k := key(r.PK, r.SK)
	for range retryAttempts {
		cond := "attribute_exists(PK) AND attribute_not_exists(HoldsSlot)"
		steps := []step{{item: types.TransactWriteItem{Delete: &types.Delete{Key: k, ConditionExpression: aws.String(cond)}}, onFail: failWith(domain.ErrConflict)}}
		if r.HoldsSlot {
			steps[0].item.Delete.ConditionExpression = aws.String("HoldsSlot = :yes")
			steps[0].item.Delete.ExpressionAttributeValues = map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}}
			steps = append(steps, freeSlots(r.OrgID, 1))
		}
		err := s.run(ctx, steps)
		if !errors.Is(err, domain.ErrConflict) {
			return err == nil, err
		}
		// Accepted or revoked meanwhile (the slot went then), or gone.
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: k, ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			return false, err
		}
		if r, err = decode(out.Item); err != nil {
			return false, err
		}
	}
	return false, domain.ErrConflict
}
