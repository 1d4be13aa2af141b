package limits

// A single file named on the command line may refer to files outside its
// folder (a parent pom, -r ../base.txt, a Cargo workspace root). Its
// cataloger reads from the enclosing repository (a directory holding .git)
// found at most SingleFileParents levels up, else from
// SingleFileParentsNoRepo levels up; only files the format refers to are
// opened.
const (
	SingleFileParents       = 8
	SingleFileParentsNoRepo = 2
)
