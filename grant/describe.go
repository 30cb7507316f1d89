package grant

import (
	"strconv"
	"time"
)

// Step is where a pending grant stands, as the granter working on it tells.
type Step string

// Steps of a pending grant.
const (
	// StepQueued: in line for its turn (the host page makes one co-host at
	// a time); Progress.Place says where.
	StepQueued Step = "queued"
	// StepPromoting: the call that makes them co-host is under way.
	StepPromoting Step = "promoting"
	// StepHeld: something holds the grant (Progress.Reason says what: the
	// waiting room, a refusal that is tried again); it goes on by itself
	// until Progress.Until.
	StepHeld Step = "held"
	// StepFallback: no host page runs the meeting; at Progress.Until the
	// grant falls back to Progress.Then (or fails when there is none).
	StepFallback Step = "fallback"
	// StepRoleShown: Zoom shows them as co-host already (nobody in cohost
	// asked); Zoom's role-change event will say so.
	StepRoleShown Step = "role_shown"
	// StepIdentity: the policy needs what only Zoom's join event carries
	// (their email or Zoom account), which has not arrived yet.
	StepIdentity Step = "identity"
)

// Progress is what the granter working on a pending grant reports of it:
// the words of a pending participant's sentence. The zero Progress says only
// that the grant is pending.
type Progress struct {
	// Granter is the granter working on it.
	Granter string
	Step    Step
	// Reason is what holds a StepHeld grant (a registered reason; its
	// Waiting sentence), and the last failure of a queued one.
	Reason Reason
	// Detail is what the other side said last (Zoom's code and words).
	Detail string
	// Attempts counts the failed tries so far.
	Attempts int
	// Place is the place in line of a StepQueued grant, 1 for the next.
	Place int
	// Wait is about how long until their turn (StepQueued).
	Wait time.Duration
	// Until is when a held grant gives up, or when a StepFallback grant
	// falls back.
	Until time.Time
	// Then is the granter a StepFallback grant falls back to ("" when the
	// grant fails then).
	Then string
}

// Describe is the one sentence that answers "did this participant get
// co-host, and if not, why?": the admin API, the console, the host page's
// panel and the log lines all show it. progress says where a pending grant
// stands (the zero Progress when nobody reported). Times are in UTC, so the
// sentence reads the same on every page and in the log.
func Describe(p Participant, progress Progress) string {
	switch p.State {
	case StatePending:
		return "pending: " + describePending(p, progress)
	case StateGranted:
		switch p.Granter {
		case "agent":
			return "granted via agent: the co-host agent made them co-host; Zoom has not confirmed the role change yet"
		case "permissions":
			return "granted via permissions: they have co-host abilities through the meeting's settings, not the co-host role"
		case "alternative-hosts":
			return "granted via alternative-hosts: they are an alternative host and become co-host when they join signed in"
		}
		return "granted" + via(p.Granter)
	case StateConfirmed:
		return "co-host: " + describeConfirmed(p)
	case StateSkipped:
		return "not co-host (skipped): " + p.Reason.Text()
	case StateFailed:
		s := "not co-host (failed" + via(p.Granter)
		if p.Attempts > 0 {
			s += " after " + times(p.Attempts, "attempt", "attempts")
		}
		s += "): " + p.Reason.Text()
		if p.Detail != "" {
			s += " (" + p.Detail + ")"
		}
		return s
	}
	return string(p.State)
}

func describePending(p Participant, pr Progress) string {
	until := ""
	if !pr.Until.IsZero() {
		until = "; trying until " + Clock(pr.Until)
	}
	switch pr.Step {
	case StepQueued:
		s := ordinal(pr.Place) + " in line"
		switch pr.Place {
		case 0:
			s = "waiting for their turn"
		case 1:
			s = "next in line"
		}
		if pr.Granter == "host-client" {
			s += " on the host page"
		}
		if pr.Wait > 0 {
			s += ", about " + roughly(pr.Wait)
		}
		if pr.Attempts > 0 {
			s += " (" + tries(pr) + ")"
		}
		return s
	case StepPromoting:
		s := "the host page is making them co-host now"
		if pr.Attempts > 0 {
			s += " (" + tries(pr) + ")"
		}
		return s
	case StepHeld:
		s := pr.Reason.Waiting()
		if pr.Attempts > 0 {
			s += " (" + tries(pr) + ")"
		}
		return s + until
	case StepFallback:
		s := pr.Reason.Waiting()
		if pr.Reason == "" {
			s = ReasonNoHostPage.Waiting()
		}
		if pr.Then != "" {
			return s + "; falls back to " + pr.Then + " at " + Clock(pr.Until)
		}
		return s + "; fails at " + Clock(pr.Until) + " unless one opens"
	case StepRoleShown:
		return "Zoom shows them as co-host already (nobody in cohost asked for it); waiting for Zoom's role-change event"
	case StepIdentity:
		return "waiting for Zoom's join event, which the policy needs (their email or Zoom account)"
	}
	if p.Attempts > 0 {
		return "not co-host yet, after " + times(p.Attempts, "attempt", "attempts")
	}
	return "not co-host yet"
}

func describeConfirmed(p Participant) string {
	after := ""
	if !p.JoinSeenAt.IsZero() && !p.ConfirmedAt.IsZero() {
		after = ", " + strconv.FormatInt(p.ConfirmedAt.Sub(p.JoinSeenAt).Milliseconds(), 10) + " ms after cohost saw the join"
	}
	switch p.Granter {
	case GranterHost:
		s := "made co-host by the host in the meeting"
		switch {
		case p.Reason == "":
		case p.Reason.Kind() == KindSkip:
			s += " (cohost skipped them: " + p.Reason.Text() + ")"
		default:
			s += " (cohost's grant had failed: " + p.Reason.Text() + ")"
		}
		return s
	case "":
		return "Zoom confirmed the role change; who made them co-host is not known yet"
	case "host-client":
		return "made co-host by the host page (the host's Zoom client, on cohost's request)" + after
	case "agent":
		return "made co-host by the co-host agent; Zoom confirmed the role change" + after
	case "alternative-hosts":
		return "Zoom made them co-host as an alternative host" + after
	}
	return "Zoom confirmed the role change via " + p.Granter + after
}

func via(granter string) string {
	if granter == "" {
		return ""
	}
	return " via " + granter
}

func tries(pr Progress) string {
	s := times(pr.Attempts, "try", "tries") + " so far"
	if pr.Detail != "" {
		s += "; last: " + pr.Detail
	} else if pr.Reason != "" && pr.Step != StepHeld {
		s += "; last: " + pr.Reason.Waiting()
	}
	return s
}

func times(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Clock is a time as the sentences show it: the time of day in UTC.
func Clock(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

func ordinal(n int) string {
	s := strconv.Itoa(n)
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return s + "th"
	case n%10 == 1:
		return s + "st"
	case n%10 == 2:
		return s + "nd"
	case n%10 == 3:
		return s + "rd"
	}
	return s + "th"
}

// roughly says a short wait in whole seconds, or minutes past two.
func roughly(d time.Duration) string {
	if d < 2*time.Minute {
		return strconv.Itoa(max(1, int((d+time.Second/2)/time.Second))) + " s"
	}
	return strconv.Itoa(int((d+30*time.Second)/time.Minute)) + " min"
}
