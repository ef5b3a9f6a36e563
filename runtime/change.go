package runtime

import (
	"github.com/runbookhq/runbook/cluster"
)

// String says what changed, in a few words: "resource POOL1 moved FS1 → FS2",
// "node FS1 up at 6.5". (Concatenated, not formatted: a run says it of
// every change it sees.)
func (c Change) String() string {
	switch c.Kind {
	case ChangeNode:
		switch {
		case c.FromState == "":
			return "node " + c.Name + " appeared, " + c.ToState + " at " + c.ToVersion
		case c.ToState == "":
			return "node " + c.Name + " disappeared"
		case c.ToState == cluster.NodeUp && c.FromState != cluster.NodeUp:
			return "node " + c.Name + " up at " + c.ToVersion
		case c.ToState != cluster.NodeUp && c.FromState == cluster.NodeUp:
			return "node " + c.Name + " " + c.ToState
		case c.FromVersion == c.ToVersion && c.FromMedia != c.ToMedia:
			return "node " + c.Name + " read the media at " + c.ToMedia
		default:
			return "node " + c.Name + " at " + c.ToVersion
		}
	case ChangeResource:
		switch {
		case c.FromState == "":
			return "resource " + c.Name + " appeared, " + resourceWhere(c.ToState, c.ToNode)
		case c.ToState == "":
			return "resource " + c.Name + " disappeared!"
		case c.FromState == cluster.ResourceRunning && c.ToState == cluster.ResourceRunning:
			return "resource " + c.Name + " moved " + c.FromNode + " → " + c.ToNode
		case c.ToState == cluster.ResourceRunning:
			return "resource " + c.Name + " online on " + c.ToNode
		case c.ToState == cluster.ResourceComatose:
			return "resource " + c.Name + " comatose on " + c.ToNode + "!"
		case c.Unplanned && c.FromState == cluster.ResourceRunning:
			return "resource " + c.Name + " went " + c.ToState + "!"
		case c.ToState == cluster.ResourceUpgrade:
			return "resource " + c.Name + " brought offline for the media upgrade (state upgrade)"
		default:
			return "resource " + c.Name + " " + c.ToState
		}
	case ChangeLicense:
		if c.ToVersion == "" {
			return "licence " + c.Product + " " + c.FromVersion + " removed"
		}
		return "licence " + c.Product + " " + c.ToVersion + " installed"
	case ChangeMedia:
		return "media at " + c.ToVersion
	}
	return c.Kind + " changed"
}

func resourceWhere(state, node string) string {
	if state == cluster.ResourceRunning {
		return "running on " + node
	}
	if node != "" {
		return state + " (last on " + node + ")"
	}
	return state
}

// Alarming reports whether the change is an outage or a fault.
func (c Change) Alarming() bool {
	return c.Kind == ChangeResource && (c.Unplanned || c.ToState == cluster.ResourceComatose || c.ToState == "")
}
