package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"authing.dev/authing"
	"authing.dev/authing/userdb/internal/uuidv4"
)

// UserByLink returns the user linked to the subject of the issuer (an
// OpenID Connect account link, table authing_user_link), active or not, or
// an error matching authing.ErrUserNotFound.
func (db *DB) UserByLink(ctx context.Context, issuer, subject string) (authing.User, error) {
	if issuer == "" || subject == "" {
		return authing.User{}, fmt.Errorf("sqlite: user by link: %w", authing.ErrUserNotFound)
	}
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+`
		FROM authing_user_link JOIN users_user ON users_user.id = authing_user_link.user_id
		WHERE issuer = ? AND subject = ?`, issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return authing.User{}, fmt.Errorf("sqlite: user by link: %w", authing.ErrUserNotFound)
	}
	if err != nil {
		return authing.User{}, translate(ctx, "user by link", err)
	}
	return u, nil
}

// Link links the subject of the issuer to the user with this id unless the
// pair is linked already, in one transaction, and returns the id the pair is
// linked to. An unknown or malformed user id gives an error matching
// authing.ErrUserNotFound.
func (db *DB) Link(ctx context.Context, issuer, subject, userID string) (string, error) {
	id, ok := uuidv4.Canonical(userID)
	if !ok || issuer == "" || subject == "" {
		return "", fmt.Errorf("sqlite: link: %w", authing.ErrUserNotFound)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return "", translate(ctx, "link", err)
	}
	defer tx.Rollback()
	// Insert only for an existing user; keep an existing link, unless its
	// user is gone (possible only if foreign keys were off).
	_, err = tx.ExecContext(ctx, `INSERT INTO authing_user_link (issuer, subject, user_id, created_at)
		SELECT ?, ?, id, ? FROM users_user WHERE id = ?
		ON CONFLICT (issuer, subject) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at
		WHERE NOT EXISTS (SELECT 1 FROM users_user WHERE users_user.id = authing_user_link.user_id)`,
		issuer, subject, formatTime(db.now()), id)
	if err != nil {
		return "", translate(ctx, "link", err)
	}
	var linked string
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM authing_user_link WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&linked)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: link: %w", authing.ErrUserNotFound)
	}
	if err != nil {
		return "", translate(ctx, "link", err)
	}
	if err := tx.Commit(); err != nil {
		return "", translate(ctx, "link", err)
	}
	return linked, nil
}
