package sqlnode_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gondb/gondb/sqlnode"
)

// connectorJJar is Debian's MariaDB Connector/J (package libmariadb-java);
// GONDB_CONNECTORJ_JAR names another.
const connectorJJar = "/usr/share/java/mariadb-java-client.jar"

// TestConnectorJ runs testdata/connectorj/ConnectorJ.java (java's
// single-file source mode) against a SQL node through MariaDB Connector/J
// with server-side prepared statements, and compares what it prints: as
// root (mysql_native_password) in clear, and as a caching_sha2_password
// user over TLS. Skipped without java or the driver's jar.
func TestConnectorJ(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("no java installed (openjdk-17-jre-headless)")
	}
	jar := os.Getenv("GONDB_CONNECTORJ_JAR")
	if jar == "" {
		jar = connectorJJar
	}
	if _, err := os.Stat(jar); err != nil {
		t.Skipf("no Connector/J jar %s (apt-get install libmariadb-java)", jar)
	}
	src, err := filepath.Abs("testdata/connectorj/ConnectorJ.java")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, _ := testCert(t)
	tc := startCluster(t)
	db, srv := tc.sqlNodeWith(t, sqlnode.Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if _, err := db.ExecContext(context.Background(), "CREATE USER cj IDENTIFIED WITH caching_sha2_password BY 'cj-pw'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), "GRANT ALL ON *.* TO cj"); err != nil {
		t.Fatal(err)
	}
	base := "jdbc:mariadb://" + srv.Addr() + "/?useServerPrepStmts=true"
	runs := []struct {
		name, url, user, pw string
	}{
		{"root, mysql_native_password, clear", base, "root", testRootPassword},
		{"caching_sha2_password over TLS", base + "&useSsl=true&serverSslCert=" + certFile, "cj", "cj-pw"},
	}
	for _, r := range runs {
		cmd := exec.Command(java, "-Duser.timezone=UTC", "-cp", jar, src, r.url, r.user, r.pw)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: java ConnectorJ: %v\n%s", r.name, err, out)
		}
		checkConnectorJ(t, r.name, string(out))
	}
}

// checkConnectorJ compares what ConnectorJ.java printed with what it
// must print.
func checkConnectorJ(t *testing.T, name, out string) {
	t.Helper()
	want := []string{
		"prepared: ServerSidePreparedStatement",
		"insert 1: 1",
		"insert 2: 1",
		"insert 3: 1",
		"insert 4: 1",
		"select 1: 1|item-1|1.25|1000000000000|0.125|2024-01-01|2024-02-01 10:20:31.0|0100ff|1",
		"select 3: 3|NULL|3.25|3000000000000|0.375|2024-01-03|2024-02-03 10:20:33.0|0300ff|1",
		"select 4: 4|item-4 éè|4.25|4000000000000|0.5|2024-01-04|2024-02-04 10:20:34.0|0400ff|0",
		"select 9: no rows",
		"range: 4|item-4 éè",
		"range: 3|NULL",
		"range: 2|item-2",
		"update: 1",
		"update missing: 0",
		"delete: 1",
		"final: 2|renamed|2.75",
		"final: 3|NULL|3.25",
		"final: 4|item-4 éè|4.25",
		"final: 11|committed|NULL",
		"done",
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "Picked up ") { // JVM notices on stderr
			continue
		}
		got = append(got, l)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: ConnectorJ printed:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
