package limits

// hallmark assess.
const (
	// AssessFiles bounds the files of a repository looked at.
	AssessFiles = 200_000
	// AssessFileBytes bounds one file read by a check (workflows, policies,
	// sources searched for secrets).
	AssessFileBytes = 2 << 20
	// AssessFindings bounds the evidence kept per check.
	AssessFindings = 50
)

// Git history read by hallmark assess.
const (
	// AssessCommits bounds the commits whose changes are searched.
	AssessCommits = 2_000
	// AssessHistoryBytes bounds the patch text read from git log.
	AssessHistoryBytes = 256 << 20
	// AssessHistoryLine bounds one line of patch text; longer lines
	// (minified files, data) are skipped.
	AssessHistoryLine = 1 << 20
)
