"""Staff authentication: users and roles, argon2id passwords, server-side sessions, CSRF,
login throttling. The kiosk needs none of it; the review and admin pages need all of it."""
