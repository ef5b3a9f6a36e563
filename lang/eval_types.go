package lang

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
)

// The cty types of the cluster's objects. Each kind has its own object type,
// so that a value keeps its kind through any expression: a resource is never
// accepted where a node is expected, because the types differ, and the
// language compares types exactly rather than converting.
var (
	nodeType = cty.Object(map[string]cty.Type{
		"name":    cty.String,
		"address": cty.String,
		"version": cty.String,
	})
	resourceType = cty.Object(map[string]cty.Type{
		"name":        cty.String,
		"shared":      cty.Bool,
		"preferred":   cty.List(nodeType),
		"failback":    cty.String,
		"load_script": cty.String,
	})
	licenseType = cty.Object(map[string]cty.Type{
		"name":      cty.String,
		"product":   cty.String,
		"version":   cty.String,
		"seats":     cty.Number,
		"min_nodes": cty.Number,
	})
)

// nodeVal is a node's value as expressions see it.
func nodeVal(n *cluster.Node) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name":    cty.StringVal(n.Name),
		"address": cty.StringVal(n.Address),
		"version": cty.StringVal(n.Version),
	})
}

// resourceVal is a resource's value; node looks up its preferred nodes.
func resourceVal(r *cluster.Resource, node func(string) cty.Value) cty.Value {
	pref := make([]cty.Value, len(r.Preferred))
	for i, p := range r.Preferred {
		pref[i] = node(p)
	}
	prefVal := cty.ListValEmpty(nodeType)
	if len(pref) > 0 {
		prefVal = cty.ListVal(pref)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":        cty.StringVal(r.Name),
		"shared":      cty.BoolVal(r.Shared),
		"preferred":   prefVal,
		"failback":    cty.StringVal(r.Failback),
		"load_script": cty.StringVal(r.LoadScript),
	})
}

// licenseVal is a licence's value.
func licenseVal(l *cluster.License) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name":      cty.StringVal(l.Name),
		"product":   cty.StringVal(l.Product),
		"version":   cty.StringVal(l.Version),
		"seats":     cty.NumberIntVal(int64(l.Seats)),
		"min_nodes": cty.NumberIntVal(int64(l.MinNodes)),
	})
}

// kindOf names the kind of a value for messages: "a resource", "a string".
func kindOf(v cty.Value) string {
	if v == cty.NilVal {
		return "no value"
	}
	ty := v.Type()
	switch {
	case ty.Equals(nodeType):
		return "a node"
	case ty.Equals(resourceType):
		return "a resource"
	case ty.Equals(licenseType):
		return "a license"
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "a bool"
	case ty == cty.DynamicPseudoType:
		return "a value of unknown type"
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return "a list"
	case ty.IsMapType():
		return "a map"
	case ty.IsObjectType():
		return "an object"
	}
	return ty.FriendlyName()
}

// refOf renders a node, resource or licence value as the reference that
// names it ("resource.POOL1"), or describes any other value by its kind.
func refOf(v cty.Value) string {
	ty := v.Type()
	prefix := ""
	switch {
	case ty.Equals(nodeType):
		prefix = "node."
	case ty.Equals(resourceType):
		prefix = "resource."
	case ty.Equals(licenseType):
		prefix = "license."
	default:
		return kindOf(v)
	}
	if v.IsKnown() && !v.IsNull() {
		if n := v.GetAttr("name"); n.IsKnown() && !n.IsNull() {
			return prefix + n.AsString()
		}
	}
	return kindOf(v)
}
