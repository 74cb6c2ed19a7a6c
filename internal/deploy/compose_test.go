package deploy_test

// What `docker compose config` would say about docker-compose.yml, plus the
// promises the README and the compose file's header make: the stack has its
// services, wired to each other (env, ports, healthchecks, depends_on), the
// Temporal images match go.mod, and the orderflow services run the binary
// the Dockerfile builds. scripts_test.go runs the setup jobs' scripts.
//
// compose-go is the loader `docker compose` itself uses (schema validation,
// interpolation, merge keys, path resolution); the Dockerfile is read with a
// few regexps, which is all our one file needs.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/deploy"
	"github.com/orderflow/orderflow/workflows"
)

// Renaming a service means updating this test, on purpose: scripts and docs
// refer to these names.
const (
	postgres       = "postgres"
	temporal       = "temporal"
	temporalSchema = "temporal-schema"
	temporalSetup  = "temporal-setup"
	temporalUI     = "temporal-ui"
)

// orderflowServices maps each service built from our Dockerfile to the
// subcommand of the orderflow binary it runs.
var orderflowServices = map[string]string{"migrate": "migrate", "worker": "worker", "api": "api"}

// overrides is what an operator exports instead of the dev-only defaults.
var overrides = map[string]string{
	"POSTGRES_PASSWORD":                "s3cret-from-env",
	"TEMPORAL_NAMESPACE":               "orders-prod",
	"ORDERFLOW_TOKEN_SECRET":           "token-secret-from-env-0123456789abcdef",
	"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "webhook-secret-from-env-0123456789abcdef",
	"ORDERFLOW_EMAIL_MODE":             "sendgrid",
	"SENDGRID_API_KEY":                 "SG.from-env",
}

// ---------------------------------------------------------------------------
// docker-compose.yml

func TestComposeServices(t *testing.T) {
	project := loadProject(t, nil)
	for _, name := range append([]string{postgres, temporalSchema, temporal, temporalSetup, temporalUI},
		slices.Collect(maps.Keys(orderflowServices))...) {
		service(t, project, name)
	}
	root := repoRoot(t)
	images := map[string]bool{}
	for name, subcommand := range orderflowServices {
		s := service(t, project, name)
		images[s.Image] = true
		if s.Build == nil || filepath.Join(s.Build.Context, s.Build.Dockerfile) != filepath.Join(root, "Dockerfile") {
			t.Errorf("service %s is not built from the root Dockerfile: %+v", name, s.Build)
		}
		// The image's ENTRYPOINT is the binary (TestDockerfile); the command is its arguments.
		if len(s.Entrypoint) != 0 || !slices.Equal(s.Command, types.ShellCommand{subcommand}) {
			t.Errorf("service %s runs entrypoint %q command %q, want the image's entrypoint with [%s]", name, s.Entrypoint, s.Command, subcommand)
		}
	}
	if len(images) != 1 {
		t.Errorf("migrate, worker and api name different images %v: they must run one build", images)
	}
	// README: `docker compose up --scale worker=3`.
	if w := service(t, project, "worker"); w.ContainerName != "" || len(w.Ports) != 0 {
		t.Errorf("worker has container_name %q / ports %v: --scale worker=3 would clash", w.ContainerName, w.Ports)
	}
}

// Images are pinned, and the Temporal ones are the releases go.mod embeds in
// dev mode (the compose file's header promises this test checks it).
func TestComposeImagesArePinnedToGoMod(t *testing.T) {
	project := loadProject(t, nil)
	tags := map[string]string{}
	for name, s := range project.Services {
		repo, tag := splitImage(t, s.Image)
		if tag == "" || tag == "latest" {
			t.Errorf("service %s: image %q is not pinned to a version tag", name, s.Image)
		}
		tags[name] = repo + ":" + tag
	}
	server, ui := goModRequire(t, "go.temporal.io/server"), goModRequire(t, "github.com/temporalio/ui-server/v2")
	want := map[string]string{
		temporal:       "temporalio/server:" + server,
		temporalSchema: "temporalio/admin-tools:" + server, // its schema files must match the server
		temporalSetup:  "temporalio/admin-tools:" + server,
		temporalUI:     "temporalio/ui:" + ui,
	}
	for name, image := range want {
		if tags[name] != image {
			t.Errorf("service %s runs %s, want %s (go.mod)", name, tags[name], image)
		}
	}
}

// The processes must start with what compose gives them, and read all of it.
func TestComposeEnvironment(t *testing.T) {
	known := orderflowEnvNames(t)
	for _, env := range []map[string]string{nil, overrides} {
		project := loadProject(t, env)
		api := service(t, project, "api").Environment
		for name := range orderflowServices {
			vars := map[string]string{}
			for key, v := range service(t, project, name).Environment {
				if !known(key) {
					t.Errorf("service %s sets %s, which orderflow does not read (typo?)", name, key)
				}
				if v != nil {
					vars[key] = *v
				}
			}
			// One configuration for the three commands: a task queue given to
			// the worker but not the API splits the system in two.
			if !maps.EqualFunc(api, service(t, project, name).Environment, func(a, b *string) bool { return deref(a) == deref(b) }) {
				t.Errorf("environment of %s differs from api's", name)
			}
			// The real configuration loader is the judge (secret lengths, email mode, URLs).
			if _, err := config.Load(config.Production, vars); err != nil {
				t.Errorf("service %s would not start (env %v): %v", name, env, err)
			}
		}
	}
}

// Who talks to whom, with which credentials, with and without overrides.
func TestComposeWiring(t *testing.T) {
	for _, env := range []map[string]string{nil, overrides} {
		project := loadProject(t, env)
		get := func(name, key string) string { return envValue(t, service(t, project, name), key) }
		user, password, db := get(postgres, "POSTGRES_USER"), get(postgres, "POSTGRES_PASSWORD"), get(postgres, "POSTGRES_DB")
		namespace := get(temporalSetup, "TEMPORAL_NAMESPACE")
		want := []struct{ service, key, value string }{
			{temporal, "DB", "postgres12"},
			{temporal, "POSTGRES_SEEDS", postgres},
			{temporal, "DB_PORT", "5432"},
			{temporal, "POSTGRES_USER", user},
			{temporal, "POSTGRES_PWD", password},
			{temporalSchema, "SQL_PLUGIN", "postgres12"},
			{temporalSchema, "SQL_HOST", postgres},
			{temporalSchema, "SQL_PORT", "5432"},
			{temporalSchema, "SQL_USER", user},
			{temporalSchema, "SQL_PASSWORD", password},
			{temporalSetup, "TEMPORAL_ADDRESS", "temporal:7233"},
			{temporalUI, "TEMPORAL_ADDRESS", "temporal:7233"},
			{temporalUI, "TEMPORAL_DEFAULT_NAMESPACE", namespace},
		}
		for name := range orderflowServices {
			want = append(want,
				struct{ service, key, value string }{name, "TEMPORAL_ADDRESS", "temporal:7233"},
				struct{ service, key, value string }{name, "TEMPORAL_NAMESPACE", namespace})
			u, err := url.Parse(get(name, "DATABASE_URL"))
			if err != nil {
				t.Fatalf("service %s: DATABASE_URL: %v", name, err)
			}
			if pw, _ := u.User.Password(); u.Scheme != "postgres" || u.Host != "postgres:5432" ||
				u.User.Username() != user || pw != password || u.Path != "/"+db {
				t.Errorf("service %s: DATABASE_URL %s does not point at the postgres service as %s/%s", name, u.Redacted(), user, db)
			}
		}
		for _, w := range want {
			if got := get(w.service, w.key); got != w.value {
				t.Errorf("service %s: %s is %q, want %q (env %v)", w.service, w.key, got, w.value, env)
			}
		}
		if env == nil {
			// Defaults need no secret and say they are for a laptop only.
			for _, secret := range []string{get(postgres, "POSTGRES_PASSWORD"), get("api", "ORDERFLOW_TOKEN_SECRET"), get("api", "ORDERFLOW_PAYMENT_WEBHOOK_SECRET")} {
				if !strings.Contains(secret, "dev-only") {
					t.Errorf("default secret %q does not say dev-only", secret)
				}
			}
			if get("api", "ORDERFLOW_EMAIL_MODE") != "capture" || service(t, project, "api").Environment["SENDGRID_API_KEY"] != nil {
				t.Error("by default email must be captured, with no SendGrid key")
			}
			continue
		}
		for key, value := range env {
			name := "api"
			if key == "POSTGRES_PASSWORD" {
				name = postgres
			} else if key == "TEMPORAL_NAMESPACE" {
				name = temporalSetup
			}
			if got := get(name, key); got != value {
				t.Errorf("service %s ignores %s from the environment: got %q", name, key, got)
			}
		}
	}
}

// The startup order of the compose file's header, with conditions compose can
// meet (one it cannot hangs `docker compose up`).
func TestComposeStartupOrder(t *testing.T) {
	const healthy, completed = types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully
	want := map[string]map[string]string{
		postgres:       {},
		temporalSchema: {postgres: healthy},
		temporal:       {postgres: healthy, temporalSchema: completed},
		temporalSetup:  {temporal: healthy},
		temporalUI:     {temporal: healthy},
		"migrate":      {postgres: healthy},
		"worker":       {"migrate": completed, temporalSetup: completed},
		"api":          {"migrate": completed, temporalSetup: completed},
	}
	project := loadProject(t, nil)
	for name, deps := range want {
		got := map[string]string{}
		for dep, d := range service(t, project, name).DependsOn {
			got[dep] = d.Condition
			target := service(t, project, dep)
			if d.Condition == healthy && (target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0) {
				t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
			if d.Condition == completed && target.Restart != "" && target.Restart != types.RestartPolicyNo {
				t.Errorf("%s waits for %s to complete, but %s restarts (%s)", name, dep, dep, target.Restart)
			}
		}
		if !maps.Equal(got, deps) {
			t.Errorf("%s depends on %v, want %v", name, got, deps)
		}
	}
}

// README: the API on localhost:8080 and 8081 (one port per replica), the
// Web UI on localhost:8233 (bound to 127.0.0.1: it has no login);
// healthchecks probe what the services serve.
func TestComposePortsAndHealthchecks(t *testing.T) {
	project := loadProject(t, nil)
	var got []string
	for name, s := range project.Services {
		for _, p := range s.Ports {
			got = append(got, fmt.Sprintf("%s %s:%s->%d", name, p.HostIP, p.Published, p.Target))
		}
	}
	slices.Sort(got)
	// The API listens on ORDERFLOW_API_ADDR, the UI image on its default 8080.
	if want := []string{"api :8080-8081->8080", "temporal-ui 127.0.0.1:8233->8080"}; !slices.Equal(got, want) ||
		envValue(t, service(t, project, "api"), "ORDERFLOW_API_ADDR") != ":8080" {
		t.Errorf("published ports are %q, want %q with the API on :8080", got, want)
	}
	probes := map[string]*regexp.Regexp{
		postgres: regexp.MustCompile(`^CMD pg_isready .*-h 127\.0\.0\.1`),
		temporal: regexp.MustCompile(`^CMD nc -z localhost 7233$`),
		// busybox wget: the runtime stage is alpine (TestDockerfile).
		"api": regexp.MustCompile(`^CMD wget .*http://127\.0\.0\.1:8080/(readyz|healthz)$`),
	}
	for name, re := range probes {
		hc := service(t, project, name).HealthCheck
		if hc == nil || !re.MatchString(strings.Join(hc.Test, " ")) {
			t.Errorf("service %s: healthcheck %+v does not match %s", name, hc, re)
		}
	}
	if !slices.ContainsFunc(service(t, project, postgres).Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data"
	}) {
		t.Error("postgres keeps its data in no named volume")
	}
}

// `make cluster` runs what the compose file runs (deploy.PlanCluster reads
// it): two workers and two API replicas, each replica a port of its own, the
// Temporal version of go.mod, every setting of the server and of orderflow's
// processes as the compose file gives them.
func TestClusterRunsWhatComposeRuns(t *testing.T) {
	project := loadProject(t, nil)
	plan, err := deploy.PlanCluster(project)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Workers != 2 || plan.APIs != 2 {
		t.Errorf("the compose file runs %d workers and %d API replicas, want 2 and 2", plan.Workers, plan.APIs)
	}
	if ports := service(t, project, "api").Ports; len(ports) != 1 || ports[0].Published != "8080-8081" {
		t.Errorf("API replicas publish %+v, want one host port each (8080-8081)", ports)
	}
	if server := goModRequire(t, "go.temporal.io/server"); plan.TemporalVersion != server {
		t.Errorf("the cluster's server is %s, go.mod's %s (make cluster builds go.mod's)", plan.TemporalVersion, server)
	}
	for key, want := range map[string]string{"DB": "postgres12", "NUM_HISTORY_SHARDS": "16"} {
		if got := plan.TemporalEnv[key]; got != want {
			t.Errorf("the server's %s is %q, want %q", key, got, want)
		}
	}
	if got := plan.OrderflowEnv; !maps.Equal(got, envOf(service(t, project, "api"))) {
		t.Errorf("the cluster's orderflow environment %v is not the compose file's", got)
	}
	if filepath.Base(plan.DynamicConfig) != "dynamicconfig.yaml" || filepath.Base(plan.SchemaScript) != "setup-schema.sh" {
		t.Errorf("the cluster reads %s and runs %s", plan.DynamicConfig, plan.SchemaScript)
	}
	if got, want := plan.SearchAttributes, searchAttributeArgs(t, project); !slices.Equal(got, want) {
		t.Errorf("the cluster registers %v, the setup job %v", got, want)
	}
}

func envOf(s types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		if v != nil { // passed through from the shell when set
			out[k] = *v
		}
	}
	return out
}

// Every file compose mounts exists and is what its service reads.
func TestComposeMountedFiles(t *testing.T) {
	project := loadProject(t, nil)
	mounts := map[string]string{} // target -> source
	for name, s := range project.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %v", name, err)
				}
				mounts[name+":"+v.Target] = v.Source
			}
		}
	}
	scripts := filepath.Join(repoRoot(t), "deploy", "temporal")
	want := map[string]string{
		temporalSchema + ":" + deploy.ScriptOf(service(t, project, temporalSchema)):             filepath.Join(scripts, "setup-schema.sh"),
		temporalSetup + ":" + deploy.ScriptOf(service(t, project, temporalSetup)):               filepath.Join(scripts, "setup-namespace.sh"),
		temporal + ":" + envValue(t, service(t, project, temporal), "DYNAMIC_CONFIG_FILE_PATH"): filepath.Join(scripts, "dynamicconfig.yaml"),
	}
	if !maps.Equal(mounts, want) {
		t.Errorf("bind mounts are %v, want %v", mounts, want)
	}
	// The server refuses to start on a dynamic config file it cannot read.
	data, err := os.ReadFile(filepath.Join(scripts, "dynamicconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	if err := yaml.Unmarshal(data, &settings); err != nil {
		t.Fatalf("dynamicconfig.yaml: %v", err)
	}
	for key, values := range settings {
		if len(values) == 0 || values[0].Value == nil {
			t.Errorf("dynamic config %s has no value", key)
		}
	}
	if v := settings["system.forceSearchAttributesCacheRefreshOnRead"]; len(v) == 0 || v[0].Value != true {
		t.Error("search attributes registered by temporal-setup would not be usable at once")
	}
}

// temporal-setup registers exactly the search attributes the workflows set.
func TestComposeRegistersOurSearchAttributes(t *testing.T) {
	got := map[string]string{}
	for _, arg := range searchAttributeArgs(t, loadProject(t, nil)) {
		name, typ, _ := strings.Cut(arg, "=")
		got[name] = typ
	}
	want := map[string]string{}
	for name, typ := range workflows.SearchAttributes() {
		want[name] = typ.String()
	}
	if !maps.Equal(got, want) {
		t.Errorf("temporal-setup registers %v, but the workflows set %v", got, want)
	}
	// The ones the README's everyday filters and docs/webui.md use, which must never drop out.
	for name, typ := range map[string]string{"OrderStatus": "Keyword", "OrderFlow": "Keyword", "OrderOwner": "Keyword",
		"SupplierId": "Keyword", "NeedsAttention": "Bool", "Overdue": "Bool", "NextDeadline": "Datetime"} {
		if want[name] != typ {
			t.Errorf("workflows.SearchAttributes() has %s as %q, the docs want %s", name, want[name], typ)
		}
	}
}

// ---------------------------------------------------------------------------
// Dockerfile and .dockerignore: the image compose's orderflow services run

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	match := func(pattern string) []string {
		m := regexp.MustCompile(`(?m)` + pattern).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("Dockerfile has no line matching %s", pattern)
		}
		return m
	}

	// Every FROM that is not an earlier stage is a pinned image.
	var images []string
	stages := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?`).FindAllStringSubmatch(text, -1) {
		if !stages[m[1]] {
			images = append(images, m[1])
			if _, tag := splitImage(t, m[1]); tag == "" || tag == "latest" {
				t.Errorf("FROM %s is not pinned to a version tag", m[1])
			}
		}
		stages[m[2]] = true
	}
	if len(images) != 2 {
		t.Fatalf("Dockerfile bases %q, want a golang build stage and an alpine runtime", images)
	}
	// The builder's Go is not older than go.mod's go line ("1.26" floats to the newest 1.26.x).
	if repo, tag := splitImage(t, images[0]); repo != "golang" {
		t.Errorf("the build stage is based on %s, want golang", images[0])
	} else if goLine, builder := "v"+goModFile(t).Go.Version, "v"+regexp.MustCompile(`^[0-9.]*[0-9]`).FindString(tag); !semver.IsValid(builder) ||
		semver.Compare(builder, goLine) < 0 && semver.Compare(builder, semver.MajorMinor(goLine)) != 0 {
		t.Errorf("builder golang:%s is older than go.mod's go %s", tag, goLine)
	}
	// busybox wget serves compose's API healthcheck.
	if repo, _ := splitImage(t, images[1]); repo != "alpine" {
		t.Errorf("the runtime stage is based on %s, want alpine", images[1])
	}

	// A static production build of the binary...
	build := match(`^RUN .*\bgo build (.*)$`)[1]
	for _, want := range []string{"-tags nodev ", " ./cmd/orderflow"} {
		if !strings.Contains(build+" ", want) {
			t.Errorf("go build %s lacks %q", build, strings.TrimSpace(want))
		}
	}
	if env := match(`^ENV (.*CGO_ENABLED.*)$`)[1]; !strings.Contains(env+" ", "CGO_ENABLED=0 ") || !strings.Contains(env+" ", "GOTOOLCHAIN=local ") {
		t.Errorf("ENV %s: want CGO_ENABLED=0 and GOTOOLCHAIN=local (no silent toolchain download)", env)
	}
	output := match(`^RUN .*\bgo build .*-o (\S+)`)[1]
	// ...copied into the runtime stage as its exec-form entrypoint, so
	// compose's command becomes its arguments.
	var entrypoint []string
	if err := json.Unmarshal([]byte(match(`^ENTRYPOINT (.*)$`)[1]), &entrypoint); err != nil || len(entrypoint) != 1 {
		t.Fatalf("ENTRYPOINT must be exec form (JSON) naming the binary: %v %q", err, entrypoint)
	}
	if copied := match(`^COPY --from=\S+ (\S+) (\S+)$`); copied[1] != output || copied[2] != entrypoint[0] {
		t.Errorf("the entrypoint %s is not the binary go build wrote to %s (COPY %s %s)", entrypoint[0], output, copied[1], copied[2])
	}
	if user := match(`^USER (\S+)`)[1]; regexp.MustCompile(`^(root|0)(:|$)`).MatchString(user) {
		t.Errorf("the image runs as %s, want a non-root user", user)
	}
	if expose := match(`^EXPOSE (.*)$`)[1]; !slices.Contains(strings.Fields(expose), "8080") {
		t.Errorf("the image exposes %s, want the API's 8080", expose)
	}
}

func TestDockerignoreKeepsTheSources(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		pattern := strings.TrimPrefix(strings.TrimSpace(line), "/")
		if pattern == "" || strings.HasPrefix(pattern, "#") || strings.HasPrefix(pattern, "!") {
			continue
		}
		for _, name := range []string{"go.mod", "go.sum", "cmd", "db", "internal", "workflows", "activities", "api", "worker"} {
			if ok, _ := filepath.Match(pattern, name); ok {
				t.Errorf(".dockerignore pattern %q drops %s from the build", pattern, name)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// helpers

// loadProject is `docker compose config` with only the given environment.
func loadProject(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	project, err := deploy.LoadCompose(ctx, filepath.Join(repoRoot(t), "docker-compose.yml"), env)
	if err != nil {
		t.Fatalf("env %v: %v", env, err)
	}
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("no service %q in docker-compose.yml", name)
	}
	return s
}

func envValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("service %s does not set %s", s.Name, key)
	}
	return *v
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

// orderflowEnvNames tells whether a production process of orderflow reads a
// variable: internal/config's settings (dev-mode ones aside) and those of
// the Temporal SDK's contrib/envconfig, which configures its client.
func orderflowEnvNames(t *testing.T) func(string) bool {
	t.Helper()
	names := map[string]bool{}
	for _, name := range strings.Fields(`TEMPORAL_ADDRESS TEMPORAL_NAMESPACE TEMPORAL_API_KEY
		TEMPORAL_CLIENT_AUTHORITY TEMPORAL_CODEC_AUTH TEMPORAL_CODEC_ENDPOINT TEMPORAL_CONFIG_FILE
		TEMPORAL_PROFILE TEMPORAL_TLS TEMPORAL_TLS_CLIENT_CERT_DATA TEMPORAL_TLS_CLIENT_CERT_PATH
		TEMPORAL_TLS_CLIENT_KEY_DATA TEMPORAL_TLS_CLIENT_KEY_PATH TEMPORAL_TLS_DISABLE_HOST_VERIFICATION
		TEMPORAL_TLS_SERVER_CA_CERT_DATA TEMPORAL_TLS_SERVER_CA_CERT_PATH TEMPORAL_TLS_SERVER_NAME`) {
		names[name] = true
	}
	var collect func(reflect.Type)
	collect = func(typ reflect.Type) {
		for i := range typ.NumField() {
			field := typ.Field(i)
			if field.Type == reflect.TypeFor[config.Dev]() {
				continue // `orderflow dev` only: meaningless in a deployment
			}
			if name, _, _ := strings.Cut(field.Tag.Get("env"), ","); name != "" {
				names[name] = true
			} else if field.Type.Kind() == reflect.Struct {
				collect(field.Type)
			}
		}
	}
	collect(reflect.TypeFor[config.Config]())
	for _, name := range []string{"DATABASE_URL", "ORDERFLOW_TOKEN_SECRET", "ORDERFLOW_EMAIL_MODE", "SENDGRID_API_KEY"} {
		if !names[name] {
			t.Fatalf("internal/config no longer reads %s; this test's idea of the settings is out of date", name)
		}
	}
	return func(key string) bool {
		return names[key] || strings.HasPrefix(key, "TEMPORAL_GRPC_META_") && len(key) > len("TEMPORAL_GRPC_META_")
	}
}

// splitImage splits an image reference into its familiar name and tag.
func splitImage(t *testing.T, image string) (repo, tag string) {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		t.Fatalf("image %q: %v", image, err)
	}
	if tagged, ok := named.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	return reference.FamiliarName(named), tag
}

// searchAttributeArgs are the NAME=Type arguments temporal-setup passes.
func searchAttributeArgs(t *testing.T, p *types.Project) []string {
	t.Helper()
	s := service(t, p, temporalSetup)
	all := append(slices.Clone(s.Entrypoint), s.Command...)
	i := slices.IndexFunc(all, func(a string) bool { return strings.HasSuffix(a, "setup-namespace.sh") })
	if i < 0 {
		t.Fatalf("temporal-setup does not run setup-namespace.sh: %q", all)
	}
	return all[i+1:]
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func goModFile(t *testing.T) *modfile.File {
	t.Helper()
	path := filepath.Join(repoRoot(t), "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// goModRequire is the version go.mod requires of module, without the v.
func goModRequire(t *testing.T, module string) string {
	t.Helper()
	for _, r := range goModFile(t).Require {
		if r.Mod.Path == module {
			return strings.TrimPrefix(r.Mod.Version, "v")
		}
	}
	t.Fatalf("go.mod does not require %s", module)
	return ""
}
