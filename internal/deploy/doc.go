// Package deploy has no code of its own: its tests load docker-compose.yml,
// the Dockerfile and the scripts under deploy/ and check what the production
// stack depends on, because nothing else would notice them rot (there is no
// Docker engine in CI).
package deploy
