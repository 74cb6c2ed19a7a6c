package api

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// healthz answers as long as the process serves HTTP.
func healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readinessTimeout bounds each check so a hung dependency makes /readyz
// answer 503 instead of hanging the prober.
const readinessTimeout = 3 * time.Second

type checkResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// readyz runs every check concurrently: 200 when all pass, else 503 naming the failures.
func readyz(checks map[string]func(context.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		results := make([]checkResult, 0, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, check := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(c.Request.Context(), readinessTimeout)
				defer cancel()
				r := checkResult{Name: name, Status: "ok"}
				if err := check(ctx); err != nil {
					r.Status, r.Error = "failing", err.Error()
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			})
		}
		wg.Wait()
		sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })

		status, overall := http.StatusOK, "ready"
		for _, r := range results {
			if r.Status != "ok" {
				status, overall = http.StatusServiceUnavailable, "not ready"
			}
		}
		c.JSON(status, gin.H{"status": overall, "checks": results})
	}
}
