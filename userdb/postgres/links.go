package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"authing.dev/authing"
	"authing.dev/authing/userdb/internal/uuidv4"
)

// UserByLink returns the user linked to the subject of the issuer (an
// OpenID Connect account link, table authing_user_link), active or not, or
// an error matching authing.ErrUserNotFound (also when the linked user was
// deleted).
func (db *DB) UserByLink(ctx context.Context, issuer, subject string) (authing.User, error) {
	if issuer == "" || subject == "" {
		return authing.User{}, fmt.Errorf("postgres: user by link: %w", authing.ErrUserNotFound)
	}
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	u, err := scanUser(db.pool.QueryRow(qctx, `SELECT `+qualifiedUserColumns+`
		FROM authing_user_link l JOIN users_user u ON u.id = l.user_id
		WHERE l.issuer = $1 AND l.subject = $2`, issuer, subject))
	if errors.Is(err, pgx.ErrNoRows) {
		return authing.User{}, fmt.Errorf("postgres: user by link: %w", authing.ErrUserNotFound)
	}
	if err != nil {
		return authing.User{}, translate(ctx, "user by link", err)
	}
	return u, nil
}

// qualifiedUserColumns is userColumns of the alias u.
const qualifiedUserColumns = `u.id, u.password, u.last_login, u.is_superuser, u.username, u.first_name, u.last_name, u.email, u.is_staff, u.is_active, u.date_joined, u.dt_first_login`

// Link links the subject of the issuer to the user with this id unless the
// pair is linked already (to a user that still exists), and returns the id
// the pair is linked to. Of concurrent Links of one pair exactly one inserts;
// the others read its row. An unknown or malformed user id gives an error
// matching authing.ErrUserNotFound.
func (db *DB) Link(ctx context.Context, issuer, subject, userID string) (string, error) {
	id, ok := uuidv4.Canonical(userID)
	if !ok || issuer == "" || subject == "" {
		return "", fmt.Errorf("postgres: link: %w", authing.ErrUserNotFound)
	}
	qctx, cancel := db.bound(ctx, db.queryTimeout)
	defer cancel()
	// Insert for an existing user; on a conflict keep the row unless its
	// user is gone (there is no foreign key, see the migration).
	var linked string
	err := db.pool.QueryRow(qctx, `INSERT INTO authing_user_link (issuer, subject, user_id, created_at)
		SELECT $1, $2, u.id, $4 FROM users_user u WHERE u.id = $3
		ON CONFLICT (issuer, subject) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at
		WHERE NOT EXISTS (SELECT 1 FROM users_user x WHERE x.id = authing_user_link.user_id)
		RETURNING user_id::text`, issuer, subject, id, db.now()).Scan(&linked)
	if err == nil {
		return linked, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", translate(ctx, "link", err)
	}
	// Nothing inserted: the pair is linked already (this statement sees rows
	// committed meanwhile), or the user does not exist.
	err = db.pool.QueryRow(qctx, `SELECT user_id::text FROM authing_user_link WHERE issuer = $1 AND subject = $2`,
		issuer, subject).Scan(&linked)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: link: %w", authing.ErrUserNotFound)
	}
	if err != nil {
		return "", translate(ctx, "link", err)
	}
	return linked, nil
}
