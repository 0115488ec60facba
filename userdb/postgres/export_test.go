package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// PoolConfig returns the configuration the pool was built with.
func PoolConfig(db *DB) *pgxpool.Config { return db.pool.Config() }
