package bench

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Where a join's CPU goes in the process, phase by phase. Every goroutine
// the benchmark starts, or has a library start for it, runs under a pprof
// label naming its part (labels pass from a goroutine to those it starts):
// the load generator, the webhook handler, the intake's committers, the
// store's own goroutines (the flush barrier, the announcer), River's
// (started under one label), the simulated agent. A job is labelled by its
// kind by a worker middleware. River's goroutines share one label; their
// samples are told apart by the functions on the stack: the completer's
// from the producer's fetches. Nothing of this runs in cohostd: the labels
// are set by the benchmark around the pieces it assembles.

const phaseKey = "phase"

// The phases of the table, in its order.
const (
	phaseLoadgen  = "load generator"
	phaseWebhook  = "webhook: HTTP, verify, decode"
	phaseIntake   = "intake: commit"
	phaseFetch    = "fetch (River's producer, the announcer)"
	phaseProcess  = "process_event"
	phaseGrant    = "grant_participant"
	phaseJobs     = "other jobs"
	phaseComplete = "complete (River's completer, the flush barrier)"
	phaseAgent    = "simulated agent"
	phaseRiver    = "River: other (leader, maintenance)"
	phaseStore    = "store: other (pools)"
	phaseRuntime  = "runtime: GC workers, scheduler (no label)"
)

var phaseOrder = []string{phaseLoadgen, phaseWebhook, phaseIntake, phaseFetch, phaseProcess, phaseGrant, phaseJobs,
	phaseComplete, phaseAgent, phaseRiver, phaseStore, phaseRuntime}

// labels set by the benchmark; "river" and "store" are split by stack.
const (
	labelRiver = "river"
	labelStore = "store"
)

// inPhase runs fn with the phase label set; goroutines fn starts keep it.
func inPhase(ctx context.Context, phase string, fn func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(phaseKey, phase), fn)
}

// jobPhase labels each job with its kind's phase. It is the outermost of
// the benchmark's worker middleware, so the job's whole work (its
// arguments' decoding included) is under the label.
type jobPhase struct{ river.MiddlewareDefaults }

var _ rivertype.WorkerMiddleware = (*jobPhase)(nil)

func (*jobPhase) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	phase := phaseJobs
	switch job.Kind {
	case "process_event":
		phase = phaseProcess
	case "grant_participant":
		phase = phaseGrant
	}
	var err error
	inPhase(ctx, phase, func(ctx context.Context) { err = doInner(ctx) })
	return err
}

// PhaseCPU is the CPU a profile attributes to each phase.
type PhaseCPU map[string]time.Duration

// phasesOf reads a CPU profile and sums its samples per phase.
func phasesOf(raw []byte) (PhaseCPU, error) {
	p, err := profile.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	cpu := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if cpu < 0 {
		return nil, fmt.Errorf("not a CPU profile")
	}
	out := PhaseCPU{}
	for _, s := range p.Sample {
		out[phaseOfSample(s)] += time.Duration(s.Value[cpu])
	}
	return out, nil
}

func phaseOfSample(s *profile.Sample) string {
	label := ""
	if l := s.Label[phaseKey]; len(l) > 0 {
		label = l[0]
	}
	switch label {
	case "":
		return phaseRuntime
	case labelRiver:
		switch {
		case onStack(s, "internal/jobcompleter.", "internal/jobexecutor."):
			return phaseComplete // the completer, and the executor reporting a job's result to it
		case onStack(s, "river.(*producer)", "internal/notifier."):
			return phaseFetch
		}
		return phaseRiver
	case labelStore:
		switch {
		case onStack(s, "store.(*flushBarrier)"):
			return phaseComplete
		case onStack(s, "store.(*announcer)"):
			return phaseFetch
		}
		return phaseStore
	}
	return label
}

// onStack reports whether a function whose name contains one of parts is
// on the sample's stack.
func onStack(s *profile.Sample, parts ...string) bool {
	for _, loc := range s.Location {
		for _, line := range loc.Line {
			if line.Function == nil {
				continue
			}
			for _, part := range parts {
				if strings.Contains(line.Function.Name, part) {
					return true
				}
			}
		}
	}
	return false
}

// profiling is a CPU profile in progress into memory.
type profiling struct{ buf bytes.Buffer }

func startProfiling() (*profiling, error) {
	p := &profiling{}
	if err := pprof.StartCPUProfile(&p.buf); err != nil {
		return nil, err
	}
	return p, nil
}

// stop ends the profile and returns it.
func (p *profiling) stop() []byte {
	pprof.StopCPUProfile()
	return p.buf.Bytes()
}

// PhaseTable renders, per target, the CPU of each phase per 1,000 joins
// (per 1,000 events for the baseline) and as a ratio to the baseline
// handler's CPU per event.
func PhaseTable(rs []IngestResult) string {
	var cols []IngestResult
	for _, r := range rs {
		if r.Phases != nil {
			cols = append(cols, r)
		}
	}
	if len(cols) == 0 {
		return ""
	}
	base := baselineCPUPerEvent(rs)
	s := "| phase |"
	sep := "|---|"
	for _, r := range cols {
		unit := "joins"
		if r.Granted == 0 {
			unit = "events"
		}
		s += fmt.Sprintf(" %s: CPU /1,000 %s | × baseline |", r.Name, unit)
		sep += "---:|---:|"
	}
	s += "\n" + sep + "\n"
	for _, phase := range append(slices.Clone(phaseOrder), "total (profiled)") {
		row := "| " + phase + " |"
		any := false
		for _, r := range cols {
			var d time.Duration
			if phase == "total (profiled)" {
				for _, v := range r.Phases {
					d += v
				}
			} else {
				d = r.Phases[phase]
			}
			any = any || d > 0
			n := r.Granted
			if n == 0 {
				n = r.Accepted
			}
			row += fmt.Sprintf(" %s | %s |", perThousand(d, n), ratioTo(d, n, base))
		}
		if any {
			s += row + "\n"
		}
	}
	return s
}
