package procgroup

import (
	"os/exec"
	"syscall"
	"testing"
)

func TestAlive(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	if !Alive(pgid) || !ProcessAlive(pgid) {
		t.Errorf("the group of a running sleep is not alive")
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	cmd.Wait()
	if Alive(pgid) || ProcessAlive(pgid) {
		t.Errorf("the group of a killed and reaped sleep is alive")
	}
	if Alive(0) || Alive(-1) {
		t.Errorf("Alive of a non-positive id is true")
	}
	if BootID() == "" {
		t.Log("no boot id on this system")
	}
}
