package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orgkit/orgkit/shared/claims"
	"github.com/orgkit/orgkit/shared/signup"
)

// PostConfirmation runs the sign-up trigger on the event as Lambda would. It
// adds nothing: the patched cognito-local (infra/local/cognito-local/patches)
// verifies the email on ConfirmSignUp, and only there, as Cognito does, so
// the trigger sees what it would see in AWS (DESIGN.md §15).
func PostConfirmation(svc *signup.Service) InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.CognitoEventUserPoolsPostConfirmation
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		out, err := svc.Handle(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// PreTokenGeneration runs the pre-token-generation trigger on the event as
// Lambda would. cognito-local sends V1 events only (version "0"), so locally
// the claim lands in the ID token alone; in AWS the stack configures V2 and
// it is in the access token too (DESIGN.md §15).
func PreTokenGeneration(svc *claims.Service) InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		return svc.Handle(ctx, payload)
	}
}
