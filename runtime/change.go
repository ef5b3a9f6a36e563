package runtime

import (
	"github.com/runbookhq/runbook/cluster"
)

// String says what changed, in a few words: "resource POOL1 moved FS1 → FS2",
// "node FS1 up at 6.5". (Concatenated, not formatted: a run says it of
// every change it sees.)
func (c Change) String() string {
	p := c.words()
	return p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6]
}

// words are the pieces String joins, "" for those a change has not.
func (c *Change) words() [7]string {
	switch c.Kind {
	case ChangeNode:
		switch {
		case c.FromState == "":
			return [7]string{"node ", c.Name, " appeared, ", c.ToState, " at ", c.ToVersion}
		case c.ToState == "":
			return [7]string{"node ", c.Name, " disappeared"}
		case c.ToState == cluster.NodeUp && c.FromState != cluster.NodeUp:
			return [7]string{"node ", c.Name, " up at ", c.ToVersion}
		case c.ToState != cluster.NodeUp && c.FromState == cluster.NodeUp:
			return [7]string{"node ", c.Name, " ", c.ToState}
		case c.FromVersion == c.ToVersion && c.FromMedia != c.ToMedia:
			return [7]string{"node ", c.Name, " read the media at ", c.ToMedia}
		default:
			return [7]string{"node ", c.Name, " at ", c.ToVersion}
		}
	case ChangeResource:
		switch {
		case c.FromState == "":
			w := whereWords(c.ToState, c.ToNode)
			return [7]string{"resource ", c.Name, " appeared, ", w[0], w[1], w[2], w[3]}
		case c.ToState == "":
			return [7]string{"resource ", c.Name, " disappeared!"}
		case c.FromState == cluster.ResourceRunning && c.ToState == cluster.ResourceRunning:
			return [7]string{"resource ", c.Name, " moved ", c.FromNode, " → ", c.ToNode}
		case c.ToState == cluster.ResourceRunning:
			return [7]string{"resource ", c.Name, " online on ", c.ToNode}
		case c.ToState == cluster.ResourceComatose:
			return [7]string{"resource ", c.Name, " comatose on ", c.ToNode, "!"}
		case c.Unplanned && c.FromState == cluster.ResourceRunning:
			return [7]string{"resource ", c.Name, " went ", c.ToState, "!"}
		case c.ToState == cluster.ResourceUpgrade:
			return [7]string{"resource ", c.Name, " brought offline for the media upgrade (state upgrade)"}
		default:
			return [7]string{"resource ", c.Name, " ", c.ToState}
		}
	case ChangeLicense:
		if c.ToVersion == "" {
			return [7]string{"licence ", c.Product, " ", c.FromVersion, " removed"}
		}
		return [7]string{"licence ", c.Product, " ", c.ToVersion, " installed"}
	case ChangeMedia:
		return [7]string{"media at ", c.ToVersion}
	}
	return [7]string{c.Kind, " changed"}
}

func resourceWhere(state, node string) string {
	w := whereWords(state, node)
	return w[0] + w[1] + w[2] + w[3]
}

// whereWords are the pieces resourceWhere joins.
func whereWords(state, node string) [4]string {
	if state == cluster.ResourceRunning {
		return [4]string{"running on ", node}
	}
	if node != "" {
		return [4]string{state, " (last on ", node, ")"}
	}
	return [4]string{state}
}

// Alarming reports whether the change is an outage or a fault.
func (c Change) Alarming() bool {
	return c.Kind == ChangeResource && (c.Unplanned || c.ToState == cluster.ResourceComatose || c.ToState == "")
}
