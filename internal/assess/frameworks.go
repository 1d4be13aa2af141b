package assess

// checkInfo is what a check says in every output: why it matters, how to
// fix it, and the framework items it evidences.
type checkInfo struct {
	Name, Scorecard, Why, Fix string
	Tasks                     []string
}

// catalogue is the one table of checks: their guidance and their mapping to
// NIST SSDF SP 800-218 v1.1 tasks, the CISA Secure Software Development
// Attestation form (CISA-n), EU CRA Annex I (CRA-I.n, CRA-II.n) and the
// ESF "Securing the Software Supply Chain: Suppliers" guidance (ESF-...).
var catalogue = map[string]checkInfo{
	"binary-artifacts": {"Binary artifacts", "Binary-Artifacts",
		"A binary in the repository cannot be reviewed: it can hide anything, and nobody can rebuild it from the source (the xz-utils backdoor hid in test files that looked like binary data).",
		"Remove executables and compiled files; build them in CI from source. Test binaries belong in generated fixtures.",
		[]string{"PS.1.1", "PW.4.1", "CISA-1", "CRA-I.2", "ESF-integrity"}},
	"dangerous-workflow": {"Dangerous workflow patterns", "Dangerous-Workflow",
		"A pull_request_target or workflow_run workflow that checks out the pull request runs an attacker's code with the repository's secrets; ${{ github.event.* }} inside run: lets a pull request title run shell commands.",
		"Do not check out github.event.pull_request.head.* in privileged workflows; pass event fields through env: (env: TITLE: ${{ github.event.pull_request.title }}) and use \"$TITLE\" in the script.",
		[]string{"PO.5.1", "PS.1.1", "CISA-1", "CRA-I.2", "ESF-build"}},
	"dependency-update-tool": {"Dependency update tool", "Dependency-Update-Tool",
		"Fixes reach you only when dependencies are updated; a bot makes it routine instead of an emergency.",
		"Add .github/dependabot.yml (package-ecosystem per manifest, and github-actions) or a renovate.json.",
		[]string{"PW.4.4", "RV.2.2", "CISA-3", "CRA-II.2", "ESF-third-party"}},
	"fuzzing": {"Fuzzing", "Fuzzing",
		"Parsers of untrusted input fail on inputs nobody thought of; fuzzing finds them before attackers do.",
		"Add Go fuzz tests (func FuzzXxx(f *testing.F)) for every parser, or join OSS-Fuzz / ClusterFuzzLite.",
		[]string{"PW.8.2", "CRA-I.2", "ESF-testing"}},
	"license": {"License", "License",
		"Without a license, users cannot know what they may do with the code, and SBOMs cannot state it.",
		"Add a LICENSE file at the root with an SPDX-listed license text.",
		[]string{"PO.1.3", "ESF-third-party"}},
	"packaging": {"Packaging", "Packaging",
		"Releases built and published by CI come from reviewed source, not from a developer's machine.",
		"Publish from a workflow (goreleaser, docker/build-push-action, npm publish with provenance, hallmark release).",
		[]string{"PS.2.1", "PS.3.1", "CISA-1", "ESF-build"}},
	"pinned-dependencies": {"Pinned dependencies", "Pinned-Dependencies",
		"A tag can be moved to malicious code: in March 2025 every tag of tj-actions/changed-files was repointed to a commit that dumped CI secrets; curl | sh runs whatever the server sends (the Codecov bash uploader, 2021).",
		"Pin actions by full commit SHA with the version as a comment (uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0), images by digest (FROM debian@sha256:...), install with npm ci / pip --require-hashes, and verify downloaded scripts.",
		[]string{"PO.3.2", "PS.1.1", "PW.4.1", "CISA-3", "CRA-I.2", "ESF-third-party"}},
	"sast": {"Static analysis", "SAST",
		"Static analysis catches classes of bugs (injection, unchecked errors, unsafe calls) on every change.",
		"Run CodeQL, Semgrep, gosec, golangci-lint or staticcheck in CI on pull requests.",
		[]string{"PW.7.2", "CISA-4", "CRA-I.2", "ESF-testing"}},
	"security-policy": {"Security policy", "Security-Policy",
		"Researchers need to know where to report a vulnerability privately, and what to expect; without it, reports arrive as public issues.",
		"Add SECURITY.md with a private contact (an e-mail or GitHub's private vulnerability reporting) and the disclosure process and timeline.",
		[]string{"RV.1.3", "CISA-4", "CRA-II.5", "ESF-response"}},
	"token-permissions": {"Token permissions", "Token-Permissions",
		"A compromised step (a malicious action version) can do whatever the workflow token may: push code, publish releases.",
		"Add at the top of each workflow:\n  permissions:\n    contents: read\nand grant write scopes only to the job that needs them.",
		[]string{"PO.5.1", "PS.1.1", "CISA-1", "CRA-I.2", "ESF-build"}},
	"ci-tests": {"CI tests", "CI-Tests",
		"Changes merged without tests break users and hide regressions, including security fixes.",
		"Run the test suite on every pull request (on: pull_request).",
		[]string{"PW.8.2", "CRA-I.2", "ESF-testing"}},
	"signed-releases": {"Signed releases", "Signed-Releases",
		"Customers can only tell your release from a swapped one if it is signed: signatures make tampering on mirrors and in transit detectable.",
		"Sign every artifact (hallmark release, or cosign sign-blob) and publish the bundles beside them.",
		[]string{"PS.2.1", "PS.3.1", "CISA-2", "CRA-I.2", "ESF-integrity"}},
	"sbom-in-ci": {"SBOM produced in CI", "",
		"Without an SBOM you cannot answer \"are we affected?\" when the next log4shell lands, and customers (EO 14028, EU CRA) ask for it.",
		"Add a CI step: hallmark sbom . -o cyclonedx-json --output sbom.cdx.json (or hallmark release, which also signs it).",
		[]string{"PS.3.2", "PW.4.1", "CISA-3", "CRA-II.1", "ESF-sbom"}},
	"vulnerability-gate": {"Vulnerability gate in CI", "",
		"Known-vulnerable and malicious dependencies (event-stream 2018, ua-parser-js 2021) should stop a build, not reach customers.",
		"Add a CI step: hallmark scan . --fail-on high (or --policy hallmark.policy.yaml with exceptions that have an owner and an expiry).",
		[]string{"PW.4.4", "RV.1.1", "CISA-3", "CRA-I.1", "ESF-third-party"}},
	"build-provenance": {"Build provenance", "",
		"Provenance says which source, builder and steps made an artifact, so a customer can reject one built elsewhere (SolarWinds' build was altered).",
		"Produce SLSA provenance in CI (hallmark release, hallmark attest --type slsa-provenance, or slsa-github-generator).",
		[]string{"PS.3.1", "PO.3.2", "CISA-2", "CRA-I.2", "ESF-build"}},
	"vex-published": {"VEX published", "",
		"Scanners report every CVE in your SBOM; VEX tells customers which ones do not affect the product and why, so they act on the ones that do.",
		"Publish OpenVEX with each release (hallmark release, or hallmark serve's export).",
		[]string{"RV.2.2", "CRA-II.2", "CRA-II.4", "ESF-response"}},
	"update-channel": {"Authenticated update channel", "",
		"An update system without signed, fresh metadata can be made to serve old or malicious versions (rollback, freeze, mix-and-match attacks).",
		"Deliver updates through TUF metadata (hallmark tuf, hallmark update) or a registry that signs and enforces freshness.",
		[]string{"PS.2.1", "CRA-I.2", "CRA-II.7", "ESF-delivery"}},
	"lockfiles": {"Lockfiles committed", "",
		"Without a lockfile every install resolves versions anew: a compromised new release is picked up silently, and builds are not reproducible.",
		"Commit the lockfile of every manifest (package-lock.json, poetry.lock, Cargo.lock, go.sum...).",
		[]string{"PS.3.2", "PW.4.1", "CISA-3", "ESF-third-party"}},
	"secrets": {"No committed secrets", "",
		"A key in the repository is a key for everyone who can read it, forever (history keeps it).",
		"Revoke the secret, remove it from history (git filter-repo), and keep secrets in the CI secret store.",
		[]string{"PS.1.1", "PO.5.2", "CISA-1", "CRA-I.2", "ESF-build"}},
	"secrets-in-history": {"No secrets in the history", "",
		"Deleting a committed key does not remove it: every clone keeps the commit that added it, and attackers search public histories for keys within minutes of a push.",
		"Revoke the secret first, then rewrite the history (git filter-repo --replace-text) and have every clone re-fetched; search the full history in CI (actions/checkout with fetch-depth: 0).",
		[]string{"PS.1.1", "PO.5.2", "CISA-1", "CRA-I.2", "ESF-build"}},
	"dependency-sources": {"Dependencies from authenticated sources", "",
		"A dependency fetched over plain http or from a moving git branch can be replaced between two installs.",
		"Use https registries and pin git dependencies to a commit.",
		[]string{"PW.4.1", "PO.3.2", "CISA-3", "ESF-third-party"}},
	"no-malicious-dependencies": {"No known malicious dependencies", "",
		"Malicious packages (typosquats, hijacked maintainers: event-stream, ua-parser-js) steal secrets at install time.",
		"Remove the package, rotate every secret of machines that installed it, and gate CI with hallmark scan.",
		[]string{"PW.4.4", "RV.1.1", "CISA-3", "CRA-I.1", "ESF-third-party"}},
}

// Framework is one framework's items.
type Framework struct {
	ID, Name string
	Items    []Item
}

// Item is a task or requirement; Assessable says whether a tool can
// evidence it (the others need people and processes: "not assessable by a
// tool").
type Item struct {
	ID, Title  string
	Assessable bool
}

// Frameworks are the frameworks reports map to.
var Frameworks = []Framework{
	{"ssdf", "NIST SSDF SP 800-218 v1.1", []Item{
		{"PO.1.1", "Identify and document security requirements for the organization's software development infrastructures and processes", false},
		{"PO.1.3", "Communicate requirements to third parties who provide commercial software components", true},
		{"PO.2.1", "Create roles and responsibilities for the SDLC", false},
		{"PO.2.2", "Provide role-based training", false},
		{"PO.3.2", "Follow recommended security practices to deploy and maintain toolchains", true},
		{"PO.4.1", "Define criteria for software security checks", true},
		{"PO.5.1", "Separate and protect each environment involved in software development", true},
		{"PO.5.2", "Secure and harden development endpoints", false},
		{"PS.1.1", "Store all forms of code based on the principle of least privilege", true},
		{"PS.2.1", "Make software integrity verification information available to software acquirers", true},
		{"PS.3.1", "Securely archive the necessary files and supporting data for each software release", true},
		{"PS.3.2", "Collect, safeguard, maintain and share provenance data for all components of each release (e.g. an SBOM)", true},
		{"PW.1.1", "Use forms of risk modeling to assess the software's security risk", false},
		{"PW.2.1", "Have qualified people review the software design", false},
		{"PW.4.1", "Acquire and maintain well-secured software components from commercial, open-source and other third-party developers", true},
		{"PW.4.4", "Verify that acquired components comply with requirements throughout their life cycles", true},
		{"PW.5.1", "Follow secure coding practices", false},
		{"PW.6.1", "Use compiler, interpreter and build tools that offer features to improve executable security", false},
		{"PW.7.2", "Perform code review and/or code analysis", true},
		{"PW.8.2", "Scope the testing, design the tests, perform the testing and document the results", true},
		{"PW.9.1", "Define a secure baseline by determining how to configure each setting", false},
		{"RV.1.1", "Gather information about potential vulnerabilities in the software and its third-party components", true},
		{"RV.1.3", "Have a policy that addresses vulnerability disclosure and remediation", true},
		{"RV.2.1", "Analyze each vulnerability to gather enough information about risk to plan its remediation", false},
		{"RV.2.2", "Plan and implement risk responses for vulnerabilities", true},
		{"RV.3.1", "Analyze identified vulnerabilities to determine their root causes", false},
	}},
	{"cisa", "CISA Secure Software Development Attestation form", []Item{
		{"CISA-1", "Software is developed and built in secure environments", true},
		{"CISA-2", "Good-faith effort to maintain trusted source code supply chains; provenance of internal and third-party code", true},
		{"CISA-3", "Automated tools check third-party code and components for vulnerabilities", true},
		{"CISA-4", "Vulnerability disclosure program; known vulnerabilities addressed before release", true},
	}},
	{"cra", "EU Cyber Resilience Act, Annex I", []Item{
		{"CRA-I.1", "Part I: made available without known exploitable vulnerabilities", true},
		{"CRA-I.2", "Part I: secure by design and default; protection of integrity and confidentiality", true},
		{"CRA-II.1", "Part II (1): identify and document components, including an SBOM", true},
		{"CRA-II.2", "Part II (2): address and remediate vulnerabilities without delay, including by security updates", true},
		{"CRA-II.4", "Part II (4): publicly disclose fixed vulnerabilities (advisories)", true},
		{"CRA-II.5", "Part II (5): a coordinated vulnerability disclosure policy", true},
		{"CRA-II.7", "Part II (7): mechanisms to securely distribute updates", true},
		{"CRA-II.3", "Part II (3): regular tests and reviews of security", false},
	}},
	{"esf", "ESF: Securing the Software Supply Chain, Suppliers", []Item{
		{"ESF-build", "Harden the build environment", true},
		{"ESF-integrity", "Hashing, code signing and secure packaging of releases", true},
		{"ESF-third-party", "Verify third-party components", true},
		{"ESF-sbom", "Deliver SBOMs", true},
		{"ESF-testing", "Security testing (static analysis, fuzzing)", true},
		{"ESF-response", "Respond to vulnerabilities and notify customers", true},
		{"ESF-delivery", "Secure delivery of updates", true},
	}},
}
