package deploy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/workflows"
)

// What the stack is made of. Renaming a service means updating this test, on
// purpose: scripts and docs refer to these names.
const (
	postgresService       = "postgres"
	temporalService       = "temporal"
	temporalSchemaService = "temporal-schema"
	temporalSetupService  = "temporal-setup"
	temporalUIService     = "temporal-ui"
)

// orderflowSubcommands maps each service built from our Dockerfile to the
// subcommand of the orderflow binary it must run.
var orderflowSubcommands = map[string]string{
	"migrate": "migrate",
	"worker":  "worker",
	"api":     "api",
}

// wantSearchAttributes are the custom search attributes the spec names
// (design.md), with their Temporal types. workflows.SearchAttributes() is
// the full list; these must never drop out of it.
var wantSearchAttributes = map[string]string{
	"OrderStatus":    "Keyword",
	"OrderFlow":      "Keyword",
	"OrderOwner":     "Keyword",
	"SupplierId":     "Keyword",
	"NeedsAttention": "Bool",
	"Overdue":        "Bool",
	"NextDeadline":   "Datetime",
}

// temporalClientEnv are the variables of the Temporal SDK's contrib/envconfig,
// which configures orderflow's Temporal client.
var temporalClientEnv = []string{
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY",
	"TEMPORAL_CLIENT_AUTHORITY", "TEMPORAL_CODEC_AUTH", "TEMPORAL_CODEC_ENDPOINT",
	"TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE", "TEMPORAL_TLS",
	"TEMPORAL_TLS_CLIENT_CERT_DATA", "TEMPORAL_TLS_CLIENT_CERT_PATH",
	"TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_TLS_CLIENT_KEY_PATH",
	"TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
	"TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_TLS_SERVER_NAME",
}

// temporalClientEnvPrefixes are envconfig's families of variables.
var temporalClientEnvPrefixes = []string{"TEMPORAL_GRPC_META_"}

// secretVars must never default to anything but an obvious placeholder.
var secretVars = []string{"ORDERFLOW_TOKEN_SECRET", "ORDERFLOW_PAYMENT_WEBHOOK_SECRET"}

const devOnlyMarker = "dev-only"

// ---------------------------------------------------------------------------
// docker-compose.yml

func TestComposeHasEveryService(t *testing.T) {
	project := loadProject(t, nil)
	want := []string{postgresService, temporalSchemaService, temporalService,
		temporalSetupService, temporalUIService}
	for name := range orderflowSubcommands {
		want = append(want, name)
	}
	for _, name := range want {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("service %q is missing; services are %v", name, project.ServiceNames())
		}
	}
}

func TestComposeImagesArePinned(t *testing.T) {
	project := loadProject(t, nil)
	for name, s := range project.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image name", name)
			continue
		}
		repo, tag := splitImage(s.Image)
		if tag == "" || tag == "latest" {
			t.Errorf("service %s: image %q is not pinned to a version tag", name, s.Image)
		}
		if repo == "" {
			t.Errorf("service %s: image %q has no repository", name, s.Image)
		}
	}
}

// The admin-tools image carries the schema files the server expects, so both
// must be one release; and dev mode embeds the server and UI from go.mod, so
// compose runs the same ones.
func TestComposeTemporalVersionsAgree(t *testing.T) {
	project := loadProject(t, nil)
	_, serverTag := splitImage(service(t, project, temporalService).Image)
	for _, name := range []string{temporalSchemaService, temporalSetupService} {
		image := service(t, project, name).Image
		repo, tag := splitImage(image)
		if repo != "temporalio/admin-tools" {
			t.Errorf("service %s runs %q, want temporalio/admin-tools", name, image)
		}
		if tag != serverTag {
			t.Errorf("service %s runs admin-tools %s but the server is %s: the schema must match the server", name, tag, serverTag)
		}
	}
	if want := strings.TrimPrefix(goModRequire(t, "go.temporal.io/server"), "v"); serverTag != want {
		t.Errorf("temporalio/server:%s, but go.mod has go.temporal.io/server v%s (dev mode): keep them equal", serverTag, want)
	}
	_, uiTag := splitImage(service(t, project, temporalUIService).Image)
	if want := strings.TrimPrefix(goModRequire(t, "github.com/temporalio/ui-server/v2"), "v"); uiTag != want {
		t.Errorf("temporalio/ui:%s, but go.mod has ui-server v%s (dev mode): keep them equal", uiTag, want)
	}
}

func TestComposeOrderflowServicesBuildOurImage(t *testing.T) {
	project := loadProject(t, nil)
	root := repoRoot(t)
	var images []string
	for name, subcommand := range orderflowSubcommands {
		s := service(t, project, name)
		images = append(images, s.Image)
		if s.Build == nil {
			t.Errorf("service %s is not built from the repository", name)
			continue
		}
		if s.Build.Context != root {
			t.Errorf("service %s builds from %q, want the repository root %q", name, s.Build.Context, root)
		}
		if dockerfile := resolve(s.Build.Context, s.Build.Dockerfile); dockerfile != filepath.Join(root, "Dockerfile") {
			t.Errorf("service %s builds %q, want the root Dockerfile", name, dockerfile)
		}
		// The image's ENTRYPOINT is the binary (TestDockerfile checks it);
		// the command is its arguments.
		if len(s.Entrypoint) != 0 {
			t.Errorf("service %s overrides the entrypoint with %q", name, s.Entrypoint)
		}
		if got := []string(s.Command); !slices.Equal(got, []string{subcommand}) {
			t.Errorf("service %s runs %q, want [%s]", name, got, subcommand)
		}
	}
	slices.Sort(images)
	if images = slices.Compact(images); len(images) != 1 {
		t.Errorf("migrate, worker and api name different images %v: they must run one build", images)
	}
}

func TestComposeWorkerScales(t *testing.T) {
	worker := service(t, loadProject(t, nil), "worker")
	if worker.ContainerName != "" {
		t.Errorf("worker has container_name %q: --scale worker=3 would clash", worker.ContainerName)
	}
	if len(worker.Ports) != 0 {
		t.Errorf("worker publishes ports %v: --scale worker=3 would clash", worker.Ports)
	}
}

func TestComposeOrderflowEnvironmentNamesAreDocumented(t *testing.T) {
	project := loadProject(t, nil)
	known := orderflowEnvNames(t)
	for name := range orderflowSubcommands {
		for key := range service(t, project, name).Environment {
			if !known(key) {
				t.Errorf("service %s sets %s, which orderflow does not read (typo?)", name, key)
			}
		}
	}
}

// The processes must start with what compose gives them: the real
// configuration loader is the judge (secret lengths, email mode, URLs).
func TestComposeEnvironmentPassesConfigValidation(t *testing.T) {
	environments := []map[string]string{
		nil,
		{"ORDERFLOW_EMAIL_MODE": "sendgrid", "SENDGRID_API_KEY": "SG.from-env", "POSTGRES_PASSWORD": "s3cret"},
	}
	for _, env := range environments {
		project := loadProject(t, env)
		for name := range orderflowSubcommands {
			vars := map[string]string{}
			for k, v := range service(t, project, name).Environment {
				if v != nil {
					vars[k] = *v
				}
			}
			if _, err := config.Load(config.Production, vars); err != nil {
				t.Errorf("service %s would not start (env %v): %v", name, env, err)
			}
		}
	}
}

// One configuration for the three commands: a setting given to the worker
// but not the API (say, the task queue) splits the system in two.
func TestComposeOrderflowServicesShareOneEnvironment(t *testing.T) {
	project := loadProject(t, nil)
	api := service(t, project, "api").Environment
	for name := range orderflowSubcommands {
		env := service(t, project, name).Environment
		if diff := envDiff(api, env); diff != "" {
			t.Errorf("environment of %s differs from api's: %s", name, diff)
		}
	}
}

func TestComposeDatabaseURLPointsAtPostgresService(t *testing.T) {
	for _, env := range []map[string]string{nil, {"POSTGRES_PASSWORD": "s3cret-from-env"}} {
		project := loadProject(t, env)
		pg := service(t, project, postgresService)
		if repo, _ := splitImage(pg.Image); repo != "postgres" {
			t.Fatalf("service %s runs %q, want the official postgres image", postgresService, pg.Image)
		}
		for name := range orderflowSubcommands {
			raw := envValue(t, service(t, project, name), "DATABASE_URL")
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("service %s: DATABASE_URL %q: %v", name, raw, err)
			}
			password, _ := u.User.Password()
			if want, set := env["POSTGRES_PASSWORD"]; set && password != want {
				t.Errorf("service %s: DATABASE_URL ignores POSTGRES_PASSWORD from the environment", name)
			}
			checks := []struct{ what, got, want string }{
				{"scheme", strings.TrimSuffix(u.Scheme, "ql"), "postgres"},
				{"host", u.Hostname(), postgresService},
				{"port", u.Port(), "5432"},
				{"database", strings.TrimPrefix(u.Path, "/"), envValue(t, pg, "POSTGRES_DB")},
				{"user", u.User.Username(), envValue(t, pg, "POSTGRES_USER")},
				{"password", password, envValue(t, pg, "POSTGRES_PASSWORD")},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("service %s: DATABASE_URL %s is %q, want %q (env %v)", name, c.what, c.got, c.want, env)
				}
			}
		}
	}
}

func TestComposeTemporalAddressPointsAtServerGRPCPort(t *testing.T) {
	project := loadProject(t, nil)
	server := service(t, project, temporalService)
	if repo, _ := splitImage(server.Image); repo != "temporalio/server" {
		t.Fatalf("service %s runs %q, want temporalio/server", temporalService, server.Image)
	}
	grpcPort := "7233" // the server's config template default
	if port, ok := server.Environment["FRONTEND_GRPC_PORT"]; ok && port != nil {
		grpcPort = *port
	}
	want := net.JoinHostPort(temporalService, grpcPort)
	clients := []string{temporalSetupService, temporalUIService}
	for name := range orderflowSubcommands {
		clients = append(clients, name)
	}
	for _, name := range clients {
		if got := envValue(t, service(t, project, name), "TEMPORAL_ADDRESS"); got != want {
			t.Errorf("service %s: TEMPORAL_ADDRESS is %q, want %q", name, got, want)
		}
	}
}

// The Temporal server must persist to the stack's Postgres, with the schema
// job writing the same databases the server reads.
func TestComposeTemporalPersistsToPostgresService(t *testing.T) {
	project := loadProject(t, map[string]string{"POSTGRES_PASSWORD": "s3cret-from-env"})
	pg := service(t, project, postgresService)
	user, password := envValue(t, pg, "POSTGRES_USER"), envValue(t, pg, "POSTGRES_PASSWORD")
	if password != "s3cret-from-env" {
		t.Errorf("postgres ignores POSTGRES_PASSWORD from the environment: got %q", password)
	}
	server := service(t, project, temporalService)
	schema := service(t, project, temporalSchemaService)
	checks := []struct{ what, got, want string }{
		{"temporal DB", envValue(t, server, "DB"), "postgres12"},
		{"temporal POSTGRES_SEEDS", envValue(t, server, "POSTGRES_SEEDS"), postgresService},
		{"temporal DB_PORT", envValue(t, server, "DB_PORT"), "5432"},
		{"temporal POSTGRES_USER", envValue(t, server, "POSTGRES_USER"), user},
		{"temporal POSTGRES_PWD", envValue(t, server, "POSTGRES_PWD"), password},
		{"temporal-schema SQL_PLUGIN", envValue(t, schema, "SQL_PLUGIN"), "postgres12"},
		{"temporal-schema SQL_HOST", envValue(t, schema, "SQL_HOST"), postgresService},
		{"temporal-schema SQL_PORT", envValue(t, schema, "SQL_PORT"), "5432"},
		{"temporal-schema SQL_USER", envValue(t, schema, "SQL_USER"), user},
		{"temporal-schema SQL_PASSWORD", envValue(t, schema, "SQL_PASSWORD"), password},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s is %q, want %q", c.what, c.got, c.want)
		}
	}
	for _, key := range []string{"DBNAME", "VISIBILITY_DBNAME"} {
		if server.Environment[key] != nil || schema.Environment[key] != nil {
			if envValue(t, server, key) != envValue(t, schema, key) {
				t.Errorf("%s differs between %s and %s", key, temporalService, temporalSchemaService)
			}
		}
	}
}

func TestComposeNamespaceIsTheSameEverywhere(t *testing.T) {
	for _, env := range []map[string]string{nil, {"TEMPORAL_NAMESPACE": "orders-prod"}} {
		project := loadProject(t, env)
		want := envValue(t, service(t, project, temporalSetupService), "TEMPORAL_NAMESPACE")
		if env != nil && want != env["TEMPORAL_NAMESPACE"] {
			t.Errorf("temporal-setup ignores TEMPORAL_NAMESPACE from the environment: got %q", want)
		}
		for name := range orderflowSubcommands {
			if got := envValue(t, service(t, project, name), "TEMPORAL_NAMESPACE"); got != want {
				t.Errorf("service %s uses namespace %q, temporal-setup prepares %q", name, got, want)
			}
		}
		if got := envValue(t, service(t, project, temporalUIService), "TEMPORAL_DEFAULT_NAMESPACE"); got != want {
			t.Errorf("the Web UI opens namespace %q, temporal-setup prepares %q", got, want)
		}
	}
}

func TestComposeDefaultsNeedNoSecretsAndSayDevOnly(t *testing.T) {
	project := loadProject(t, nil)
	api := service(t, project, "api")
	if got := envValue(t, api, "ORDERFLOW_EMAIL_MODE"); got != "capture" {
		t.Errorf("default ORDERFLOW_EMAIL_MODE is %q, want capture (no SendGrid key needed)", got)
	}
	if key := api.Environment["SENDGRID_API_KEY"]; key != nil {
		t.Errorf("SENDGRID_API_KEY defaults to %q; it must come from the environment only", *key)
	}
	for _, key := range secretVars {
		if got := envValue(t, api, key); !strings.Contains(got, devOnlyMarker) {
			t.Errorf("default %s is %q: a default secret must say %q", key, got, devOnlyMarker)
		}
	}
	if got := envValue(t, service(t, project, postgresService), "POSTGRES_PASSWORD"); !strings.Contains(got, devOnlyMarker) {
		t.Errorf("default POSTGRES_PASSWORD is %q: a default secret must say %q", got, devOnlyMarker)
	}
}

func TestComposeTakesSecretsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"ORDERFLOW_TOKEN_SECRET":           "token-secret-from-env",
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "webhook-secret-from-env",
		"ORDERFLOW_EMAIL_MODE":             "sendgrid",
		"SENDGRID_API_KEY":                 "SG.from-env",
	}
	project := loadProject(t, env)
	for name := range orderflowSubcommands {
		for key, want := range env {
			if got := envValue(t, service(t, project, name), key); got != want {
				t.Errorf("service %s: %s is %q, want %q from the environment", name, key, got, want)
			}
		}
	}
}

func TestComposeDependsOn(t *testing.T) {
	const (
		healthy   = types.ServiceConditionHealthy
		completed = types.ServiceConditionCompletedSuccessfully
	)
	want := map[string]map[string]string{
		temporalSchemaService: {postgresService: healthy},
		temporalService:       {postgresService: healthy, temporalSchemaService: completed},
		temporalSetupService:  {temporalService: healthy},
		temporalUIService:     {temporalService: healthy},
		"migrate":             {postgresService: healthy},
		"worker":              {"migrate": completed, temporalSetupService: completed},
		"api":                 {"migrate": completed, temporalSetupService: completed},
	}
	project := loadProject(t, nil)
	for name, deps := range want {
		got := service(t, project, name).DependsOn
		for dep, condition := range deps {
			if got[dep].Condition != condition {
				t.Errorf("%s depends on %s with condition %q, want %q", name, dep, got[dep].Condition, condition)
			}
		}
	}
}

// A condition compose can never meet hangs `docker compose up`.
func TestComposeDependencyConditionsCanBeMet(t *testing.T) {
	project := loadProject(t, nil)
	for name, s := range project.Services {
		for dep, d := range s.DependsOn {
			target := service(t, project, dep)
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if target.Restart != "" && target.Restart != types.RestartPolicyNo {
					t.Errorf("%s waits for %s to complete, but %s restarts (%s)", name, dep, dep, target.Restart)
				}
			}
		}
	}
}

func TestComposePostgresHealthcheckUsesPgIsready(t *testing.T) {
	pg := service(t, loadProject(t, nil), postgresService)
	if pg.HealthCheck == nil || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck is %+v, want pg_isready", pg.HealthCheck)
	}
	if !slices.ContainsFunc(pg.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data"
	}) {
		t.Errorf("postgres keeps its data in no named volume: %v", pg.Volumes)
	}
}

func TestComposePublishedPorts(t *testing.T) {
	project := loadProject(t, nil)
	type published struct {
		service, hostPort string
		target            uint32
	}
	var got []published
	for name, s := range project.Services {
		for _, p := range s.Ports {
			got = append(got, published{name, p.Published, p.Target})
		}
	}
	apiPort := portOf(t, envValue(t, service(t, project, "api"), "ORDERFLOW_API_ADDR"))
	uiPort := uint32(8080) // temporalio/ui's default TEMPORAL_UI_PORT
	if p, ok := service(t, project, temporalUIService).Environment["TEMPORAL_UI_PORT"]; ok && p != nil {
		uiPort = portOf(t, ":"+*p)
	}
	want := []published{{"api", "8080", apiPort}, {temporalUIService, "8233", uiPort}}
	sortPublished := func(a, b published) int { return strings.Compare(a.service, b.service) }
	slices.SortFunc(got, sortPublished)
	slices.SortFunc(want, sortPublished)
	if !slices.Equal(got, want) {
		t.Errorf("published ports are %+v, want %+v", got, want)
	}
}

func TestComposeAPIHealthcheckProbesTheAPI(t *testing.T) {
	project := loadProject(t, nil)
	api := service(t, project, "api")
	if api.HealthCheck == nil {
		t.Fatal("api has no healthcheck")
	}
	test := strings.Join(api.HealthCheck.Test, " ")
	port := strconv.Itoa(int(portOf(t, envValue(t, api, "ORDERFLOW_API_ADDR"))))
	if !strings.Contains(test, ":"+port+"/healthz") && !strings.Contains(test, ":"+port+"/readyz") {
		t.Errorf("api healthcheck %q probes neither /healthz nor /readyz on port %s", test, port)
	}
	// The probe runs inside our image, which must have the tool.
	if strings.Contains(test, "wget") {
		if base := finalStageBase(t, parseDockerfile(t)); !strings.HasPrefix(base, "alpine:") && !strings.HasPrefix(base, "busybox:") {
			t.Errorf("api healthcheck uses wget but the image is based on %q, which has none", base)
		}
	}
}

// Every file compose mounts must exist, and the one-shot jobs must run the
// script they mount.
func TestComposeMountedFilesExist(t *testing.T) {
	project := loadProject(t, nil)
	mounted := map[string][]string{} // service -> mount targets
	for name, s := range project.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", name, v.Source, err)
			}
			mounted[name] = append(mounted[name], v.Target)
		}
	}
	for _, name := range []string{temporalSchemaService, temporalSetupService} {
		s := service(t, project, name)
		script := scriptOf(s)
		if !slices.Contains(mounted[name], script) {
			t.Errorf("service %s runs %q, which it does not mount (mounts %v)", name, script, mounted[name])
		}
	}
	server := service(t, project, temporalService)
	if path := envValue(t, server, "DYNAMIC_CONFIG_FILE_PATH"); !slices.Contains(mounted[temporalService], path) {
		t.Errorf("temporal reads dynamic config from %q, which is not mounted (mounts %v)", path, mounted[temporalService])
	}
}

func TestComposeSearchAttributeJobRegistersExactlyOurs(t *testing.T) {
	got, err := parseSearchAttributes(searchAttributeArgs(t, loadProject(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := workflowSearchAttributes()
	if !mapsEqual(got, want) {
		t.Errorf("temporal-setup registers %v, but the workflows set %v", got, want)
	}
	for name, typ := range wantSearchAttributes {
		if want[name] != typ {
			t.Errorf("workflows.SearchAttributes() has %s as %q, the spec wants %s", name, want[name], typ)
		}
	}
}

// The server refuses to start on a dynamic config file it cannot read.
func TestTemporalDynamicConfigIsWellFormed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "temporal", "dynamicconfig.yaml"))
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
	if len(settings) == 0 {
		t.Fatal("dynamicconfig.yaml sets nothing")
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

// ---------------------------------------------------------------------------
// deploy/temporal scripts, run against fake Temporal tools

func TestSetupNamespaceScriptRegistersEveryAttribute(t *testing.T) {
	project := loadProject(t, nil)
	setup := service(t, project, temporalSetupService)
	args := searchAttributeArgs(t, project)
	fake := newFakeTemporal(t)
	fake.failHealthTimes = 2 // the server is still starting
	fake.existing = "OrderFlow"

	out, err := fake.runSetupNamespace(t, setup, args...)
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	calls := fake.calls(t)
	if n := countPrefix(calls, "operator cluster health"); n != 3 {
		t.Errorf("health checked %d times, want 3 (two failures, then success)", n)
	}
	namespace := envValue(t, setup, "TEMPORAL_NAMESPACE")
	created := filterPrefix(calls, "operator namespace create")
	if len(created) != 1 || flagValue(created[0], "--namespace") != namespace ||
		flagValue(created[0], "--address") != envValue(t, setup, "TEMPORAL_ADDRESS") {
		t.Errorf("namespace create calls %q, want one for %q", created, namespace)
	}
	registered := map[string]string{}
	for _, call := range filterPrefix(calls, "operator search-attribute create") {
		if ns := flagValue(call, "--namespace"); ns != namespace {
			t.Errorf("search attribute registered in namespace %q, want %q: %s", ns, namespace, call)
		}
		registered[flagValue(call, "--name")] = flagValue(call, "--type")
	}
	if want := workflowSearchAttributes(); !mapsEqual(registered, want) {
		t.Errorf("script registered %v, want %v", registered, want)
	}
}

func TestSetupNamespaceScriptStopsOnTypeConflict(t *testing.T) {
	fake := newFakeTemporal(t)
	fake.conflicting = "Overdue"
	out, err := fake.runSetupNamespace(t, service(t, loadProject(t, nil), temporalSetupService),
		"NeedsAttention=Bool", "Overdue=Bool", "NextDeadline=Datetime")
	if err == nil {
		t.Fatalf("script succeeded despite a type conflict:\n%s", out)
	}
	if !strings.Contains(out, "Overdue") {
		t.Errorf("the failure does not name the attribute:\n%s", out)
	}
	if calls := fake.calls(t); slices.ContainsFunc(calls, func(c string) bool { return flagValue(c, "--name") == "NextDeadline" }) {
		t.Errorf("script went on after the conflict: %q", calls)
	}
}

func TestSetupNamespaceScriptGivesUpOnDeadServer(t *testing.T) {
	fake := newFakeTemporal(t)
	fake.failHealthTimes = 1000
	fake.extraEnv = []string{"SETUP_ATTEMPTS=3"}
	out, err := fake.runSetupNamespace(t, service(t, loadProject(t, nil), temporalSetupService), "OrderStatus=Keyword")
	if err == nil {
		t.Fatalf("script succeeded without a server:\n%s", out)
	}
	if n := countPrefix(fake.calls(t), "operator cluster health"); n != 3 {
		t.Errorf("health checked %d times, want SETUP_ATTEMPTS=3", n)
	}
}

func TestSetupNamespaceScriptRejectsMalformedArguments(t *testing.T) {
	for _, bad := range []string{"OrderStatus", "=Keyword", "OrderStatus="} {
		fake := newFakeTemporal(t)
		out, err := fake.runSetupNamespace(t, service(t, loadProject(t, nil), temporalSetupService),
			"OrderFlow=Keyword", bad)
		if err == nil {
			t.Errorf("script accepted %q:\n%s", bad, out)
		}
		if calls := fake.calls(t); len(calls) != 0 {
			t.Errorf("script called temporal before rejecting %q: %q", bad, calls)
		}
	}
}

func TestSetupSchemaScriptPreparesBothDatabases(t *testing.T) {
	fake := newFakeTemporal(t)
	out, err := fake.runScript(t, "setup-schema.sh", nil)
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	const schema = "/etc/temporal/schema/postgresql/v12"
	want := []string{
		"--db temporal create",
		"--db temporal setup-schema -v 0.0",
		"--db temporal update-schema -d " + schema + "/temporal/versioned",
		"--db temporal_visibility create",
		"--db temporal_visibility setup-schema -v 0.0",
		"--db temporal_visibility update-schema -d " + schema + "/visibility/versioned",
	}
	if got := fake.calls(t); !slices.Equal(got, want) {
		t.Errorf("temporal-sql-tool calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSetupSchemaScriptFailsWhenAStepFails(t *testing.T) {
	fake := newFakeTemporal(t)
	fake.failSQLTool = "update-schema"
	out, err := fake.runScript(t, "setup-schema.sh", nil)
	if err == nil {
		t.Fatalf("script succeeded although update-schema failed:\n%s", out)
	}
	if calls := fake.calls(t); len(calls) != 3 {
		t.Errorf("script went on after the failure: %q", calls)
	}
}

// ---------------------------------------------------------------------------
// Dockerfile and .dockerignore

func TestDockerfileBuildsStaticProductionBinary(t *testing.T) {
	df := parseDockerfile(t)
	stage, build := findGoBuild(t, df)
	args := shellFields(build.args)
	if !slices.Contains(args, "./cmd/orderflow") {
		t.Errorf("go build does not build ./cmd/orderflow: %s", build.args)
	}
	if tags := buildTags(args); !slices.Contains(tags, "nodev") {
		t.Errorf("go build tags are %q, want nodev (no embedded Temporal in production)", tags)
	}
	if !slices.Contains(args, "CGO_ENABLED=0") && stage.env["CGO_ENABLED"] != "0" {
		t.Errorf("go build runs without CGO_ENABLED=0 (stage env %v)", stage.env)
	}
	if stage.env["GOTOOLCHAIN"] != "" && stage.env["GOTOOLCHAIN"] != "local" {
		t.Errorf("GOTOOLCHAIN=%s would let the build download another Go", stage.env["GOTOOLCHAIN"])
	}
}

func TestDockerfileBuilderGoIsNotOlderThanGoMod(t *testing.T) {
	stage, _ := findGoBuild(t, parseDockerfile(t))
	repo, tag := splitImage(stage.from)
	if repo != "golang" {
		t.Fatalf("the build stage is based on %q, want the official golang image", stage.from)
	}
	goLine, builder := goModGoVersion(t), leadingVersion(tag)
	// "1.26" floats to the newest 1.26.x, so only its minor release counts.
	least := goLine
	if strings.Count(builder, ".") == 1 {
		least = majorMinor(goLine)
	}
	if builder == "" || compareVersions(builder, least) < 0 {
		t.Errorf("builder golang:%s is older than go.mod's go %s", tag, goLine)
	}
}

func TestDockerfileImagesArePinned(t *testing.T) {
	df := parseDockerfile(t)
	names := map[string]bool{}
	for _, s := range df.stages {
		if names[s.from] || s.from == "scratch" {
			continue // an earlier stage, not an image
		}
		if _, tag := splitImage(s.from); tag == "" || tag == "latest" {
			t.Errorf("FROM %s is not pinned to a version tag", s.from)
		}
		names[s.name] = true
	}
}

func TestDockerfileRuntimeStage(t *testing.T) {
	df := parseDockerfile(t)
	final := df.stages[len(df.stages)-1]
	_, build := findGoBuild(t, df)
	output := flagValue(build.args, "-o")

	user := lastArgs(final, "USER")
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	if expose := strings.Fields(lastArgs(final, "EXPOSE")); !slices.Contains(expose, "8080") && !slices.Contains(expose, "8080/tcp") {
		t.Errorf("the image exposes %q, want 8080", expose)
	}
	var entrypoint []string
	if err := json.Unmarshal([]byte(lastArgs(final, "ENTRYPOINT")), &entrypoint); err != nil || len(entrypoint) == 0 {
		t.Fatalf("ENTRYPOINT %q must be exec form (JSON), so compose's command becomes its arguments", lastArgs(final, "ENTRYPOINT"))
	}
	copied := false
	for _, in := range final.instructions {
		fields := strings.Fields(in.args)
		if in.keyword == "COPY" && len(fields) >= 3 && strings.HasPrefix(fields[0], "--from=") &&
			fields[len(fields)-2] == output && fields[len(fields)-1] == entrypoint[0] {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the entrypoint %s is not the binary go build wrote to %s", entrypoint[0], output)
	}
}

func TestDockerignoreKeepsTheSources(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum", "cmd", "db", "internal", "workflows", "activities", "api", "worker"}
	for _, line := range strings.Split(string(data), "\n") {
		pattern := strings.TrimSpace(line)
		if pattern == "" || strings.HasPrefix(pattern, "#") || strings.HasPrefix(pattern, "!") {
			continue
		}
		for _, name := range needed {
			if ok, _ := filepath.Match(strings.TrimPrefix(pattern, "/"), name); ok {
				t.Errorf(".dockerignore pattern %q drops %s from the build", pattern, name)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// helpers: compose

func loadProject(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	var environment []string
	for k, v := range env {
		environment = append(environment, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Only the given environment: the result must not depend on the shell
	// or an .env file of whoever runs the test.
	options, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(environment),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	project, err := options.LoadProject(ctx)
	if err != nil {
		t.Fatalf("load docker-compose.yml (env %v): %v", env, err)
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

func envDiff(a, b types.MappingWithEquals) string {
	var diffs []string
	for k := range a {
		if _, ok := b[k]; !ok {
			diffs = append(diffs, "missing "+k)
		} else if deref(a[k]) != deref(b[k]) {
			diffs = append(diffs, k+" differs")
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, ", ")
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

// orderflowEnvNames tells whether a production process of orderflow reads a
// variable: internal/config's settings (dev-mode ones aside) and the
// Temporal client's.
func orderflowEnvNames(t *testing.T) func(string) bool {
	t.Helper()
	names := setOf(temporalClientEnv...)
	collectEnvTags(reflect.TypeFor[config.Config](), names)
	for _, brief := range []string{"DATABASE_URL", "ORDERFLOW_TOKEN_SECRET", "ORDERFLOW_EMAIL_MODE", "SENDGRID_API_KEY"} {
		if !names[brief] {
			t.Fatalf("internal/config no longer reads %s; this test's idea of the settings is out of date", brief)
		}
	}
	return func(key string) bool {
		if names[key] {
			return true
		}
		for _, prefix := range temporalClientEnvPrefixes {
			if strings.HasPrefix(key, prefix) && len(key) > len(prefix) {
				return true
			}
		}
		return false
	}
}

func collectEnvTags(typ reflect.Type, names map[string]bool) {
	for i := range typ.NumField() {
		field := typ.Field(i)
		if field.Type == reflect.TypeFor[config.Dev]() {
			continue // `orderflow dev` only: meaningless in a deployment
		}
		if name, _, _ := strings.Cut(field.Tag.Get("env"), ","); name != "" {
			names[name] = true
		} else if field.Type.Kind() == reflect.Struct {
			collectEnvTags(field.Type, names)
		}
	}
}

// workflowSearchAttributes is workflows.SearchAttributes() in the CLI's
// spelling of types (Keyword, Bool, Datetime, ...).
func workflowSearchAttributes() map[string]string {
	out := map[string]string{}
	for name, typ := range workflows.SearchAttributes() {
		out[name] = typ.String()
	}
	return out
}

// splitImage splits "repo:tag@digest" into repo and tag ("" when absent).
func splitImage(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, ""
	}
	return image[:i], image[i+1:]
}

func portOf(t *testing.T, addr string) uint32 {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return uint32(n)
}

// scriptOf is the script a one-shot job hands to /bin/sh.
func scriptOf(s types.ServiceConfig) string {
	for _, arg := range append(slices.Clone([]string(s.Entrypoint)), s.Command...) {
		if strings.HasSuffix(arg, ".sh") {
			return arg
		}
	}
	return ""
}

// searchAttributeArgs are the NAME=Type arguments temporal-setup passes.
func searchAttributeArgs(t *testing.T, p *types.Project) []string {
	t.Helper()
	s := service(t, p, temporalSetupService)
	all := append(slices.Clone([]string(s.Entrypoint)), s.Command...)
	i := slices.IndexFunc(all, func(a string) bool { return strings.HasSuffix(a, "setup-namespace.sh") })
	if i < 0 {
		t.Fatalf("temporal-setup does not run setup-namespace.sh: %q", all)
	}
	return all[i+1:]
}

func parseSearchAttributes(args []string) (map[string]string, error) {
	got := map[string]string{}
	for _, arg := range args {
		name, typ, ok := strings.Cut(arg, "=")
		if !ok || name == "" || typ == "" {
			return nil, fmt.Errorf("search attribute argument %q is not NAME=Type", arg)
		}
		if _, dup := got[name]; dup {
			return nil, fmt.Errorf("search attribute %s is given twice", name)
		}
		got[name] = typ
	}
	return got, nil
}

// ---------------------------------------------------------------------------
// helpers: fake Temporal tools for the scripts

type fakeTemporal struct {
	dir, log        string
	failHealthTimes int
	existing        string // reported as "already exists" with the same type
	conflicting     string // reported as existing with a different type
	failSQLTool     string // temporal-sql-tool subcommand that fails
	extraEnv        []string
}

func newFakeTemporal(t *testing.T) *fakeTemporal {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the scripts with")
	}
	dir := t.TempDir()
	f := &fakeTemporal{dir: dir, log: filepath.Join(dir, "calls.log")}
	// Logs each call, then answers like the real tool would.
	temporal := `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in
"operator cluster health"*)
	n=$(cat "$FAKE_DIR/health" 2>/dev/null || echo 0)
	echo $((n + 1)) > "$FAKE_DIR/health"
	[ "$n" -ge "$FAKE_FAIL_HEALTH" ] || { echo "connection refused" >&2; exit 1; }
	exit 0 ;;
"operator namespace describe"*) echo "Namespace not found" >&2; exit 1 ;;
"operator namespace create"*) exit 0 ;;
"operator search-attribute create"*"--name $FAKE_CONFLICT "*)
	echo "Error: search attribute $FAKE_CONFLICT already exists and has different type Keyword" >&2; exit 1 ;;
"operator search-attribute create"*"--name $FAKE_EXISTING "*)
	echo "Error: Search attribute $FAKE_EXISTING already exists." >&2; exit 1 ;;
"operator search-attribute create"*) exit 0 ;;
esac
echo "fake temporal: unexpected call $*" >&2
exit 2
`
	sqlTool := `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case " $* " in *" $FAKE_FAIL_SQL "*) exit 1 ;; esac
exit 0
`
	for name, body := range map[string]string{"temporal": temporal, "temporal-sql-tool": sqlTool} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// runSetupNamespace runs setup-namespace.sh with the environment compose
// gives the temporal-setup service.
func (f *fakeTemporal) runSetupNamespace(t *testing.T, setup types.ServiceConfig, args ...string) (string, error) {
	t.Helper()
	var env []string
	for k, v := range setup.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	return f.runScript(t, "setup-namespace.sh", append(env, "SETUP_RETRY_SECONDS=0"), args...)
}

func (f *fakeTemporal) runScript(t *testing.T, script string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(repoRoot(t), "deploy", "temporal", script)
	cmd := exec.CommandContext(ctx, "sh", append([]string{path}, args...)...)
	cmd.Env = append(append(env, f.extraEnv...),
		"PATH="+f.dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_LOG="+f.log,
		"FAKE_DIR="+f.dir,
		"FAKE_FAIL_HEALTH="+strconv.Itoa(f.failHealthTimes),
		"FAKE_EXISTING="+orNone(f.existing),
		"FAKE_CONFLICT="+orNone(f.conflicting),
		"FAKE_FAIL_SQL="+orNone(f.failSQLTool),
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func (f *fakeTemporal) calls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(f.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func filterPrefix(calls []string, prefix string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func countPrefix(calls []string, prefix string) int { return len(filterPrefix(calls, prefix)) }

// flagValue returns the word after flag in a space-separated command line.
func flagValue(line, flag string) string {
	fields := strings.Fields(line)
	for i, f := range fields {
		if f == flag && i+1 < len(fields) {
			return fields[i+1]
		}
		if v, ok := strings.CutPrefix(f, flag+"="); ok {
			return v
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// helpers: Dockerfile, a line-based reading good enough for our own file

type instruction struct{ keyword, args string }

type stage struct {
	from, name   string
	env          map[string]string
	instructions []instruction
}

type dockerfile struct{ stages []*stage }

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var df dockerfile
	var current *stage
	for _, line := range joinContinuations(string(data)) {
		keyword, args, _ := strings.Cut(line, " ")
		keyword, args = strings.ToUpper(keyword), strings.TrimSpace(args)
		if keyword == "FROM" {
			fields := strings.Fields(args)
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
			current = &stage{env: map[string]string{}}
			if len(fields) > 0 {
				current.from = fields[0]
			}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				current.name = fields[2]
			}
			df.stages = append(df.stages, current)
			continue
		}
		if current == nil {
			t.Fatalf("Dockerfile: %s before FROM", keyword)
		}
		if keyword == "ENV" {
			for _, kv := range strings.Fields(args) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					current.env[k] = strings.Trim(v, `"`)
				}
			}
		}
		current.instructions = append(current.instructions, instruction{keyword, args})
	}
	if len(df.stages) == 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	return df
}

// joinContinuations returns the Dockerfile's instructions, one a line,
// without comments.
func joinContinuations(text string) []string {
	var out []string
	var pending strings.Builder
	scanner := bufio.NewScanner(strings.NewReader(text))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if strings.HasPrefix(line, "#") || (line == "" && pending.Len() == 0) {
			continue
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(body + " ")
			continue
		}
		pending.WriteString(line)
		out = append(out, strings.Join(strings.Fields(pending.String()), " "))
		pending.Reset()
	}
	return out
}

func findGoBuild(t *testing.T, df dockerfile) (*stage, instruction) {
	t.Helper()
	for _, s := range df.stages {
		for _, in := range s.instructions {
			if in.keyword == "RUN" && strings.Contains(in.args, "go build") {
				return s, in
			}
		}
	}
	t.Fatal("Dockerfile has no RUN ... go build")
	return nil, instruction{}
}

func finalStageBase(t *testing.T, df dockerfile) string {
	t.Helper()
	return df.stages[len(df.stages)-1].from
}

func lastArgs(s *stage, keyword string) string {
	for i := len(s.instructions) - 1; i >= 0; i-- {
		if s.instructions[i].keyword == keyword {
			return s.instructions[i].args
		}
	}
	return ""
}

// shellFields splits a RUN line into words, dropping quotes around them.
func shellFields(line string) []string {
	fields := strings.Fields(line)
	for i, f := range fields {
		fields[i] = strings.Trim(f, `"'`)
	}
	return fields
}

func buildTags(args []string) []string {
	for i, a := range args {
		var list string
		switch {
		case (a == "-tags" || a == "--tags") && i+1 < len(args):
			list = args[i+1]
		case strings.HasPrefix(a, "-tags="), strings.HasPrefix(a, "--tags="):
			_, list, _ = strings.Cut(a, "=")
		default:
			continue
		}
		return strings.FieldsFunc(strings.Trim(list, `"'`), func(r rune) bool { return r == ',' || r == ' ' })
	}
	return nil
}

// ---------------------------------------------------------------------------
// helpers: repository

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from the test directory: %v", err)
	}
	return root
}

func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(dir, path)
}

func goModLines(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "//")
		if fields := strings.Fields(line); len(fields) > 0 {
			lines = append(lines, fields)
		}
	}
	return lines
}

// goModRequire is the version go.mod requires of module.
func goModRequire(t *testing.T, module string) string {
	t.Helper()
	for _, fields := range goModLines(t) {
		if fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	t.Fatalf("go.mod does not require %s", module)
	return ""
}

func goModGoVersion(t *testing.T) string {
	t.Helper()
	for _, fields := range goModLines(t) {
		if fields[0] == "go" && len(fields) == 2 {
			return fields[1]
		}
	}
	t.Fatal("go.mod has no go line")
	return ""
}

// leadingVersion is the dotted number a tag starts with: "1.26.8-alpine" -> "1.26.8".
func leadingVersion(tag string) string {
	end := strings.IndexFunc(tag, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if end < 0 {
		end = len(tag)
	}
	return strings.TrimSuffix(tag[:end], ".")
}

func majorMinor(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// compareVersions compares dotted numbers; missing parts count as zero.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, item := range items {
		m[item] = true
	}
	return m
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
