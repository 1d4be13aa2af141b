package assess

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-dev/hallmark/internal/sharedtest"
)

// What `scorecard --local` (OpenSSF Scorecard v5.5.0) said of the corpus
// repositories, recorded by bench/scorecard-compare.sh: every check both
// tools make must reach the same verdict (10 pass, 0 fail, -1
// inconclusive, else partial), except the differences explained here.
func TestAgainstScorecard(t *testing.T) {
	files, _ := filepath.Glob("testdata/scorecard/*.json")
	if len(files) == 0 {
		t.Fatal("no recorded scorecard results")
	}
	names := map[string]string{
		"Binary-Artifacts": "binary-artifacts", "Dangerous-Workflow": "dangerous-workflow", "Dependency-Update-Tool": "dependency-update-tool",
		"Fuzzing": "fuzzing", "License": "license", "Packaging": "packaging", "Pinned-Dependencies": "pinned-dependencies",
		"SAST": "sast", "Security-Policy": "security-policy", "Token-Permissions": "token-permissions",
	}
	explained := map[string]string{
		// Scorecard asks OSS-Fuzz's build-status service over HTTP even with
		// --local; offline it errors (-1). hallmark reads only local evidence.
		"Fuzzing": "scorecard needs the network for OSS-Fuzz",
	}
	verdict := func(score int) string {
		switch score {
		case 10:
			return "pass"
		case 0:
			return "fail"
		case -1:
			return "inconclusive"
		}
		return "partial"
	}
	for _, f := range files {
		repo := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(repo, func(t *testing.T) {
			dir := ""
			if name, ok := strings.CutPrefix(repo, "repo-"); ok {
				dir = filepath.Join("testdata", "repos", name) // a real repository's checked files (testdata/repos/SOURCES.md)
			} else {
				dir = sharedtest.Path(t, "corpus/github-actions/"+repo)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var sc struct{ Checks map[string]int }
			if err := json.Unmarshal(b, &sc); err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := byID(rep)
			for name, score := range sc.Checks {
				id, ok := names[name]
				if !ok || explained[name] != "" {
					continue
				}
				c := got[id]
				want := verdict(score)
				if name == "License" && score > 0 {
					// Scorecard grades the license (9: found, not at the root or
					// not recognised as FSF/OSI); hallmark scores presence.
					want = "pass"
				}
				have := string(c.Result)
				if c.Result == Unknown || c.Result == NotApplicable {
					have = "inconclusive"
				}
				if name == "Pinned-Dependencies" && score < 10 && (c.Result == Fail || c.Result == Partial) {
					// Both say "not everything is pinned"; Scorecard weights the
					// kinds of dependency (actions, images, downloads, installs)
					// before normalising, hallmark counts them, so 1 and 0 can
					// fall on either side of the fail/partial line.
					want = have
				}
				if have != want {
					t.Errorf("%s: scorecard %s (%d), hallmark %s (%d: %s)", name, want, score, have, c.Score, c.Reason)
				}
			}
		})
	}
}
