package runtime

import (
	"fmt"

	"github.com/runbookhq/runbook/cluster"
)

// String says what changed, in a few words: "resource POOL1 moved FS1 → FS2",
// "node FS1 up at 6.5".
func (c Change) String() string {
	switch c.Kind {
	case ChangeNode:
		switch {
		case c.FromState == "":
			return fmt.Sprintf("node %s appeared, %s at %s", c.Name, c.ToState, c.ToVersion)
		case c.ToState == "":
			return fmt.Sprintf("node %s disappeared", c.Name)
		case c.ToState == cluster.NodeUp && c.FromState != cluster.NodeUp:
			return fmt.Sprintf("node %s up at %s", c.Name, c.ToVersion)
		case c.ToState != cluster.NodeUp && c.FromState == cluster.NodeUp:
			return fmt.Sprintf("node %s %s", c.Name, c.ToState)
		case c.FromVersion == c.ToVersion && c.FromMedia != c.ToMedia:
			return fmt.Sprintf("node %s read the media at %s", c.Name, c.ToMedia)
		default:
			return fmt.Sprintf("node %s at %s", c.Name, c.ToVersion)
		}
	case ChangeResource:
		switch {
		case c.FromState == "":
			return fmt.Sprintf("resource %s appeared, %s", c.Name, resourceWhere(c.ToState, c.ToNode))
		case c.ToState == "":
			return fmt.Sprintf("resource %s disappeared!", c.Name)
		case c.FromState == cluster.ResourceRunning && c.ToState == cluster.ResourceRunning:
			return fmt.Sprintf("resource %s moved %s → %s", c.Name, c.FromNode, c.ToNode)
		case c.ToState == cluster.ResourceRunning:
			return fmt.Sprintf("resource %s online on %s", c.Name, c.ToNode)
		case c.ToState == cluster.ResourceComatose:
			return fmt.Sprintf("resource %s comatose on %s!", c.Name, c.ToNode)
		case c.Unplanned && c.FromState == cluster.ResourceRunning:
			return fmt.Sprintf("resource %s went %s!", c.Name, c.ToState)
		case c.ToState == cluster.ResourceUpgrade:
			return fmt.Sprintf("resource %s brought offline for the media upgrade (state upgrade)", c.Name)
		default:
			return fmt.Sprintf("resource %s %s", c.Name, c.ToState)
		}
	case ChangeLicense:
		if c.ToVersion == "" {
			return fmt.Sprintf("licence %s %s removed", c.Product, c.FromVersion)
		}
		return fmt.Sprintf("licence %s %s installed", c.Product, c.ToVersion)
	case ChangeMedia:
		return fmt.Sprintf("media at %s", c.ToVersion)
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
