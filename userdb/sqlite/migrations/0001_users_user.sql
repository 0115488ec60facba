-- The Bazis/Django users_user table (bazis-users UserAbstract + UuidMixin,
-- with dt_first_login of migration 0002_user_dt_first_login), in SQLite form:
--   * id is the canonical lowercase hyphenated UUID as text;
--   * booleans are integers 0/1;
--   * times are RFC 3339 UTC text with exactly six fractional digits
--     ("2006-01-02T15:04:05.000000Z"), so that text order is time order;
--   * lengths are Django's max_length, counted in characters as PostgreSQL's
--     varchar(n) counts them.
-- STRICT makes SQLite reject a value of the wrong type instead of storing it.
CREATE TABLE users_user (
    id             TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    password       TEXT    NOT NULL CHECK (length(password) <= 128),
    last_login     TEXT    NULL,
    is_superuser   INTEGER NOT NULL CHECK (is_superuser IN (0, 1)),
    username       TEXT    NOT NULL UNIQUE CHECK (length(username) <= 150),
    first_name     TEXT    NOT NULL CHECK (length(first_name) <= 150),
    last_name      TEXT    NOT NULL CHECK (length(last_name) <= 150),
    email          TEXT    NOT NULL CHECK (length(email) <= 254),
    is_staff       INTEGER NOT NULL CHECK (is_staff IN (0, 1)),
    is_active      INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    date_joined    TEXT    NOT NULL,
    dt_first_login TEXT    NULL
) STRICT;

-- UserByEmail compares lower(email) = lower(?) (ASCII case folding, as
-- SQLite's lower() does) and takes the oldest account: this index serves
-- both the match and the order.
CREATE INDEX users_user_email_lower ON users_user (lower(email), date_joined);
