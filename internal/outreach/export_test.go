package outreach

import (
	"context"

	"github.com/lantoa/lantoa/internal/platform/db"
)

// WriteForTest exposes the service's write path (batcher or retried transaction) to the tests.
func (s *Service) WriteForTest(ctx context.Context, fn func(tx *db.Tx) error) error {
	return s.write(ctx, fn)
}

// SetGenDropIndexesFrom changes the size from which Generate drops and rebuilds indexes.
func SetGenDropIndexesFrom(n int64) (restore func()) {
	was := genDropIndexesFrom
	genDropIndexesFrom = n
	return func() { genDropIndexesFrom = was }
}
