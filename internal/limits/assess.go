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
