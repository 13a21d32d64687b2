package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orgkit/orgkit/shared/signup"
)

// PostConfirmation runs the sign-up trigger as Lambda would, first making up
// for a difference of cognito-local: real Cognito marks the email verified
// when the user confirms with the code it mailed them, cognito-local does not
// (SPEC section 9). So the local stack verifies the email, in Cognito and in
// the event, before the trigger sees it.
func PostConfirmation(svc *signup.Service, cognito *cip.Client) InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.CognitoEventUserPoolsPostConfirmation
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		if ev.TriggerSource == signup.TriggerConfirmSignUp && ev.Request.UserAttributes["email_verified"] != "true" {
			_, err := cognito.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(ev.UserPoolID),
				Username:   aws.String(ev.UserName),
				// cognito-local wants the email beside email_verified.
				UserAttributes: []ciptypes.AttributeType{
					{Name: aws.String("email"), Value: aws.String(ev.Request.UserAttributes["email"])},
					{Name: aws.String("email_verified"), Value: aws.String("true")},
				},
			})
			if err != nil {
				return nil, fmt.Errorf("mark email verified: %w", err)
			}
			if ev.Request.UserAttributes == nil {
				ev.Request.UserAttributes = map[string]string{}
			}
			ev.Request.UserAttributes["email_verified"] = "true"
		}
		out, err := svc.Handle(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// EmailVerifiedFix makes up for another difference of cognito-local: it
// writes email_verified into ID tokens as JavaScript's Boolean(value), so a
// stored "false" reads true. Real Cognito copies the attribute as it is. For
// ID tokens the local API therefore takes email_verified from the user's
// attributes, as the token would carry it in AWS.
type EmailVerifiedFix struct {
	Authenticator
	Cognito *cip.Client
	PoolID  string
}

// Verify verifies the token, then corrects email_verified.
func (f EmailVerifiedFix) Verify(ctx context.Context, token string) (map[string]string, error) {
	claims, err := f.Authenticator.Verify(ctx, token)
	if err != nil || claims["token_use"] != "id" {
		return claims, err
	}
	claims["email_verified"] = "false"
	out, err := f.Cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.PoolID), Username: aws.String(claims["sub"])})
	if err != nil {
		return claims, nil // unknown: unverified is the safe answer
	}
	for _, at := range out.UserAttributes {
		if aws.ToString(at.Name) == "email_verified" {
			claims["email_verified"] = aws.ToString(at.Value)
		}
	}
	return claims, nil
}
