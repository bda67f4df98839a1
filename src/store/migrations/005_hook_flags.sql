-- Whether some process defines the job with an onFailed hook. The stalled-run sweep
-- leaves the last attempt of such a job to a process that defines it, so a run never
-- fails for good without its hook's write.
ALTER TABLE queues ADD COLUMN on_failed boolean NOT NULL DEFAULT false;
