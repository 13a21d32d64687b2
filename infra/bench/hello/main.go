// Command hello is the benchmark's baseline: the smallest Go Lambda function
// on provided.al2023, built with the flags of `make build`, answering an HTTP
// API event without any work. Each function's size and cold start are given
// as a ratio to it. It implements no rule of DESIGN.md; it only measures
// what the functions of DESIGN.md §15 cost beyond Go on Lambda.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"hello":"world"}`}, nil
	})
}
