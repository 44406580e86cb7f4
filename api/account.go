package api

import (
	"errors"
	"net/http"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// signupRequest is the body of POST /api/auth/signup/.
type signupRequest struct {
	Username    string `json:"username"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

// handleSignup creates an account: 201 {message, user}.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	var in signupRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.app.Signup(r.Context(), app.SignupInput{
		Username: in.Username, Email: in.Email, Password: in.Password, DisplayName: in.DisplayName,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Message string  `json:"message"`
		User    account `json:"user"`
	}{"User created successfully.", newAccount(u)})
}

// loginRequest is the body of POST /api/auth/login/.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// handleLogin exchanges email and password for a token pair. Its 401 is
// {"error": ...}, as the original's.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	// Failed logins are also counted per account, so that guesses spread
	// over many addresses are limited too (see loginlimit.go).
	account, client := loginAccountKey(in.Email), s.clientIP(r)
	if ok, wait := s.limits.loginAllowed(account, client); !ok {
		writeRateLimited(w, wait)
		return
	}
	pair, err := s.app.Login(r.Context(), in.Email, in.Password)
	if err != nil {
		key := ""
		if numeneon.ErrorCode(err) == numeneon.EUNAUTHORIZED {
			key = "error"
			s.limits.loginFailed(account, client)
		}
		s.writeErrorKey(w, r, err, key)
		return
	}
	s.limits.loginSucceeded(account, client)
	writeJSON(w, http.StatusOK, tokenPair(pair))
}

// refreshRequest is the body of POST /api/auth/token/refresh/.
type refreshRequest struct {
	Refresh string `json:"refresh"`
}

// handleRefresh rotates a refresh token. A bad, expired or already used one
// answers 401 the way simplejwt did.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var in refreshRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pair, err := s.app.Refresh(r.Context(), in.Refresh)
	if err != nil {
		s.writeRefreshError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tokenPair(pair))
}

// writeRefreshError answers a refresh token that is bad, expired or
// revoked the way simplejwt did (401 {detail, code: token_not_valid}), and
// any other error as usual.
func (s *Server) writeRefreshError(w http.ResponseWriter, r *http.Request, err error) {
	if numeneon.ErrorCode(err) == numeneon.EUNAUTHORIZED {
		writeUnauthorized(w, map[string]any{"detail": numeneon.ErrorMessage(err), "code": "token_not_valid"})
		return
	}
	s.writeError(w, r, err)
}

// logoutRequest is the body of POST /api/auth/logout/.
type logoutRequest struct {
	Refresh string `json:"refresh"`
	All     bool   `json:"all"`
}

// handleLogout signs out: {refresh} ends that login (the token and every
// token rotated from it); {refresh, all: true}, with the access token in
// Authorization, signs the user out on every device and closes their
// sockets. 200 {message}.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	var in logoutRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !in.All {
		if err := s.app.Logout(r.Context(), in.Refresh); err != nil {
			s.writeRefreshError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "Logged out."})
		return
	}
	s.authed(func(w http.ResponseWriter, r *http.Request) {
		if err := s.app.LogoutEverywhere(r.Context(), in.Refresh); err != nil {
			s.writeRefreshError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "Logged out on every device."})
	})(w, r)
}

// passwordRequest is the body of POST /api/auth/password/.
type passwordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// handleChangePassword sets a new password after checking the old one and
// answers a fresh {access, refresh} for this device; every other token of
// the user stops working. A wrong old password counts as a failed login
// of the account, so it is limited like one.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	account, client := loginAccountKey(numeneon.UserFromContext(r.Context()).Email), s.clientIP(r)
	if ok, wait := s.limits.loginAllowed(account, client); !ok {
		writeRateLimited(w, wait)
		return
	}
	pair, err := s.app.ChangePassword(r.Context(), in.OldPassword, in.NewPassword)
	if err != nil {
		if errors.Is(err, app.ErrWrongOldPassword) {
			s.limits.loginFailed(account, client)
		}
		s.writeError(w, r, err)
		return
	}
	s.limits.loginSucceeded(account, client)
	writeJSON(w, http.StatusOK, tokenPair(pair))
}

func tokenPair(p *app.TokenPair) map[string]string {
	return map[string]string{"access": p.Access, "refresh": p.Refresh}
}

// handleMe returns the caller's account with its profile.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.Me(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newAccount(u))
}

// profileRequest is the body of PATCH and PUT /api/auth/profile/.
type profileRequest struct {
	Bio       optString `json:"bio"`
	Location  optString `json:"location"`
	Website   optString `json:"website"`
	Avatar    optString `json:"avatar"`
	FirstName optString `json:"first_name"`
	LastName  optString `json:"last_name"`
}

// handleUpdateProfile applies any of bio, location, website, avatar (and
// first_name, last_name) and answers like me/. null clears a field.
func (s *Server) handleUpdateProfile(w http.ResponseWriter, r *http.Request) {
	var in profileRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.app.UpdateProfile(r.Context(), numeneon.ProfileUpdate{
		Bio:       in.Bio.ptr(),
		Location:  in.Location.ptr(),
		Website:   in.Website.ptr(),
		Avatar:    in.Avatar.ptr(),
		FirstName: in.FirstName.ptr(),
		LastName:  in.LastName.ptr(),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newAccount(u))
}

// handleSearch finds up to 20 users by ?q=.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	users, err := s.app.SearchUsers(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newUserCards(users, true))
}

// handleUserByUsername is the public profile: User (full), without email.
func (s *Server) handleUserByUsername(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.FindUserByUsername(r.Context(), r.PathValue("username"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Public route: no viewer, so never an email.
	writeJSON(w, http.StatusOK, newUserFull(u, 0))
}
