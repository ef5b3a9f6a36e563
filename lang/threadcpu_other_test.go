//go:build !linux

package lang

import "time"

// threadCPU is not measured here.
func threadCPU() time.Duration { return 0 }
