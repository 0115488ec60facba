-- authing:own-tables
-- Account links of OpenID Connect sign-ins (method/oidc): the subject of an
-- issuer belongs to one user. The key is the pair, so a subject is linked
-- once; a user may have several links (several providers or accounts).
--   * issuer is the provider's issuer URL, exactly as configured;
--   * subject is the sub claim (at most 255 ASCII characters per OpenID
--     Connect Core; compared exactly);
--   * a deleted user takes its links along (ON DELETE CASCADE).
CREATE TABLE authing_user_link (
    issuer     TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2048),
    subject    TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id    TEXT NOT NULL REFERENCES users_user (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
) STRICT;

CREATE INDEX authing_user_link_user ON authing_user_link (user_id);
