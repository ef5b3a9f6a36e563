// Package layers holds the test that keeps the house's imports pointing
// down: each package's layer, and what it may import, is its test's table.
package layers
