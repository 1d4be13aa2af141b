package config

import (
	"io"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

// ioLimit bounds what Load reads: one byte more than allowed, so that an
// oversized file is detected rather than silently truncated.
func ioLimit(r io.Reader) io.Reader { return io.LimitReader(r, limits.ConfigBytes+1) }
