-- Runs an external cron started through the trigger endpoint (source 'trigger') are
-- overlap for the schedule as manual ones are: the overlap check reads this index.
DROP INDEX runs_scheduled;
CREATE INDEX runs_scheduled ON runs (job) WHERE source IN ('schedule', 'manual', 'trigger');
