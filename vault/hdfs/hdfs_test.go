package hdfs_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	chdfs "github.com/colinmarc/hdfs/v2"

	"github.com/doricdb/doric/vault"
	"github.com/doricdb/doric/vault/hdfs"
	"github.com/doricdb/doric/vault/vaulttest"
)

// EnvNamenode names the namenode ("host:port") the conformance test runs against.
const EnvNamenode = "DORIC_TEST_HDFS"

func TestConformance(t *testing.T) {
	nn := os.Getenv(EnvNamenode)
	if nn == "" {
		t.Skipf("%s is not set: no HDFS namenode to test against", EnvNamenode)
	}
	user := os.Getenv("DORIC_TEST_HDFS_USER")
	if user == "" {
		user = "root"
	}
	base := fmt.Sprintf("/doric-test/%d", time.Now().UnixNano())
	admin, err := chdfs.NewClient(chdfs.ClientOptions{Addresses: []string{nn}, User: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RemoveAll(base)
		admin.Close()
	})
	n := 0
	vaulttest.Run(t, func(t *testing.T) vault.Storage {
		n++
		st, err := hdfs.New(hdfs.Config{Addresses: []string{nn}, User: user, Prefix: fmt.Sprintf("%s/%d", base, n)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestParseDefaultFS(t *testing.T) {
	for in, want := range map[string]string{
		"hdfs://nn1:8020":            "[nn1:8020]",
		"hdfs://nn1":                 "[nn1:8020]",
		"hdfs://nn1:9000,nn2:9000/x": "[nn1:9000 nn2:9000]",
		" hdfs://10.0.0.1:8020 ":     "[10.0.0.1:8020]",
		"hdfs://[::1]:8020":          "[[::1]:8020]",
	} {
		got, err := hdfs.ParseDefaultFS(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("ParseDefaultFS(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s3://b", "hdfs://", "hdfs://,"} {
		if got, err := hdfs.ParseDefaultFS(in); err == nil {
			t.Errorf("ParseDefaultFS(%q) = %v, want an error", in, got)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := hdfs.New(hdfs.Config{User: "u"}); err == nil {
		t.Error("New without a namenode succeeded")
	}
	if _, err := hdfs.New(hdfs.Config{Addresses: []string{"127.0.0.1:1"}}); err == nil {
		t.Error("New without a user succeeded")
	}
	_, err := hdfs.New(hdfs.Config{Addresses: []string{"127.0.0.1:1"}, Kerberos: &hdfs.Kerberos{Principal: "doric", Keytab: "/nonexistent"}})
	if err == nil {
		t.Error("New with a principal without a realm succeeded")
	}
	// Nothing listens on port 1: connecting fails as unavailable (retryable), not as a bug.
	_, err = hdfs.New(hdfs.Config{Addresses: []string{"127.0.0.1:1"}, User: "u"})
	if err == nil || !errors.Is(err, vault.ErrUnavailable) {
		t.Errorf("connecting to a closed port: %v, want ErrUnavailable", err)
	}
}
