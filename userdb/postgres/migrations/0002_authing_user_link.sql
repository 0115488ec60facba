-- authing:own-tables
-- Account links of OpenID Connect sign-ins (method/oidc): the subject of an
-- issuer belongs to one user; a user may have several links. This table is
-- authing's own, so Migrate creates it also beside a users_user table that
-- Django created (it never alters users_user itself). For that reason it has
-- no foreign key to users_user: a constraint from authing's table would make
-- Django's flush/TRUNCATE of users_user fail and entangle the two schemas.
-- A link whose user was deleted is ignored by UserByLink and replaced by
-- Link.
CREATE TABLE "authing_user_link" (
    "issuer"     varchar(2048) NOT NULL CHECK ("issuer" <> ''),
    "subject"    varchar(255)  NOT NULL CHECK ("subject" <> ''),
    "user_id"    uuid          NOT NULL,
    "created_at" timestamp with time zone NOT NULL,
    PRIMARY KEY ("issuer", "subject")
);
CREATE INDEX "authing_user_link_user_id" ON "authing_user_link" ("user_id");
