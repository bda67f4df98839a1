import type { Tickwork } from 'tickwork'
import { ValidationError } from 'tickwork'

/** Which demo data to make: users `1..users`, activity on the days of `[from, to)`. */
export interface SeedOptions {
  users: number
  /** first day with activity, `YYYY-MM-DD` (UTC); also when the users signed up */
  from: string
  /** the day after the last one with activity, `YYYY-MM-DD` */
  to: string
}

const CATEGORIES = ['groceries', 'rent', 'transport', 'dining', 'utilities', 'fun']

/**
 * Seeds deterministic demo users and transactions into the app's schema: the same
 * options always give the same rows, and seeding again adds nothing (rows have fixed
 * keys, and a seed already made is skipped), so processes starting at once may all
 * seed. Each user has up to two transactions a day (about two thirds of one on
 * average), a salary on the 1st, amounts and times derived from user and day. Throws `ValidationError` for bad options.
 */
export async function seedActivity(tw: Tickwork, schema: string, o: SeedOptions): Promise<void> {
  const day = /^\d{4}-\d{2}-\d{2}$/
  const issues = [
    ...(Number.isInteger(o.users) && o.users >= 0 && o.users <= 100_000
      ? []
      : [{ path: 'users', message: 'expected an integer 0-100000' }]),
    ...(day.test(o.from) ? [] : [{ path: 'from', message: 'expected YYYY-MM-DD' }]),
    ...(day.test(o.to) && o.to > o.from ? [] : [{ path: 'to', message: 'expected a later day' }]),
  ]
  if (issues.length > 0) throw new ValidationError('invalid seed options', issues)
  const s = schema
  await tw.transaction(async (tx) => {
    // the same seed twice would add nothing but costs a pass over every generated row
    const fresh = await tx.query(
      `INSERT INTO ${s}.seeds (users, from_day, to_day) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING users`,
      [o.users, o.from, o.to],
    )
    if (fresh.rows.length === 0) return
    await tx.query(
      `INSERT INTO ${s}.users (id, name, created_at)
       SELECT u, 'user-' || lpad(u::text, 5, '0'), $2::date::timestamp AT TIME ZONE 'UTC'
       FROM generate_series(1, $1::int) AS u
       ON CONFLICT (id) DO NOTHING`,
      [o.users, o.from],
    )
    // h is a cheap integer hash of (user, day number, slot): deterministic on any server
    await tx.query(
      `WITH g AS (
         SELECT u, dn, n, d,
           ((u::bigint * 7919 + dn::bigint * 104729 + n * 1299709) * 2654435761) % 1000003 AS h
         FROM generate_series(1, $1::int) AS u,
           generate_series(0, ($3::date - $2::date) - 1) AS dn,
           generate_series(1, 2) AS n,
           LATERAL (SELECT $2::date + dn AS d) AS day
       )
       INSERT INTO ${s}.transactions (id, user_id, at, kind, category, pocket, amount_cents)
       SELECT u::bigint * 10000000 + dn * 10 + n, u,
         (d::timestamp AT TIME ZONE 'UTC') + make_interval(secs => h % 86400),
         CASE WHEN n = 1 AND extract(day FROM d) = 1 THEN 'income' ELSE 'expense' END,
         CASE WHEN n = 1 AND extract(day FROM d) = 1 THEN 'salary'
              ELSE ($4::text[])[1 + (h / 7) % ${CATEGORIES.length}] END,
         CASE WHEN (h / 5) % 4 = 0 THEN 'savings' ELSE 'main' END,
         CASE WHEN n = 1 AND extract(day FROM d) = 1 THEN 250000 + (u % 10) * 10000
              ELSE 100 + h % 9900 END
       FROM g
       WHERE (n = 1 AND extract(day FROM d) = 1) OR h % 3 = 0
       ON CONFLICT (id) DO NOTHING`,
      [o.users, o.from, o.to, CATEGORIES],
    )
  })
}
