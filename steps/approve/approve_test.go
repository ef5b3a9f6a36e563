package approve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

type clockOnly struct{ cluster.Driver }

func (clockOnly) Now() time.Time { return time.Now() }

func TestApprove(t *testing.T) {
	in := &steps.Instance{Args: steps.Args{"message": "Upgrade the media?"}}
	deadline := time.Now().Add(time.Minute)
	ask := func(answer bool) func(context.Context, string) (bool, error) {
		return func(_ context.Context, q string) (bool, error) {
			if q != "Upgrade the media?" {
				t.Errorf("asked %q", q)
			}
			return answer, nil
		}
	}
	for _, tc := range []struct {
		name string
		env  steps.Env
		want string
	}{
		{"yes", steps.Env{Prompt: ask(true)}, ""},
		{"no", steps.Env{Prompt: ask(false)}, "did not answer yes"},
		{"no terminal", steps.Env{}, "no terminal"},
		{"auto", steps.Env{AutoApprove: true}, ""},
		{"interrupted", steps.Env{Prompt: func(context.Context, string) (bool, error) {
			return false, fmt.Errorf("interrupted at the prompt (%w)", steps.ErrStop)
		}}, `"Upgrade the media?" was not approved: interrupted at the prompt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			env.Driver = clockOnly{}
			err := Type{}.Run(context.Background(), &env, in, deadline)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
			if tc.name == "no" && !errors.Is(err, ErrNotApproved) {
				t.Errorf("err is not ErrNotApproved")
			}
			if tc.name == "interrupted" && !errors.Is(err, steps.ErrStop) {
				t.Errorf("err %v is not steps.ErrStop: the run would record the step failed instead of stopping there", err)
			}
		})
	}
}
