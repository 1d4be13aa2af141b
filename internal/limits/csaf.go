package limits

// CSAF (internal/vex: reading CSAF VEX, the mandatory tests).
const (
	// CSAFBranchDepth is the deepest product tree branch nesting read;
	// real trees are vendor / product family / name / version, a handful
	// of levels.
	CSAFBranchDepth = 32
)
