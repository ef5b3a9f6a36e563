package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/runbookhq/runbook/runtime"
)

// Scheme is the URL scheme of an etcd store:
// etcd://HOST:PORT[,HOST:PORT...]/PREFIX.
const Scheme = "etcd"

// Environment variables that configure the connection: TLS files and
// user/password authentication. They are read from the environment only,
// so that no secret is ever written in a runbook or on a command line.
const (
	EnvCACert   = "RUNBOOK_ETCD_CACERT"
	EnvCert     = "RUNBOOK_ETCD_CERT"
	EnvKey      = "RUNBOOK_ETCD_KEY"
	EnvUser     = "RUNBOOK_ETCD_USER"
	EnvPassword = "RUNBOOK_ETCD_PASSWORD"
)

// Config says where an etcd store is and how to reach it.
type Config struct {
	Endpoints []string
	// Prefix is the key every key of the store starts with (no trailing
	// slash).
	Prefix string
	// CACert, Cert and Key are PEM files: the CA that signed the members'
	// certificates, and the client's certificate and key. Any of them
	// turns TLS on.
	CACert, Cert, Key string
	User, Password    string
	// DialTimeout bounds each connection attempt; OpTimeout each request
	// (with its retries across a leader change): past it, etcd is taken to
	// be unreachable.
	DialTimeout, OpTimeout time.Duration
}

// ParseRef parses etcd://HOST:PORT[,HOST:PORT...]/PREFIX and takes the TLS
// files and credentials from env (os.Getenv).
func ParseRef(ref string, env func(string) string) (*Config, error) {
	rest, ok := strings.CutPrefix(ref, Scheme+"://")
	if !ok {
		return nil, fmt.Errorf("--state %s: an etcd store is etcd://HOST:PORT[,HOST:PORT...]/PREFIX", ref)
	}
	hosts, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return nil, fmt.Errorf("--state %s: name the key prefix of the run's state after the endpoints (etcd://HOST:PORT/PREFIX)", ref)
	}
	cfg := &Config{Prefix: "/" + prefix}
	for _, h := range strings.Split(hosts, ",") {
		if _, _, err := net.SplitHostPort(h); err != nil {
			return nil, fmt.Errorf("--state %s: endpoint %q is not HOST:PORT", ref, h)
		}
		cfg.Endpoints = append(cfg.Endpoints, h)
	}
	cfg.CACert, cfg.Cert, cfg.Key = env(EnvCACert), env(EnvCert), env(EnvKey)
	cfg.User, cfg.Password = env(EnvUser), env(EnvPassword)
	if (cfg.Cert == "") != (cfg.Key == "") {
		return nil, fmt.Errorf("%s and %s go together: set both or neither", EnvCert, EnvKey)
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, fmt.Errorf("%s is set without %s", EnvPassword, EnvUser)
	}
	return cfg, nil
}

func (c *Config) tls() (*tls.Config, error) {
	if c.CACert == "" && c.Cert == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACert != "" {
		b, err := os.ReadFile(c.CACert)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCACert, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", EnvCACert, c.CACert)
		}
		tc.RootCAs = pool
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("%s and %s: %w", EnvCert, EnvKey, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Block is the runbook's state "etcd" { ... } block: the endpoints, the
// key prefix and the TLS files. The user and password are never in it:
// they come from the environment (RUNBOOK_ETCD_USER, RUNBOOK_ETCD_PASSWORD),
// and so do the TLS files the block does not name.
func Block(env func(string) string) runtime.StoreBlock {
	return runtime.StoreBlock{
		Settings: []runtime.StoreSetting{
			{Name: "endpoints", List: true, Required: true, Doc: `the members' client addresses, ["HOST:PORT", ...]`},
			{Name: "prefix", Required: true, Doc: "the key prefix of the run's state"},
			{Name: "ca_file", File: true, Doc: "the CA that signed the members' certificates (PEM)"},
			{Name: "cert_file", File: true, Doc: "the client certificate (PEM)"},
			{Name: "key_file", File: true, Doc: "the client certificate's key (PEM)"},
		},
		Open: func(settings map[string][]string, suffix string) (runtime.Store, error) {
			cfg, err := BlockConfig(settings, env)
			if err != nil {
				return nil, err
			}
			cfg.Prefix += suffix
			s, err := New(cfg)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}

// BlockConfig is the Config of a state "etcd" block's settings, with the
// credentials, and the TLS files the block does not name, from env.
func BlockConfig(settings map[string][]string, env func(string) string) (*Config, error) {
	one := func(name string) string {
		if v := settings[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	prefix := strings.Trim(one("prefix"), "/")
	if prefix == "" {
		return nil, fmt.Errorf(`state "etcd": prefix is empty; name the key prefix of the run's state, such as "/runbook/CL1"`)
	}
	cfg := &Config{Prefix: "/" + prefix}
	if len(settings["endpoints"]) == 0 {
		return nil, fmt.Errorf(`state "etcd": endpoints is empty; list the members' client addresses, ["HOST:PORT", ...]`)
	}
	for _, h := range settings["endpoints"] {
		if _, _, err := net.SplitHostPort(h); err != nil {
			return nil, fmt.Errorf(`state "etcd": endpoint %q is not HOST:PORT`, h)
		}
		cfg.Endpoints = append(cfg.Endpoints, h)
	}
	cfg.CACert, cfg.Cert, cfg.Key = one("ca_file"), one("cert_file"), one("key_file")
	if cfg.CACert == "" {
		cfg.CACert = env(EnvCACert)
	}
	if cfg.Cert == "" && cfg.Key == "" {
		cfg.Cert, cfg.Key = env(EnvCert), env(EnvKey)
	}
	cfg.User, cfg.Password = env(EnvUser), env(EnvPassword)
	if (cfg.Cert == "") != (cfg.Key == "") {
		return nil, fmt.Errorf(`state "etcd": cert_file and key_file go together: set both or neither`)
	}
	if cfg.User == "" && cfg.Password != "" {
		return nil, fmt.Errorf("%s is set without %s", EnvPassword, EnvUser)
	}
	return cfg, nil
}
