package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the demo as a user does and reads its summary table: every
// joiner who is neither the host, the agent nor phone-only must end
// confirmed co-host (agent) or granted the abilities (permissions).
func TestDemo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cohostdemo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct{ granters, want string }{
		{"agent", "confirmed"},
		{"permissions", "granted"},
	} {
		t.Run(tc.granters, func(t *testing.T) {
			cmd := exec.Command(bin, "--granters", tc.granters, "--people", "14", "--over", "1s")
			cmd.Env = append(os.Environ(), "TERM=dumb")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("demo exited with %v:\n%s", err, out)
			}
			rows := 0
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			inTable := false
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) > 0 && f[0] == "PARTICIPANT" {
					inTable = true
					continue
				}
				if !inTable || len(f) == 0 {
					inTable = inTable && len(f) > 0
					continue
				}
				line := sc.Text()
				switch {
				case strings.Contains(line, " host ") && strings.Contains(line, "is_host"),
					strings.Contains(line, "phone-only") && strings.Contains(line, "phone_only"),
					strings.Contains(line, "cohost agent") && strings.Contains(line, "is_agent"):
				case strings.Contains(line, " guest ") || strings.Contains(line, "signed in"):
					if !strings.Contains(line, " "+tc.want+" ") {
						t.Errorf("joiner not %s: %s", tc.want, line)
					}
					rows++
				default:
					t.Errorf("unexpected summary row: %s", line)
				}
			}
			if rows != 12 { // 14 people less the host and the phone-only caller; the agent is extra
				t.Fatalf("summary has %d eligible rows, want 12:\n%s", rows, out)
			}
		})
	}
}
