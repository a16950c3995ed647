package accounts

import "context"

// NewPupilJobForTest records a job without running it, as if the instance that took the upload
// had stopped at once; RunPupilJobForTest runs such a job to its end in the caller.
func (s *Service) NewPupilJobForTest(ctx context.Context, ro PupilRoster) (PupilJob, []byte, error) {
	return s.newPupilJob(ctx, ro)
}

func (s *Service) RunPupilJobForTest(ctx context.Context, job PupilJob, key []byte, ro PupilRoster) {
	s.runPupilJob(ctx, job.ID, key, ro, nil)
}

func (s *Service) FailPupilJobForTest(ctx context.Context, job PupilJob, cause error) {
	s.failPupilJob(ctx, job.ID, cause)
}
