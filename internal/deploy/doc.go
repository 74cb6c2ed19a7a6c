// Package deploy reads docker-compose.yml, the production shape, into what
// `make cluster` starts on one machine (PlanCluster), so the two cannot
// drift. Its tests load the compose file, the Dockerfile and the scripts
// under deploy/ and check what the production stack depends on, because
// nothing else would notice them rot (there is no Docker engine in CI).
package deploy
