package explore

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestMain(m *testing.M) {
	debug.SetGCPercent(400) // as ext4play explore does
	os.Exit(m.Run())
}
