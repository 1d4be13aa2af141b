package store

import "context"

// OpenAtVersion opens dsn migrated only to schema version v (migration
// tests).
func OpenAtVersion(ctx context.Context, dsn string, v int) (*Store, error) { return open(ctx, dsn, v) }
