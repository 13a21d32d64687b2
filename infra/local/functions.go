package local

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

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
