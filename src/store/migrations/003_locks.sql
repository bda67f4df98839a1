-- Named leases (singleton work, HTTP triggers): a row is held until expires_at, so a
-- holder that dies frees its lock in time. An acquire overwrites an expired row in the
-- same statement that checks it; rows of names never taken again stay, one per name.
CREATE TABLE locks (
  name        text        PRIMARY KEY,
  owner       text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL
);
