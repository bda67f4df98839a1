import { expect, it } from 'vitest'
import { pgClient } from '../helpers.js'
import { type Child, eventually, executions, outputs, setup, startWorkers } from './children.js'

const db = await pgClient()

// Found while writing the drain test: when the server ran out of connections ('sorry, too
// many clients already'), workers' completion writes failed, and their runs sat 'active'
// until their leases lapsed, then ran again. Here one completion write fails once,
// injected by a trigger on the history.
it('a completion whose write fails once is written again, not left to lapse into a stall', async () => {
  const jobOptions = { retry: { attempts: 1 } }
  const { schema, tw, job } = await setup(db, jobOptions)
  await db.query(`
    CREATE SEQUENCE "${schema}".faults;
    CREATE FUNCTION "${schema}".fail_first_completion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- a sequence, not a table: the count survives the rollback of the failed write
      IF NEW.state = 'completed' AND nextval('"${schema}".faults') = 1 THEN
        RAISE EXCEPTION 'injected: the first completion write fails';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER fail_first_completion BEFORE INSERT ON "${schema}".run_history
      FOR EACH ROW EXECUTE FUNCTION "${schema}".fail_first_completion();`)
  const [worker] = (await startWorkers(1, {
    schema,
    jobOptions,
    options: { leaseTime: '1s', pollInterval: 100 },
  })) as [Child]
  const { id } = await job.enqueue(null)
  await eventually(
    'the run finished',
    async () => ['completed', 'failed'].includes((await tw.runs.get(id))?.state ?? ''),
    10_000,
    async () => ({ run: await tw.runs.get(id), children: outputs([worker]) }),
  )
  // the handler succeeded, once: the run must end completed, not failed as stalled
  expect(await executions(db, schema)).toHaveLength(1)
  expect(worker.stderr).toContain('injected: the first completion write fails')
  const run = await tw.runs.get(id)
  expect({
    state: run?.state,
    attempt: run?.attempt,
    errors: run?.errors.map((e) => e.name),
  }).toEqual({
    state: 'completed',
    attempt: 1,
    errors: [],
  })
})
