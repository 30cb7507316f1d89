package engine

// Commits is how many transactions the intake has attempted.
func (i *Intake) Commits() int64 { return i.commits.Load() }

// Queued is how many Accepts wait for a committer.
func (i *Intake) Queued() int { return i.Backlog() }
