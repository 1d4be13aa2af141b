package limits

import "time"

// TUFTargetTimeout bounds one target download by hallmark update when no
// HTTP client is configured (a 2 GB image over a slow link still fits).
const TUFTargetTimeout = 30 * time.Minute
