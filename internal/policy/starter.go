package policy

import _ "embed"

// Starter is the commented starter policy `hallmark policy init` writes.
//
//go:embed starter.yaml
var Starter []byte
