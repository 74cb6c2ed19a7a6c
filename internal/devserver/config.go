package devserver

import (
	"fmt"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// serverOptions wires a single-process server: static membership (no ringpop,
// no gossip ports), one history shard, SQLite for both stores, no metrics or
// pprof listeners, and the frontend's HTTP API off.
func serverOptions(plan portPlan, db *config.SQL, logger log.Logger) ([]temporal.ServerOption, error) {
	cfg := serverConfig(plan, db)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	return []temporal.ServerOption{
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(internalAddr(plan.frontend)),
			primitives.HistoryService:  static.SingleLocalHost(plan.history.addr()),
			primitives.MatchingService: static.SingleLocalHost(plan.matching.addr()),
			primitives.WorkerService:   static.SingleLocalHost(plan.worker.addr()),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	}, nil
}

func serverConfig(plan portPlan, db *config.SQL) *config.Config {
	const store = "sqlite"
	frontend := internalAddr(plan.frontend)
	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: internalHost}
	cfg.Persistence = config.Persistence{
		DefaultStore:     store,
		VisibilityStore:  store,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{store: {SQL: db}},
	}
	cfg.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Services = map[string]config.Service{
		"frontend": {RPC: config.RPC{GRPCPort: plan.frontend.port, BindOnIP: plan.frontend.host}},
		"history":  {RPC: config.RPC{GRPCPort: plan.history.port, BindOnIP: plan.history.host}},
		"matching": {RPC: config.RPC{GRPCPort: plan.matching.port, BindOnIP: plan.matching.host}},
		"worker":   {RPC: config.RPC{GRPCPort: plan.worker.port, BindOnIP: plan.worker.host}},
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontend
	return cfg
}

// internalAddr is how this process reaches the frontend: a frontend bound to
// every interface (0.0.0.0) is still dialled on loopback.
func internalAddr(frontend endpoint) string {
	if ip := frontend.host; ip == "0.0.0.0" || ip == "::" {
		frontend.host = internalHost
	}
	return frontend.addr()
}

// devDynamicConfig tunes the server for one developer with the Web UI open.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Search attributes added at start are usable by the next call.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// The default 10/s throttles the Web UI's list and count polling.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// SQLite on a laptop is the limit, not these; the defaults throttle bursts
		// of demo orders first.
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  10000,
		dynamicconfig.MatchingPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.WorkerPersistenceMaxQPS.Key():   10000,
		// One partition per task queue: one process polls it, so a task never
		// waits in a partition that has no poller to be forwarded to one
		// that does (make bench, README "Performance").
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}
