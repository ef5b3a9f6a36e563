package runtime

import (
	"time"
)

// Event types.
const (
	EventStart   = "start"   // the run begins: what the journal holds
	EventStep    = "step"    // a step's outcome changed: Status says which
	EventChange  = "change"  // the cluster changed: Change says how
	EventLog     = "log"     // a step reports progress
	EventWarning = "warning" // a precondition warning, or a fact worth attention
	EventDrift   = "drift"   // the cluster differs from what is expected
	EventStop    = "stop"    // the run stops before the end
)

// Event is one line of a run's output. Render it as text, or marshal it as
// one JSON line.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// Step is the address of the step the event belongs to, if any.
	Step string `json:"step,omitempty"`
	// Status is a step event's new status: started, done, skipped, failed,
	// in-doubt.
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
	// Detail adds what to do about it (drift, failure, stop).
	Detail string `json:"detail,omitempty"`
	// Duration of the step, for done and failed step events.
	Duration *Seconds `json:"duration_seconds,omitempty"`
	Change   *Change  `json:"change,omitempty"`
	// Problems are the precondition problems that failed a step.
	Problems []string `json:"problems,omitempty"`
	// Alarm marks what must catch the eye: a resource that went offline by
	// itself, a failure.
	Alarm bool `json:"alarm,omitempty"`
}

// Seconds marshals a duration as a number of seconds.
type Seconds float64

// Change kinds.
const (
	ChangeNode     = "node"
	ChangeResource = "resource"
	ChangeLicense  = "license"
	ChangeMedia    = "media"
)

// Change is one observed change of the cluster.
type Change struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	// For nodes: version and state before and after. For resources: state
	// and node. For licences: product and version (From empty). For media:
	// the version.
	FromState   string `json:"from_state,omitempty"`
	ToState     string `json:"to_state,omitempty"`
	FromNode    string `json:"from_node,omitempty"`
	ToNode      string `json:"to_node,omitempty"`
	FromVersion string `json:"from_version,omitempty"`
	ToVersion   string `json:"to_version,omitempty"`
	Product     string `json:"product,omitempty"`
	// For nodes whose driver reports it: the media version the node has
	// read, before and after.
	FromMedia string `json:"from_media,omitempty"`
	ToMedia   string `json:"to_media,omitempty"`
	// Unplanned marks a resource that stopped running although no step
	// took it offline: an outage.
	Unplanned bool `json:"unplanned,omitempty"`
}
