package api_test

import (
	"sync"
	"testing"
	"time"

	"github.com/orgkit/orgkit/shared/api/apitest"
)

func TestScratch(t *testing.T) {
	e := apitest.New(t)
	a := e.Founder(t)
	t.Log(e.Call(a, "GET", "/me", nil))
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := e.SignUp(t, apitest.FreeEmail("m"))
			_, tok := e.Invite(t, a, a.OrgID, u.Email, "member")
			e.Accept(t, u, tok)
		}()
	}
	wg.Wait()
	t.Logf("200 joins: %v", time.Since(start))
	start = time.Now()
	e.Invariants(t)
	t.Logf("invariants: %v", time.Since(start))
	start = time.Now()
	for i := 0; i < 50; i++ {
		e.Call(a, "GET", "/orgs/"+a.OrgID, nil)
	}
	t.Logf("50 gets: %v", time.Since(start))
}
