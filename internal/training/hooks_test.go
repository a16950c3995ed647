package training

import "context"

// Hooks for the external tests of this package (which may import internal/schema; this package's
// own tests may not, since schema imports it).

// MaxPathTerms is maxPathTerms.
const MaxPathTerms = maxPathTerms

// HeadcountsUnder is headcountsUnder, giving the entries' paths.
func (s *Service) HeadcountsUnder(ctx context.Context, kind string, paths, groups []string) ([]string, error) {
	list, err := s.headcountsUnder(ctx, kind, paths, groups)
	var out []string
	for _, x := range list {
		out = append(out, x.path)
	}
	return out, err
}
