package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadCompose is `docker compose config` of the compose file at path, with
// only env for its variables: the result does not depend on the shell or an
// .env file of whoever runs it.
func LoadCompose(ctx context.Context, path string, env map[string]string) (*types.Project, error) {
	var environment []string
	for k, v := range env {
		environment = append(environment, k+"="+v)
	}
	options, err := cli.NewProjectOptions(
		[]string{path},
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithEnv(environment),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, fmt.Errorf("deploy: compose options: %w", err)
	}
	project, err := options.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy: load %s: %w", path, err)
	}
	return project, nil
}

// The services of docker-compose.yml by name. Renaming one means updating
// this file on purpose: scripts, docs and `make cluster` refer to them.
const (
	ServicePostgres       = "postgres"
	ServiceTemporal       = "temporal"
	ServiceTemporalSchema = "temporal-schema"
	ServiceTemporalSetup  = "temporal-setup"
	ServiceTemporalUI     = "temporal-ui"
	ServiceMigrate        = "migrate"
	ServiceWorker         = "worker"
	ServiceAPI            = "api"
)

// Cluster is what the compose file starts, as `make cluster` starts it on
// one machine without containers: the same Temporal server version with the
// same environment, the same schema and namespace setup, the same Web UI
// version, and the same orderflow processes with the same settings, as many
// of each. Hosts, ports, database names and the SendGrid endpoint are the
// run's own (Overrides in the run).
type Cluster struct {
	// TemporalVersion is the tag of the server image (and of admin-tools,
	// whose temporal-sql-tool applies the schema); UIVersion the Web UI's.
	TemporalVersion, UIVersion string
	// TemporalEnv configures the server (its embedded config template reads it).
	TemporalEnv map[string]string
	// DynamicConfig is the file the server's DYNAMIC_CONFIG_FILE_PATH names, on this machine.
	DynamicConfig string
	// SchemaScript and SchemaEnv: the temporal-schema job.
	SchemaScript string
	SchemaEnv    map[string]string
	// SetupEnv (namespace, retention) and SearchAttributes (NAME=Type): the temporal-setup job.
	SetupEnv         map[string]string
	SearchAttributes []string
	// OrderflowEnv is the one configuration of migrate, worker and api.
	OrderflowEnv map[string]string
	// Workers and APIs are the replicas of worker and api.
	Workers, APIs int
}

// PlanCluster reads the cluster the compose project describes.
func PlanCluster(p *types.Project) (Cluster, error) {
	var c Cluster
	var missing []string
	service := func(name string) types.ServiceConfig {
		s, ok := p.Services[name]
		if !ok {
			missing = append(missing, name)
		}
		return s
	}
	temporal, schema, setup, ui := service(ServiceTemporal), service(ServiceTemporalSchema), service(ServiceTemporalSetup), service(ServiceTemporalUI)
	worker, api := service(ServiceWorker), service(ServiceAPI)
	service(ServiceMigrate)
	if len(missing) > 0 {
		return c, fmt.Errorf("deploy: the compose file has no service %s", strings.Join(missing, ", "))
	}
	c.TemporalVersion, c.UIVersion = imageTag(temporal.Image), imageTag(ui.Image)
	c.TemporalEnv, c.SchemaEnv, c.SetupEnv, c.OrderflowEnv = envOf(temporal), envOf(schema), envOf(setup), envOf(worker)
	c.DynamicConfig = mountSource(temporal, c.TemporalEnv["DYNAMIC_CONFIG_FILE_PATH"])
	c.SchemaScript = mountSource(schema, ScriptOf(schema))
	args := append(slices.Clone(setup.Entrypoint), setup.Command...)
	if i := slices.IndexFunc(args, func(a string) bool { return strings.HasSuffix(a, "setup-namespace.sh") }); i >= 0 {
		c.SearchAttributes = args[i+1:]
	}
	c.Workers, c.APIs = replicas(worker), replicas(api)
	switch {
	case c.DynamicConfig == "" || c.SchemaScript == "":
		return c, fmt.Errorf("deploy: the compose file mounts no dynamic config for %s or no schema script for %s", ServiceTemporal, ServiceTemporalSchema)
	case len(c.SearchAttributes) == 0:
		return c, fmt.Errorf("deploy: %s registers no search attributes", ServiceTemporalSetup)
	}
	return c, nil
}

// ScriptOf is the script a one-shot job hands to /bin/sh.
func ScriptOf(s types.ServiceConfig) string {
	all := append(slices.Clone(s.Entrypoint), s.Command...)
	if i := slices.IndexFunc(all, func(a string) bool { return strings.HasSuffix(a, ".sh") }); i >= 0 {
		return all[i]
	}
	return ""
}

// mountSource is the file on this machine that s sees at target ("" if none).
func mountSource(s types.ServiceConfig, target string) string {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == target {
			return v.Source
		}
	}
	return ""
}

func envOf(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

func imageTag(image string) string {
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return ""
}

func replicas(s types.ServiceConfig) int {
	if s.Deploy != nil && s.Deploy.Replicas != nil {
		return *s.Deploy.Replicas
	}
	if s.Scale != nil {
		return *s.Scale
	}
	return 1
}
