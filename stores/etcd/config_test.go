package etcd

import (
	"fmt"
	"testing"
)

// TestBlockConfig checks a state "etcd" block's settings: the block's TLS
// files win over the environment's, which fill in what it does not name;
// the credentials come from the environment only.
func TestBlockConfig(t *testing.T) {
	env := map[string]string{EnvCACert: "/env/ca.pem", EnvCert: "/env/c.pem", EnvKey: "/env/k.pem", EnvUser: "op", EnvPassword: "pw"}
	getenv := func(k string) string { return env[k] }
	set := map[string][]string{"endpoints": {"a:1", "b:2"}, "prefix": {"/team/prod/"}, "ca_file": {"/rb/ca.pem"}}
	cfg, err := BlockConfig(set, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%v %s %s %s %s %s %s", cfg.Endpoints, cfg.Prefix, cfg.CACert, cfg.Cert, cfg.Key, cfg.User, cfg.Password); got != "[a:1 b:2] /team/prod /rb/ca.pem /env/c.pem /env/k.pem op pw" {
		t.Errorf("got %s", got)
	}
	set["cert_file"], set["key_file"] = []string{"/rb/c.pem"}, []string{"/rb/k.pem"}
	if cfg, err = BlockConfig(set, getenv); err != nil || cfg.Cert != "/rb/c.pem" || cfg.Key != "/rb/k.pem" {
		t.Errorf("block's certificate: %+v, %v", cfg, err)
	}
	for name, bad := range map[string]map[string][]string{
		"no prefix":        {"endpoints": {"a:1"}, "prefix": {"/"}},
		"no endpoints":     {"prefix": {"p"}},
		"not HOST:PORT":    {"endpoints": {"a"}, "prefix": {"p"}},
		"cert without key": {"endpoints": {"a:1"}, "prefix": {"p"}, "cert_file": {"/c.pem"}},
	} {
		if _, err := BlockConfig(bad, func(string) string { return "" }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
