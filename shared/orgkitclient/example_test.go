package orgkitclient_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/orgkit/orgkit/shared/orgkitclient"
)

// A person's token, every member of an org page after page, and a refusal
// read by its problem code.
func Example() {
	ctx := context.Background()
	c := orgkitclient.New(os.Getenv("API_URL"), orgkitclient.BearerToken(os.Getenv("ID_TOKEN")))
	orgID := os.Getenv("ORG_ID")
	for m, err := range c.AllMembers(ctx, orgID) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(m.Email, m.Role)
	}
	me, err := c.Me(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = c.RemoveMember(ctx, orgID, me.User.ID)
	var problem *orgkitclient.Error
	if errors.As(err, &problem) && problem.Code == "last_owner" {
		fmt.Println("make someone else an owner first")
	}
}
