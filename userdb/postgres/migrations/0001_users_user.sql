-- users_user exactly as Django's migrations create it for a Bazis project
-- (bazis-users UserAbstract + UuidMixin, migrations 0001_initial and
-- 0002_user_dt_first_login, PostgreSQL backend): the same columns in the same
-- order, the same types and nullability, no database defaults (Django keeps
-- defaults in Python), the same unique constraint and the same
-- varchar_pattern_ops index, whose name Django derives from an MD5 of the
-- table and column names. A Django project can adopt this table later
-- (migrate --fake-initial).
CREATE TABLE "users_user" (
    "id" uuid NOT NULL PRIMARY KEY,
    "password" varchar(128) NOT NULL,
    "last_login" timestamp with time zone NULL,
    "is_superuser" boolean NOT NULL,
    "username" varchar(150) NOT NULL UNIQUE,
    "first_name" varchar(150) NOT NULL,
    "last_name" varchar(150) NOT NULL,
    "email" varchar(254) NOT NULL,
    "is_staff" boolean NOT NULL,
    "is_active" boolean NOT NULL,
    "date_joined" timestamp with time zone NOT NULL,
    "dt_first_login" timestamp with time zone NULL
);
CREATE INDEX "users_user_username_06e46fe6_like" ON "users_user" ("username" varchar_pattern_ops);

-- authing's own addition, only on a table authing created: UserByEmail
-- matches lower(email) = lower($1) and takes the oldest date_joined.
CREATE INDEX "users_user_email_lower_authing" ON "users_user" (lower("email"), "date_joined");
