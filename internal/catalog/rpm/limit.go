package rpm

import (
	"io"

	"github.com/hallmark-dev/hallmark/internal/limits"
)

func ioLimit(r io.Reader) io.Reader { return io.LimitReader(r, limits.RPMDBBytes+1) }
