package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

const dbFileName = "temporal.db"

// retention keeps closed workflows a month instead of the default day, so an
// order finished last week can still be opened in the Web UI. It applies when
// the namespace is created; an existing namespace keeps its own.
const retention = 30 * 24 * time.Hour

// sqliteConfig describes the database file. WAL lets the Web UI read while the
// history service writes; synchronous=NORMAL is WAL's safe and fast setting.
func sqliteConfig(path string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
}

// prepareDatabase makes sure dataDir holds a usable Temporal database with the
// namespace in it, creating both when new.
func prepareDatabase(dataDir, clusterName, namespace string, searchAttributes map[string]enumspb.IndexedValueType) (*config.SQL, error) {
	path, err := databasePath(dataDir)
	if err != nil {
		return nil, err
	}
	if err := ensureSchema(path); err != nil {
		return nil, err
	}
	cfg := sqliteConfig(path)
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, searchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace %q: %w", namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(retention)
	// A no-op when the namespace exists; search attributes added since are
	// registered through the running server (see temporalsetup.RegisterSearchAttributes).
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return nil, fmt.Errorf("devserver: %s is not a usable Temporal database (move it away to start fresh): %w", path, err)
	}
	return cfg, nil
}

func databasePath(dataDir string) (string, error) {
	if dataDir == "" {
		return "", errors.New("devserver: DataDir is required (ORDERFLOW_DATA_DIR)")
	}
	// The SQLite plugin puts the path into a URI without escaping it.
	if strings.ContainsAny(dataDir, "?#") {
		return "", fmt.Errorf("devserver: DataDir %q must not contain '?' or '#'", dataDir)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("devserver: DataDir %q: %w", dataDir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("devserver: create DataDir: %w", err)
	}
	if err := checkWritable(abs); err != nil {
		return "", err
	}
	return filepath.Join(abs, dbFileName), nil
}

// checkWritable fails early and plainly; SQLite would otherwise open the file
// read-only and the server would fail on its first write, deep in its logs.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("devserver: DataDir %s is not writable: %w", dir, err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		return fmt.Errorf("devserver: DataDir %s: %w", dir, err)
	}
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("devserver: DataDir %s: %w", dir, err)
	}
	return nil
}

// ensureSchema creates the database when the file does not exist. It builds
// the schema in a side file and renames it into place, so an interrupted first
// start never leaves a half-made database behind.
func ensureSchema(path string) error {
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("devserver: database %s: %w", path, err)
	}
	tmp := path + ".new"
	removeDatabaseFiles(tmp)
	// Rollback journal, not WAL, while creating: the file must be complete
	// on its own when it is renamed. The server's own opens switch it to WAL.
	setup := sqliteConfig(tmp)
	setup.ConnectAttributes["journal_mode"] = "delete"
	if err := sqliteschema.SetupSchema(setup); err != nil {
		removeDatabaseFiles(tmp)
		return fmt.Errorf("devserver: create Temporal schema in %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		removeDatabaseFiles(tmp)
		return fmt.Errorf("devserver: move new database into place: %w", err)
	}
	return nil
}

func removeDatabaseFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}
