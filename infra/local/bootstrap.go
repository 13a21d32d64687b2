package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orgkit/orgkit/shared/routes"
)

// PoolName and ClientName name the local user pool and app client, so that
// bootstrapping again finds them rather than making more.
const (
	PoolName   = "orgkit-local"
	ClientName = "orgkit-local"
)

// EnsureUserPool returns the ids of the local user pool and app client,
// creating them when absent. The pool signs in with email and verifies it,
// like the one the CDK stack deploys.
func EnsureUserPool(ctx context.Context, c *cip.Client) (poolID, clientID string, err error) {
	pools, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		return "", "", fmt.Errorf("list user pools: %w", err)
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) == PoolName {
			poolID = aws.ToString(p.Id)
		}
	}
	if poolID == "" {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:               aws.String(PoolName),
			UsernameAttributes:     []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
			AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
		})
		if err != nil {
			return "", "", fmt.Errorf("create user pool: %w", err)
		}
		poolID = aws.ToString(out.UserPool.Id)
	}
	clients, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		return "", "", fmt.Errorf("list app clients: %w", err)
	}
	for _, cl := range clients.UserPoolClients {
		if aws.ToString(cl.ClientName) == ClientName {
			return poolID, aws.ToString(cl.ClientId), nil
		}
	}
	out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID),
		ClientName: aws.String(ClientName),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{
			ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create app client: %w", err)
	}
	return poolID, aws.ToString(out.UserPoolClient.ClientId), nil
}

// WriteEnv writes KEY=value lines, sorted, to path (atomically), readable by
// its owner alone: it holds the backend client's secret.
func WriteEnv(path string, env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// BackendClientName names the local backend app client: a product's server,
// which gets client-credentials tokens with the scopes of routes.Scopes.
const BackendClientName = "orgkit-local-backend"

// EnsureBackendClient returns the id and secret of the local backend app
// client, creating it, and the resource server whose scopes it is allowed,
// when absent: what the CDK stack deploys (infra/stack), through the
// patched cognito-local (infra/local/cognito-local/patches).
func EnsureBackendClient(ctx context.Context, c *cip.Client, poolID string) (clientID, secret string, err error) {
	_, err = c.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String(routes.ResourceServer)})
	var missing *ciptypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		var scopes []ciptypes.ResourceServerScopeType
		for _, s := range routes.Scopes {
			scopes = append(scopes, ciptypes.ResourceServerScopeType{ScopeName: aws.String(routes.ScopeName(s)), ScopeDescription: aws.String(routes.ScopeDescriptions[s])})
		}
		_, err = c.CreateResourceServer(ctx, &cip.CreateResourceServerInput{
			UserPoolId: aws.String(poolID), Identifier: aws.String(routes.ResourceServer), Name: aws.String("orgkit backend API"), Scopes: scopes,
		})
	}
	if err != nil {
		return "", "", fmt.Errorf("resource server: %w", err)
	}
	clients, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		return "", "", fmt.Errorf("list app clients: %w", err)
	}
	for _, cl := range clients.UserPoolClients {
		if aws.ToString(cl.ClientName) == BackendClientName {
			out, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: cl.ClientId})
			if err != nil {
				return "", "", fmt.Errorf("describe backend client: %w", err)
			}
			return aws.ToString(cl.ClientId), aws.ToString(out.UserPoolClient.ClientSecret), nil
		}
	}
	out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:                      aws.String(poolID),
		ClientName:                      aws.String(BackendClientName),
		GenerateSecret:                  true,
		AllowedOAuthFlows:               []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              routes.Scopes,
	})
	if err != nil {
		return "", "", fmt.Errorf("create backend client: %w", err)
	}
	return aws.ToString(out.UserPoolClient.ClientId), aws.ToString(out.UserPoolClient.ClientSecret), nil
}
