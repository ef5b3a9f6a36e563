package runtime

import "time"

// Approval is an operator's answer to a question of the run.
type Approval struct {
	Time time.Time
	// Answer is "yes" or "no" (anything but yes), or "--auto-approve".
	Answer string
}

// audit adds to a record who it is about: the user and host of the run (the
// lock's holder) on a run record, with the answer to its confirmation. The
// caller holds s.mu.
func (s *State) audit(r *Record) {
	switch r.Type {
	case RecordRun:
		if r.User == "" && r.Host == "" {
			r.User, r.Host = s.holder.User, s.holder.Host
		}
		if c := s.Confirmation; c != nil && r.Answer == "" {
			t := c.Time
			r.Answer, r.Answered = c.Answer, &t
		}
	case RecordStep:
		if r.Status == StatusStarted {
			s.current = r.Address
		}
	}
}

// Approved journals an operator's answer at the prompt of the step in
// flight (the last one journaled as started): who answered, when, and
// what.
func (s *State) Approved(t time.Time, yes bool) error {
	answer := "no"
	if yes {
		answer = "yes"
	}
	s.mu.Lock()
	addr := s.current
	s.mu.Unlock()
	return s.Append(Record{Type: RecordApproval, Time: t, Address: addr, User: s.holder.User, Host: s.holder.Host, Answer: answer})
}
