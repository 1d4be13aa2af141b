package assess

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/hallmark-dev/hallmark/internal/limits"
	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/scan"
)

func (c *Check) add(e Evidence) {
	if len(c.Evidence) < limits.AssessFindings {
		c.Evidence = append(c.Evidence, e)
	}
}

// unreadable adds the workflows that could not be read, and makes a check
// that found nothing unknown rather than passing.
func (r *repo) unreadable(c *Check) bool {
	bad := false
	for _, w := range r.workflows {
		if w.err != "" {
			c.add(Evidence{File: w.file, Note: "not checked: " + w.err})
			bad = true
		}
	}
	return bad
}

// allSteps visits every step of every readable workflow.
func (r *repo) allSteps(fn func(w *workflow, j *job, s *step)) {
	for _, w := range r.workflows {
		for i := range w.jobs {
			for k := range w.jobs[i].steps {
				fn(w, &w.jobs[i], &w.jobs[i].steps[k])
			}
		}
	}
}

// Binary-Artifacts (Scorecard): executables and compiled code in the
// repository; score 10 minus one per file.
func (r *repo) binaryArtifacts() Check {
	c := Check{ID: "binary-artifacts"}
	exts := map[string]bool{".exe": true, ".dll": true, ".so": true, ".dylib": true, ".jar": true, ".war": true, ".class": true,
		".pyc": true, ".pyo": true, ".o": true, ".a": true, ".obj": true, ".lib": true, ".wasm": true, ".msi": true, ".apk": true, ".deb": true, ".rpm": true, ".whl": true, ".gem": true, ".nupkg": true, ".elf": true, ".bin": true, ".com": true, ".crx": true, ".dex": true}
	n := 0
	for _, f := range r.files {
		if exts[strings.ToLower(path.Ext(f))] || isExecutable(r, f) {
			n++
			c.add(Evidence{File: f, Note: "binary artifact"})
		}
	}
	c.Score = max(0, 10-n)
	c.Result, c.Reason = Pass, "no binaries in the repository"
	if n > 0 {
		c.Result, c.Reason = Fail, fmt.Sprintf("%d binary file(s) in the repository", n)
	}
	return c
}

// isExecutable sniffs ELF, PE and Mach-O headers.
func isExecutable(r *repo, f string) bool {
	fh, err := r.fsys.Open(f)
	if err != nil {
		return false
	}
	defer fh.Close()
	var b [4]byte
	if n, _ := fh.Read(b[:]); n < 4 {
		return false
	}
	return bytes.Equal(b[:], []byte("\x7fELF")) || bytes.Equal(b[:2], []byte("MZ")) ||
		bytes.Equal(b[:], []byte{0xfe, 0xed, 0xfa, 0xcf}) || bytes.Equal(b[:], []byte{0xcf, 0xfa, 0xed, 0xfe}) || bytes.Equal(b[:], []byte{0xca, 0xfe, 0xba, 0xbe})
}

// Dangerous-Workflow (Scorecard): untrusted code checked out in a
// privileged trigger, and script injection from event fields.
func (r *repo) dangerousWorkflow() Check {
	c := Check{ID: "dangerous-workflow"}
	n := 0
	r.allSteps(func(w *workflow, j *job, s *step) {
		priv := w.triggers["pull_request_target"] || w.triggers["workflow_run"]
		if priv && strings.Contains(s.uses, "actions/checkout") && prHead().MatchString(s.with["ref"]) {
			n++
			c.add(Evidence{File: w.file, Line: s.line, Note: "untrusted code checked out in a " + trigger(w) + " workflow (ref: " + s.with["ref"] + ")"})
		}
		if m := untrusted().FindString(s.run); m != "" {
			n++
			c.add(Evidence{File: w.file, Line: s.line, Note: "script injection: " + m + " expanded inside run:"})
		}
	})
	c.Result, c.Score, c.Reason = Pass, 10, "no dangerous pattern in the workflows"
	if n > 0 {
		c.Result, c.Score, c.Reason = Fail, 0, fmt.Sprintf("%d dangerous pattern(s)", n)
	} else if len(r.workflows) == 0 {
		c.Result, c.Score, c.Reason = NotApplicable, -1, "no GitHub Actions workflows"
	} else if r.unreadable(&c) {
		c.Result, c.Score, c.Reason = Unknown, -1, "some workflows could not be read"
	}
	return c
}

func trigger(w *workflow) string {
	if w.triggers["pull_request_target"] {
		return "pull_request_target"
	}
	return "workflow_run"
}

// Dependency-Update-Tool (Scorecard): Dependabot or Renovate configured.
func (r *repo) dependencyUpdateTool() Check {
	c := Check{ID: "dependency-update-tool"}
	for _, f := range r.find(func(p string) bool {
		switch p {
		case ".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".github/renovate.json", ".github/renovate.json5", ".gitlab/renovate.json":
			return true
		}
		return false
	}) {
		c.add(Evidence{File: f, Note: "update tool configured"})
	}
	c.Result, c.Score, c.Reason = Fail, 0, "no Dependabot or Renovate configuration"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "an update tool is configured"
	}
	return c
}

var goFuzz = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^func Fuzz[A-Z0-9_][A-Za-z0-9_]*\(\w+ \*testing\.F\)`)
})

// Fuzzing (Scorecard): OSS-Fuzz or ClusterFuzzLite, Go native fuzz tests,
// cargo-fuzz, Atheris, Jazzer.
func (r *repo) fuzzing() Check {
	c := Check{ID: "fuzzing"}
	for _, f := range r.files {
		switch {
		case strings.HasPrefix(f, ".clusterfuzzlite/"):
			c.add(Evidence{File: f, Note: "ClusterFuzzLite"})
		case path.Base(f) == "project.yaml" && strings.Contains(f, "oss-fuzz"):
			c.add(Evidence{File: f, Note: "OSS-Fuzz project"})
		case strings.HasSuffix(f, "_test.go"):
			if b := r.read(f); b != nil {
				if loc := goFuzz().FindIndex(b); loc != nil {
					c.add(Evidence{File: f, Line: bytes.Count(b[:loc[0]], []byte("\n")) + 1, Note: "Go fuzz test"})
				}
			}
		case strings.HasPrefix(f, "fuzz/") && path.Base(f) == "Cargo.toml":
			c.add(Evidence{File: f, Note: "cargo-fuzz"})
		}
	}
	c.Result, c.Score, c.Reason = Fail, 0, "no fuzzing found"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, fmt.Sprintf("%d fuzz target(s) or fuzzing setup(s)", len(c.Evidence))
	}
	return c
}

// License (Scorecard): a license file at the root (or LICENSES/).
func (r *repo) license() Check {
	c := Check{ID: "license"}
	for _, f := range r.files {
		b := strings.ToLower(path.Base(f))
		dir := path.Dir(f)
		if (dir == "." || dir == "LICENSES") && (strings.HasPrefix(b, "license") || strings.HasPrefix(b, "licence") || strings.HasPrefix(b, "copying") || dir == "LICENSES") {
			c.add(Evidence{File: f, Note: "license file"})
		}
	}
	c.Result, c.Score, c.Reason = Fail, 0, "no license file at the root"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "license file present"
	}
	return c
}

var publishers = []string{"goreleaser/goreleaser-action", "npm publish", "pypa/gh-action-pypi-publish", "docker/build-push-action", "twine upload", "cargo publish", "gem push", "mvn deploy", "gradle publish", "softprops/action-gh-release", "gh release create", "hallmark release", "ko build", "dotnet nuget push"}

// Packaging (Scorecard): a workflow that publishes releases.
func (r *repo) packaging() Check {
	c := Check{ID: "packaging"}
	r.allSteps(func(w *workflow, j *job, s *step) {
		for _, p := range publishers {
			if strings.Contains(s.uses, p) || strings.Contains(s.run, p) {
				c.add(Evidence{File: w.file, Line: s.line, Note: "publishes: " + p})
				return
			}
		}
	})
	c.Result, c.Score, c.Reason = Unknown, -1, "no publishing workflow found (releases may be published elsewhere)"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "releases are published by a workflow"
	}
	return c
}

var (
	curlPipe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(curl|wget)[^|\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b`) })
	pipUnpin  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bpip3? install\b`) })
	npmUnpin  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bnpm (i|install)\b`) })
	fromImage = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?mi)^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)`) })
)

// Pinned-Dependencies (Scorecard): actions by commit SHA, images by
// digest, no curl|sh, pip installs with hashes, npm ci rather than install.
func (r *repo) pinnedDependencies() Check {
	c := Check{ID: "pinned-dependencies"}
	total, pinned := 0, 0
	r.allSteps(func(w *workflow, j *job, s *step) {
		if s.uses != "" && !strings.HasPrefix(s.uses, "./") {
			total++
			if shaRef().MatchString(s.uses) || strings.HasPrefix(s.uses, "docker://") && strings.Contains(s.uses, "@sha256:") {
				pinned++
			} else {
				c.add(Evidence{File: w.file, Line: s.line, Note: "action not pinned by commit SHA: " + s.uses})
			}
		}
		for _, l := range strings.Split(s.run, "\n") {
			switch {
			case curlPipe().MatchString(l):
				total++
				c.add(Evidence{File: w.file, Line: s.line, Note: "downloads and runs a script unverified: " + strings.TrimSpace(l)})
			case pipUnpin().MatchString(l) && !strings.Contains(l, "--require-hashes") && !strings.Contains(l, "-r ") && !strings.Contains(l, "-e ") && !strings.Contains(l, " ."):
				total++
				c.add(Evidence{File: w.file, Line: s.line, Note: "pip install without hashes: " + strings.TrimSpace(l)})
			case npmUnpin().MatchString(l):
				total++
				c.add(Evidence{File: w.file, Line: s.line, Note: "npm install (npm ci installs what the lockfile pins): " + strings.TrimSpace(l)})
			}
		}
	})
	for _, f := range r.find(func(p string) bool {
		// Dockerfiles under testdata are fixtures (other projects'
		// files), not what this repository builds with.
		b := strings.ToLower(path.Base(p))
		return !strings.Contains(p, "testdata/") && (b == "dockerfile" || strings.HasSuffix(b, ".dockerfile") || strings.HasPrefix(b, "dockerfile."))
	}) {
		b := r.read(f)
		for _, m := range fromImage().FindAllSubmatchIndex(b, -1) {
			img := string(b[m[2]:m[3]])
			if img == "scratch" || strings.Contains(img, "$") {
				continue
			}
			total++
			if strings.Contains(img, "@sha256:") {
				pinned++
			} else {
				c.add(Evidence{File: f, Line: bytes.Count(b[:m[0]], []byte("\n")) + 1, Note: "base image not pinned by digest: " + img})
			}
		}
	}
	switch {
	case total == 0:
		c.Result, c.Score, c.Reason = NotApplicable, -1, "no third-party dependency in workflows or Dockerfiles"
	case pinned == total:
		c.Result, c.Score, c.Reason = Pass, 10, fmt.Sprintf("all %d pinned", total)
	default:
		c.Score = 10 * pinned / total
		c.Result, c.Reason = Partial, fmt.Sprintf("%d of %d pinned", pinned, total)
		if pinned == 0 {
			c.Result = Fail
		}
	}
	if r.unreadable(&c) && c.Result == Pass {
		c.Result, c.Reason = Partial, c.Reason+"; some workflows could not be read"
	}
	return c
}

// sastTools are the tools Scorecard's SAST check recognises in workflows
// (checks/raw/sast.go): CodeQL's analyze action, SonarCloud/SonarQube,
// Snyk, Pysa and Qodana. Linters such as golangci-lint and staticcheck are
// not counted, as Scorecard does not count them.
var sastTools = []string{"github/codeql-action/analyze", "SonarSource/sonarcloud-github-action", "SonarSource/sonarqube-scan-action", "sonarqube-scan-action", "snyk/actions/", "facebook/pysa-action", "JetBrains/qodana-action"}

// SAST (Scorecard): a static analysis tool runs in CI.
func (r *repo) sast() Check {
	c := Check{ID: "sast"}
	r.allSteps(func(w *workflow, j *job, s *step) {
		for _, t := range sastTools {
			if strings.Contains(s.uses, t) || strings.Contains(s.run, t) {
				c.add(Evidence{File: w.file, Line: s.line, Note: "static analysis: " + strings.TrimSpace(t)})
				return
			}
		}
	})
	c.Result, c.Score, c.Reason = Fail, 0, "no static analysis in CI"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "static analysis runs in CI"
	}
	return c
}

var (
	contact = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}|https?://\S+`)
	})
	disclosure = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)disclos|vulnerabilit|report(ing)? (a )?(security|vulnerab)|embargo|coordinated|security advisor`)
	})
)

// Security-Policy (Scorecard): SECURITY.md with a contact and a disclosure
// process.
func (r *repo) securityPolicy() Check {
	c := Check{ID: "security-policy"}
	files := r.find(func(p string) bool {
		return strings.EqualFold(p, "SECURITY.md") || strings.EqualFold(p, ".github/SECURITY.md") || strings.EqualFold(p, "docs/SECURITY.md") || strings.EqualFold(p, "SECURITY.rst") || strings.EqualFold(p, "SECURITY.txt")
	})
	c.Result, c.Score, c.Reason = Fail, 0, "no security policy (SECURITY.md)"
	for _, f := range files {
		b := r.read(f)
		hasContact, hasProcess := contact().Match(b), disclosure().Match(b)
		c.add(Evidence{File: f, Note: fmt.Sprintf("contact: %v, disclosure process: %v", hasContact, hasProcess)})
		switch {
		case hasContact && hasProcess:
			c.Result, c.Score, c.Reason = Pass, 10, "security policy with a contact and a disclosure process"
		case c.Result != Pass:
			c.Result, c.Score, c.Reason = Partial, 5, "security policy without a contact or without a disclosure process"
		}
	}
	return c
}

// Token-Permissions, scored as Scorecard scores it
// (checks/evaluation/permissions.go): from 10, a workflow whose top level
// and some job both leave permissions undeclared scores 0; top-level write
// costs 10 for contents, packages or actions, 1 for deployments or
// security-events, 0.5 for checks or statuses (issues, pull-requests and
// the others are not penalised); write-all costs 0.5, or everything when a
// job writes or is undeclared too; a job's write costs 0.5 when the top
// level is undeclared, everything when the top level writes as well.
func (r *repo) tokenPermissions() Check {
	c := Check{ID: "token-permissions"}
	if len(r.workflows) == 0 {
		c.Result, c.Score, c.Reason = NotApplicable, -1, "no GitHub Actions workflows"
		return c
	}
	score, n := 10.0, 0
	zero := false
	for _, w := range r.workflows {
		if w.err != "" {
			continue
		}
		n++
		jobUndeclared, jobWrites := false, false
		for _, j := range w.jobs {
			if j.perms == "" && j.uses == "" {
				jobUndeclared = true
			}
			if j.perms == "write-all" || len(j.write) > 0 {
				jobWrites = true
				c.add(Evidence{File: w.file, Line: j.line, Note: "job " + j.id + " writes: " + strings.Join(append([]string{j.perms}, j.write...), " ")})
			}
		}
		switch {
		case w.topPerms == "" && jobUndeclared:
			zero = true
			c.add(Evidence{File: w.file, Note: "no permissions at the top level nor on every job: the token gets the repository's default (often write)"})
		case w.topPerms == "":
			if jobWrites {
				score -= 0.5
			}
		case w.topPerms == "write-all":
			c.add(Evidence{File: w.file, Note: "top-level permissions: write-all"})
			if jobWrites || jobUndeclared {
				zero = true
			}
			score -= 0.5
		default:
			for _, scope := range w.topWrite {
				c.add(Evidence{File: w.file, Note: "top-level write: " + scope})
				switch scope {
				case "contents", "packages", "actions":
					score -= 10
				case "deployments", "security-events":
					score--
				case "checks", "statuses":
					score -= 0.5
				}
			}
			if len(w.topWrite) > 0 && jobWrites {
				zero = true
			}
		}
	}
	if n == 0 {
		r.unreadable(&c)
		c.Result, c.Score, c.Reason = Unknown, -1, "no workflow could be read"
		return c
	}
	if zero || score < 0 {
		score = 0
	}
	c.Score = int(score)
	switch {
	case c.Score == 10:
		c.Result, c.Reason = Pass, "workflow tokens follow least privilege"
	case c.Score == 0:
		c.Result, c.Reason = Fail, "workflow tokens with excessive permissions"
	default:
		c.Result, c.Reason = Partial, fmt.Sprintf("some write permissions at the top level (score %d)", c.Score)
	}
	if r.unreadable(&c) && c.Result == Pass {
		c.Result, c.Reason = Partial, c.Reason+"; some workflows could not be read"
	}
	return c
}

var testCmds = []string{"go test", "npm test", "npm run test", "yarn test", "pnpm test", "pytest", "tox", "nox", "cargo test", "mvn test", "mvn verify", "gradle test", "gradlew test", "./gradlew check", "make test", "make check", "bundle exec rspec", "rake test", "dotnet test", "mix test", "flutter test", "swift test", ".ci/run", "ctest"}

// CI-Tests (Scorecard, as far as workflows show it): tests run on pull
// requests or pushes.
func (r *repo) ciTests() Check {
	c := Check{ID: "ci-tests"}
	r.allSteps(func(w *workflow, j *job, s *step) {
		if !(w.triggers["pull_request"] || w.triggers["push"] || w.triggers["merge_group"]) {
			return
		}
		for _, t := range testCmds {
			if strings.Contains(s.run, t) {
				c.add(Evidence{File: w.file, Line: s.line, Note: "tests: " + t})
				return
			}
		}
	})
	c.Result, c.Score, c.Reason = Unknown, -1, "no test step found in workflows (tests may run in another CI)"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "tests run on pull requests or pushes"
	}
	return c
}

// stepsMatching records the steps whose uses or run contain any of pats.
func (r *repo) stepsMatching(c *Check, pats []string, note string) {
	r.allSteps(func(w *workflow, j *job, s *step) {
		for _, p := range pats {
			if strings.Contains(s.uses, p) || strings.Contains(s.run, p) {
				c.add(Evidence{File: w.file, Line: s.line, Note: note + ": " + p})
				return
			}
		}
	})
}

func (r *repo) sbomInCI() Check {
	c := Check{ID: "sbom-in-ci"}
	r.stepsMatching(&c, []string{"hallmark sbom", "hallmark release", "syft ", "anchore/sbom-action", "cdxgen", "trivy sbom", "cyclonedx-", "spdx-sbom-generator", "microsoft/sbom-tool"}, "SBOM produced")
	c.Result, c.Score, c.Reason = Fail, 0, "no SBOM is produced in CI"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "an SBOM is produced in CI"
	}
	return c
}

func (r *repo) vulnGate() Check {
	c := Check{ID: "vulnerability-gate"}
	r.allSteps(func(w *workflow, j *job, s *step) {
		t := s.uses + " " + s.run
		switch {
		case strings.Contains(t, "hallmark scan") && (strings.Contains(t, "--fail-on") || strings.Contains(t, "--policy")),
			strings.Contains(t, "hallmark policy check"), strings.Contains(t, "hallmark release"),
			strings.Contains(t, "grype") && strings.Contains(t, "fail-on"), strings.Contains(t, "trivy") && strings.Contains(t, "exit-code"),
			strings.Contains(t, "osv-scanner"), strings.Contains(t, "dependency-review-action"):
			c.add(Evidence{File: w.file, Line: s.line, Note: "vulnerability gate"})
		}
	})
	c.Result, c.Score, c.Reason = Fail, 0, "no CI step fails the build on known vulnerabilities"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "a CI step gates on known vulnerabilities"
	}
	return c
}

// signedReleases (Scorecard's Signed-Releases needs the GitHub API; here
// from a hallmark release manifest, or signing steps in workflows).
func (r *repo) signedReleases(manifest []byte) Check {
	c := Check{ID: "signed-releases", Score: -1}
	if manifest != nil {
		if bytes.Contains(manifest, []byte("sigstore")) || bytes.Contains(manifest, []byte(`"bundle"`)) {
			c.add(Evidence{Note: "the release manifest lists signature bundles"})
			c.Result, c.Score, c.Reason = Pass, 10, "the release's artifacts are signed"
			return c
		}
		c.Result, c.Score, c.Reason = Fail, 0, "the release manifest lists no signature"
		return c
	}
	r.stepsMatching(&c, []string{"cosign sign", "sigstore/cosign-installer", "hallmark sign", "hallmark release", "actions/attest-build-provenance", "gpg --detach-sign", "minisign"}, "signing")
	c.Result, c.Reason = Unknown, "no release manifest given (--release) and no signing step in workflows: releases on the host cannot be checked offline"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "releases are signed in CI"
	}
	return c
}

func (r *repo) provenance(manifest []byte) Check {
	c := Check{ID: "build-provenance", Score: -1}
	if manifest != nil && bytes.Contains(manifest, []byte("slsa.dev/provenance")) {
		c.add(Evidence{Note: "the release manifest has SLSA provenance"})
		c.Result, c.Score, c.Reason = Pass, 10, "the release has SLSA provenance"
		return c
	}
	r.stepsMatching(&c, []string{"slsa-framework/slsa-github-generator", "actions/attest-build-provenance", "hallmark attest", "hallmark release", "provenance: true"}, "provenance")
	c.Result, c.Score, c.Reason = Fail, 0, "no build provenance is produced"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "build provenance is produced"
	}
	return c
}

func (r *repo) vexPublished(manifest []byte) Check {
	c := Check{ID: "vex-published"}
	if manifest != nil && bytes.Contains(bytes.ToLower(manifest), []byte("vex")) {
		c.add(Evidence{Note: "the release manifest has a VEX document"})
	}
	for _, f := range r.find(func(p string) bool {
		b := strings.ToLower(path.Base(p))
		return strings.Contains(b, "vex") && strings.HasSuffix(b, ".json")
	}) {
		if b := r.read(f); !strings.Contains(f, "testdata/") && (bytes.Contains(b, []byte("openvex.dev/ns")) || bytes.Contains(b, []byte(`"analysis"`))) {
			c.add(Evidence{File: f, Note: "VEX document"})
		}
	}
	r.stepsMatching(&c, []string{"hallmark release", "-o openvex", "vexctl"}, "VEX produced")
	c.Result, c.Score, c.Reason = Fail, 0, "no VEX is published: customers cannot tell which findings do not affect them"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "VEX is published"
	}
	return c
}

func (r *repo) updateChannel() Check {
	c := Check{ID: "update-channel"}
	for _, f := range r.find(baseIs("root.json")) {
		if b := r.read(f); bytes.Contains(b, []byte(`"_type"`)) && bytes.Contains(b, []byte(`"root"`)) && !strings.Contains(f, "testdata/") {
			c.add(Evidence{File: f, Note: "TUF root metadata"})
		}
	}
	r.stepsMatching(&c, []string{"hallmark tuf", "hallmark release", "tuf-on-ci", "go-tuf"}, "TUF repository")
	c.Result, c.Score, c.Reason = Unknown, -1, "no authenticated update channel found (TUF); not applicable to libraries published to a registry"
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Pass, 10, "updates are delivered through TUF"
	}
	return c
}

// lockfiles: every manifest has its lockfile committed beside it.
func (r *repo) lockfiles() Check {
	c := Check{ID: "lockfiles"}
	locks := map[string][]string{
		"package.json": {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"},
		"go.mod":       {"go.sum"}, "Cargo.toml": {"Cargo.lock"}, "Gemfile": {"Gemfile.lock"}, "composer.json": {"composer.lock"},
		"pyproject.toml": {"poetry.lock", "uv.lock", "pdm.lock", "requirements.txt"}, "Pipfile": {"Pipfile.lock"}, "pubspec.yaml": {"pubspec.lock"}, "mix.exs": {"mix.lock"},
	}
	have := map[string]bool{}
	for _, f := range r.files {
		have[f] = true
	}
	manifests, missing := 0, 0
	for _, f := range r.files {
		want, ok := locks[path.Base(f)]
		if !ok || strings.Contains(f, "testdata/") || strings.Contains(f, "node_modules/") {
			continue
		}
		manifests++
		dir := path.Dir(f)
		found := false
		for d := dir; !found; d = path.Dir(d) {
			for _, l := range want {
				if have[path.Join(d, l)] {
					found = true
				}
			}
			if d == "." {
				break
			}
		}
		if !found {
			missing++
			c.add(Evidence{File: f, Note: "no lockfile (" + strings.Join(want, ", ") + ") beside it or in a parent folder"})
		}
	}
	switch {
	case manifests == 0:
		c.Result, c.Score, c.Reason = NotApplicable, -1, "no package manifest"
	case missing == 0:
		c.Result, c.Score, c.Reason = Pass, 10, fmt.Sprintf("all %d manifests have a lockfile", manifests)
	default:
		c.Result, c.Score, c.Reason = Fail, 10*(manifests-missing)/manifests, fmt.Sprintf("%d of %d manifests without a lockfile", missing, manifests)
	}
	return c
}

// secretPatterns: each pattern's literal hints are searched first (fast);
// the regular expression runs only where one of them occurs.
var secretPatterns = []struct {
	name  string
	hints []string
	re    *regexp.Regexp
}{
	{"private key", []string{"PRIVATE KEY"}, regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|PGP) )?PRIVATE KEY( BLOCK)?-----`)},
	{"AWS access key id", []string{"AKIA", "ASIA"}, regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"GitHub token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{60,}`)},
	{"Slack token", []string{"xox"}, regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"Stripe live key", []string{"k_live_"}, regexp.MustCompile(`\b[rs]k_live_[A-Za-z0-9]{20,}`)},
	{"Google API key", []string{"AIza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"npm token", []string{"npm_"}, regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
}

func hinted(b []byte, hints []string) bool {
	for _, h := range hints {
		if bytes.Contains(b, []byte(h)) {
			return true
		}
	}
	return false
}

type secretHit struct {
	kind string
	line int
}

// findSecrets returns the kinds of secret in b and their lines; binary
// content (a NUL in the first 8,000 bytes) is not searched.
func findSecrets(b []byte) []secretHit {
	if b == nil || bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		return nil
	}
	var out []secretHit
	for _, p := range secretPatterns {
		if !hinted(b, p.hints) {
			continue
		}
		if loc := p.re.FindIndex(b); loc != nil && (p.name != "private key" || keyBody(b[loc[1]:])) {
			out = append(out, secretHit{p.name, bytes.Count(b[:loc[0]], []byte("\n")) + 1})
		}
	}
	return out
}

// secrets: a small, bounded pattern set; the secret itself is never
// printed, only its kind and place.
func (r *repo) secrets() Check {
	c := Check{ID: "secrets"}
	n := 0
	for _, f := range r.files {
		if strings.Contains(f, "testdata/") {
			continue
		}
		for _, h := range findSecrets(r.read(f)) {
			n++
			c.add(Evidence{File: f, Line: h.line, Note: h.kind + " (value not shown)"})
		}
	}
	c.Result, c.Score, c.Reason = Pass, 10, "no secret of the known kinds committed (outside testdata)"
	if n > 0 {
		c.Result, c.Score, c.Reason = Fail, 0, fmt.Sprintf("%d committed secret(s): revoke them, then remove them from history", n)
	}
	return c
}

// dependencySources: no dependency fetched over plain http or from an
// unpinned git ref (from the repository's own SBOM).
func (r *repo) dependencySources(ctx context.Context) Check {
	c := Check{ID: "dependency-sources"}
	res, err := scan.Load(ctx, r.root, scan.LoadOptions{Exclude: append([]string{"**/testdata/**"}, r.ex.Patterns()...)})
	if err != nil {
		c.Result, c.Score, c.Reason = Unknown, -1, "the dependencies could not be read: "+err.Error()
		return c
	}
	for _, p := range res.Document.Packages {
		loc := Evidence{Note: p.Name}
		if len(p.Locations) > 0 {
			loc.File, loc.Line = p.Locations[0].Path, p.Locations[0].Line
		}
		switch {
		case strings.HasPrefix(p.ResolvedURL, "http://"):
			loc.Note = p.Name + " is fetched over plain http: " + p.ResolvedURL
			c.add(loc)
		case p.SourceKind == "git" && !regexp.MustCompile(`[#@][0-9a-f]{40}`).MatchString(p.ResolvedURL):
			loc.Note = p.Name + " comes from a git ref that is not a commit: " + p.ResolvedURL
			c.add(loc)
		}
	}
	c.Result, c.Score, c.Reason = Pass, 10, fmt.Sprintf("%d dependencies, none over http or from a moving git ref", len(res.Document.Packages))
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Fail, 0, fmt.Sprintf("%d dependencies fetched unsafely", len(c.Evidence))
	}
	return c
}

// malicious: no dependency with a known malicious-package (MAL-) advisory,
// against the local vulnerability store.
func (r *repo) malicious(ctx context.Context, dbDir string) Check {
	c := Check{ID: "no-malicious-dependencies"}
	db, err := scan.OpenDB(dbDir)
	if dbDir == "" || err != nil || db == nil {
		c.Result, c.Score, c.Reason = Unknown, -1, "no vulnerability data here (hallmark db update or db import, then --db)"
		return c
	}
	defer db.Close()
	res, err := scan.Load(ctx, r.root, scan.LoadOptions{Exclude: append([]string{"**/testdata/**"}, r.ex.Patterns()...)})
	if err != nil {
		c.Result, c.Score, c.Reason = Unknown, -1, "the dependencies could not be read: "+err.Error()
		return c
	}
	m, err := scan.Match(res.Document, db, nil)
	if err != nil {
		c.Result, c.Score, c.Reason = Unknown, -1, err.Error()
		return c
	}
	for _, f := range m.Findings {
		if f.Kind == match.Malicious {
			p := m.Document.Package(f.PackageID)
			c.add(Evidence{Note: p.Name + "@" + p.Version + ": " + f.ID})
		}
	}
	c.Result, c.Score, c.Reason = Pass, 10, fmt.Sprintf("%d dependencies checked, none known malicious", m.Checked)
	if len(c.Evidence) > 0 {
		c.Result, c.Score, c.Reason = Fail, 0, "known malicious dependencies"
	}
	return c
}

// keyBody reports whether a PEM header is followed by key material (at
// least 64 base64 characters), not an empty block in a test.
func keyBody(b []byte) bool {
	n := 0
	for _, c := range b[:min(len(b), 400)] {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			n++
		case c == '-':
			return n >= 64
		}
	}
	return n >= 64
}
