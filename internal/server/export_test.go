package server

// SetTestHook installs the hook that ingest, jobs and shutdown call at
// named points (the replica tests stop a process there).
func SetTestHook(f func(point, detail string)) { testHook = f }
