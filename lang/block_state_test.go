package lang

import (
	"path/filepath"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// TestStateBlock checks what a state block decodes to: its kind, its
// settings, relative files taken from the runbook's directory; and that
// no block leaves State nil.
func TestStateBlock(t *testing.T) {
	opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry(), StateKinds: storebuiltin.Stores().BlockSettings()}
	dir := filepath.Join("..", "testdata", "lang", "valid")
	rb, diags := Load(filepath.Join(dir, "state_etcd.hcl"), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := &StateBlock{Kind: "etcd", Settings: map[string][]string{
		"endpoints": {"10.0.0.5:2379", "10.0.0.6:2379", "10.0.0.7:2379"},
		"prefix":    {"/runbook/CL1"},
		"ca_file":   {filepath.Join(dir, "tls", "ca.pem")},
		"cert_file": {"/etc/runbook/client.pem"},
		"key_file":  {"/etc/runbook/client-key.pem"},
	}, Range: rb.State.Range}
	if diff := cmp.Diff(want, rb.State); diff != "" {
		t.Errorf("state block (-want +got):\n%s", diff)
	}

	rb, diags = Load(filepath.Join(dir, "state_etcd.hcl.json"), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if rb.State == nil || rb.State.Kind != "etcd" || cmp.Diff([]string{"127.0.0.1:2379"}, rb.State.Settings["endpoints"]) != "" {
		t.Errorf("JSON state block: %+v", rb.State)
	}

	rb, diags = Load(filepath.Join(dir, "features.hcl"), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if rb.State != nil {
		t.Errorf("a runbook with no state block has State %+v", rb.State)
	}
}
