package authing

// Event kinds of the abuse defences, beside those of event.go.
const (
	// EventThrottled is a credential attempt refused by a limiter before any
	// password work (Reason: TOO_MANY_ATTEMPTS).
	EventThrottled = "login.throttled"
	// EventRevokeSession is a session revoked by POST /logout/ under
	// Config.RevokeOnLogout.
	EventRevokeSession = "session.revoke"
	// EventRevokeUser is a "sign out everywhere" (Service.RevokeUser).
	EventRevokeUser = "user.revoke"
)
