-- What a run was made for: the schedule tick it answers, the window it processes
-- ([window_from, window_to), with window_end the far end of a gap split into
-- consecutive windows), and the backfill it belongs to.
ALTER TABLE runs
  ADD COLUMN tick        timestamptz,
  ADD COLUMN window_from timestamptz,
  ADD COLUMN window_to   timestamptz,
  ADD COLUMN window_end  timestamptz,
  ADD COLUMN backfill    bigint;
ALTER TABLE run_history
  ADD COLUMN tick        timestamptz,
  ADD COLUMN window_from timestamptz,
  ADD COLUMN window_to   timestamptz,
  ADD COLUMN window_end  timestamptz,
  ADD COLUMN backfill    bigint;

-- the overlap check: the unfinished runs the schedule or an operator started
CREATE INDEX runs_scheduled ON runs (job) WHERE source IN ('schedule', 'manual');
CREATE INDEX runs_backfill ON runs (backfill) WHERE backfill IS NOT NULL;
CREATE INDEX run_history_backfill ON run_history (backfill, state) WHERE backfill IS NOT NULL;

-- One row per scheduled job. Schedulers race for a due tick by locking the row; the
-- winner records the tick and moves next_at on, in one transaction.
CREATE TABLE schedules (
  job        text        PRIMARY KEY,
  cron       text        NOT NULL,
  timezone   text        NOT NULL,
  -- the schedule as the code last declared it (NULL: made at runtime). A deploy whose
  -- declaration differs replaces cron and zone; an unchanged one leaves runtime
  -- changes in place.
  declared   jsonb,
  paused     boolean     NOT NULL DEFAULT false,
  -- the next tick no scheduler has handled yet
  next_at    timestamptz NOT NULL,
  -- a tick held back by overlap 'queue', enqueued once the previous run ends
  pending    timestamptz,
  updated_at timestamptz NOT NULL
);

-- Every tick handled, once: the primary key is what makes a tick yield at most one
-- run however many schedulers (or backfills) reach it.
CREATE TABLE ticks (
  job         text        NOT NULL,
  at          timestamptz NOT NULL,
  -- 'run', 'skipped' (overlap), 'queued' (overlap 'queue'), 'missed' (downtime, deadline)
  outcome     text        NOT NULL,
  run_id      bigint,
  source      text        NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (job, at)
);

-- Where each windowed job's processing has reached.
CREATE TABLE watermarks (
  job        text        PRIMARY KEY,
  value      timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Operators' changes: watermark set, schedule paused, resumed or changed.
CREATE TABLE audit (
  id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL,
  job    text        NOT NULL,
  action text        NOT NULL,
  detail jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_job ON audit (job, at);

-- Per-item outcomes inside runs. scope is the window, tick or run the item was done
-- for: a run retried over the same scope skips the items that succeeded.
CREATE TABLE items (
  job     text        NOT NULL,
  scope   text        NOT NULL,
  key     text        NOT NULL,
  run_id  bigint      NOT NULL,
  attempt integer     NOT NULL,
  ok      boolean     NOT NULL,
  error   jsonb,
  at      timestamptz NOT NULL,
  PRIMARY KEY (job, scope, key)
);
CREATE INDEX items_run ON items (run_id);
-- a job's failures over a time range, and the retention sweep by age
CREATE INDEX items_at ON items (job, at);

-- A backfill walks its range with a cursor, keeping at most `concurrency` runs live;
-- any scheduler tops it up, so it outlives the process that started it.
CREATE TABLE backfills (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job         text        NOT NULL,
  -- the schedule as it was when the backfill began: it walks those ticks to the end
  cron        text        NOT NULL,
  timezone    text        NOT NULL,
  range_from  timestamptz NOT NULL,
  range_to    timestamptz NOT NULL,
  -- the last tick handled; NULL before the first
  cursor      timestamptz,
  total       integer     NOT NULL,
  enqueued    integer     NOT NULL DEFAULT 0,
  -- ticks that already had a run (a second backfill of the same range adds nothing)
  existing    integer     NOT NULL DEFAULT 0,
  concurrency integer     NOT NULL,
  payload     jsonb       NOT NULL DEFAULT 'null',
  -- 'running', 'completed' or 'cancelled'
  state       text        NOT NULL DEFAULT 'running',
  created_at  timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX backfills_running ON backfills (job) WHERE state = 'running';
