// Package auth owns credentials: the HS256 JSON Web Tokens that the client
// sends as "Authorization: Bearer" and on the WebSocket handshake, and the
// password hashes stored with each user.
//
// Both are wire-compatible with the original Django backend so that a
// migration is a drop-in: tokens minted by djangorestframework-simplejwt with
// the same SECRET_KEY verify here, and Django's pbkdf2_sha256 hashes verify
// and are reported for upgrade to argon2id on the next successful login.
//
// Nothing here touches storage or HTTP; the app package decides what a
// failure means for the user and the api package renders it.
package auth
