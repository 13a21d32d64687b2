package local

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orgkit/orgkit/shared/gateway"
)

// InvokeFunc runs a Lambda function on a raw event, as the Lambda service
// would.
type InvokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Server is the local API: API Gateway's HTTP API in front of the route
// table, plus the Lambda Invoke API for cognito-local's triggers.
type Server struct {
	// Gateway serves the API routes (API Gateway's part).
	gateway.Gateway
	Functions map[string]InvokeFunc
	Extra     map[string]http.Handler // more paths served as they are (GET /openapi.json)

	// InvokeSecret is the secret key cognito-local signs its Invoke requests
	// with (access key InvokeAccessKeyID). Only requests signed with it run a
	// function, so no web page or other local process can post a trigger
	// event; with no secret, nothing is invoked.
	InvokeSecret string
	// Console serves the admin console at / and under /console, without a
	// token, as the console function's routes do in AWS.
	Console http.Handler
}

const invokePrefix = "/2015-03-31/functions/"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz":
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok\n")
		return
	case strings.HasPrefix(r.URL.Path, invokePrefix) && strings.HasSuffix(r.URL.Path, "/invocations") && r.Method == http.MethodPost:
		s.invoke(w, r)
		return
	}
	if s.Console != nil && (r.URL.Path == "/" || r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/")) {
		s.Console.ServeHTTP(w, r)
		return
	}
	if h, ok := s.Extra[r.URL.Path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	s.Gateway.ServeHTTP(w, r)
}

// invoke serves the Lambda Invoke API for a synchronous invocation, to
// callers that sign their request as the Lambda service requires.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"Message": "cannot read payload"})
		return
	}
	if err := VerifySigV4(r, payload, InvokeAccessKeyID, s.InvokeSecret, "lambda", time.Now()); err != nil {
		s.Log.Warn("invoke refused", "path", r.URL.Path, "remote", r.RemoteAddr, "error", err.Error())
		w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException")
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "The request signature we calculated does not match the signature you provided."})
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, invokePrefix), "/invocations")
	if i := strings.LastIndex(name, ":"); i >= 0 { // an ARN: the name is its last part
		name = name[i+1:]
	}
	fn, ok := s.Functions[name]
	if !ok {
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		writeJSON(w, http.StatusNotFound, map[string]string{"Type": "User", "Message": "Function not found: " + name})
		return
	}
	out, err := fn(r.Context(), payload)
	if err != nil {
		s.Log.Error("function failed", "function", name, "error", err.Error())
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		writeJSON(w, http.StatusOK, map[string]string{"errorMessage": err.Error(), "errorType": "error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
