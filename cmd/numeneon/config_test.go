package main_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testsvc"
)

func TestServeRefusesWorkersWithoutSharedLayer(t *testing.T) {
	env := baseEnv(t)
	out, err := runCommand(t, env, "serve", "--workers", "2", "--port", "0")
	if err == nil {
		t.Fatalf("serve --workers 2 without REDIS_URL started; want a refusal.\n%s", out)
	}
	for _, want := range []string{"REDIS_URL", "--workers=2"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal does not mention %q:\n%s", want, out)
		}
	}
	// WEB_CONCURRENCY is the same switch as --workers.
	out, err = runCommand(t, append(env, "WEB_CONCURRENCY=3"), "serve", "--port", "0")
	if err == nil || !strings.Contains(out, "REDIS_URL") {
		t.Fatalf("WEB_CONCURRENCY=3 without REDIS_URL: err=%v, want a refusal naming REDIS_URL:\n%s", err, out)
	}
}

// Several workers share one port only where the kernel spreads its
// connections between them (Linux); elsewhere the refusal says so, and on
// Linux it must not appear.
func TestWorkersNeedLinux(t *testing.T) {
	out, err := runCommand(t, baseEnv(t), "serve", "--workers", "2", "--port", "0")
	if err == nil {
		t.Fatalf("serve --workers 2 --port 0 started; want a refusal.\n%s", out)
	}
	refused := strings.Contains(out, "--workers=2 needs Linux")
	if onLinux := runtime.GOOS == "linux"; refused == onLinux {
		t.Errorf("on %s, refusal of --workers 2 names Linux: %v, want %v:\n%s", runtime.GOOS, refused, !onLinux, out)
	}
}

func TestProductionRequiresSecretKey(t *testing.T) {
	var env []string
	for _, kv := range baseEnv(t) {
		if !strings.HasPrefix(kv, "SECRET_KEY=") {
			env = append(env, kv)
		}
	}
	out, err := runCommand(t, append(env, "NUMENEON_ENV=production"), "serve", "--port", "0")
	if err == nil || !strings.Contains(out, "SECRET_KEY") {
		t.Fatalf("production without SECRET_KEY: err=%v, want a refusal naming SECRET_KEY:\n%s", err, out)
	}
}

func TestBadConfigurationIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"bad port", []string{"PORT=eighty"}, nil, "PORT"},
		{"bad log format", []string{"LOG_FORMAT=xml"}, nil, "LOG_FORMAT"},
		{"bad log level", []string{"LOG_LEVEL=loud"}, nil, "LOG_LEVEL"},
		{"pprof with workers", []string{"PPROF_ADDR=127.0.0.1:0", "REDIS_URL=redis://127.0.0.1:1"}, []string{"--workers", "2", "--port", "1"}, "PPROF_ADDR"},
		{"bad database scheme", []string{"DATABASE_URL=mysql://x/y"}, nil, "DATABASE_URL"},
		{"bad redis scheme", []string{"REDIS_URL=http://x"}, nil, "REDIS_URL"},
		{"bad presence heartbeat", []string{"PRESENCE_HEARTBEAT=often"}, nil, "PRESENCE_HEARTBEAT"},
		{"negative presence heartbeat", nil, []string{"--presence-heartbeat=-1s"}, "PRESENCE_HEARTBEAT"},
		{"bad story cleanup interval", []string{"STORY_CLEANUP_INTERVAL=soon"}, nil, "STORY_CLEANUP_INTERVAL"},
		{"negative story cleanup interval", nil, []string{"--story-cleanup-interval", "-1m"}, "STORY_CLEANUP_INTERVAL"},
		{"bad notification retention", []string{"NOTIFICATION_RETENTION=forever"}, nil, "NOTIFICATION_RETENTION"},
		{"zero notification retention", nil, []string{"--notification-retention", "0d"}, "NOTIFICATION_RETENTION"},
		{"unknown flag", nil, []string{"--nope"}, "nope"},
		{"password minimum under 6", []string{"PASSWORD_MIN_LENGTH=5"}, nil, "PASSWORD_MIN_LENGTH"},
		{"password minimum flag under 6", nil, []string{"--password-min-length", "0"}, "PASSWORD_MIN_LENGTH"},
		{"password minimum not a number", []string{"PASSWORD_MIN_LENGTH=six"}, nil, "PASSWORD_MIN_LENGTH"},
		{"password minimum over the maximum", []string{"PASSWORD_MIN_LENGTH=2000"}, nil, "PASSWORD_MIN_LENGTH"},
		{"unknown refresh rotation", []string{"REFRESH_ROTATION=blacklist"}, nil, "REFRESH_ROTATION"},
		{"bad socket token expiry", []string{"SOCKET_TOKEN_EXPIRY=never"}, nil, "SOCKET_TOKEN_EXPIRY"},
		{"bad socket token expiry flag", nil, []string{"--socket-token-expiry", "lax"}, "SOCKET_TOKEN_EXPIRY"},
		{"bad sockets per user", []string{"SOCKETS_PER_USER=0"}, nil, "SOCKETS_PER_USER"},
		{"bad music api url", []string{"MUSIC_API_URL=ftp://music.example"}, nil, "MUSIC_API_URL"},
		{"unknown music catalogue", []string{"MUSIC_CATALOGUE=spotify"}, nil, "MUSIC_CATALOGUE"},
		{"vapid key without the others", []string{"VAPID_PUBLIC_KEY=BEl62iUYgUivxIkv69yViEuiBIa"}, nil, "VAPID_PRIVATE_KEY"},
		{"vapid keys that do not match", []string{"VAPID_PUBLIC_KEY=BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U",
			"VAPID_PRIVATE_KEY=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", "VAPID_SUBJECT=mailto:ops@numeneon.example"}, nil, "VAPID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCommand(t, append(baseEnv(t), tc.env...), append([]string{"serve"}, tc.args...)...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("err=%v, want a failure naming %q:\n%s", err, tc.want, out)
			}
		})
	}
}

func TestCheckMasksSecretsAndTestsConnections(t *testing.T) {
	env := append(baseEnv(t), "DATABASE_URL=sqlite:"+t.TempDir()+"/db.sqlite")
	out, err := runCommand(t, env, "check")
	if err != nil {
		t.Fatalf("check on a fresh SQLite file failed: %v\n%s", err, out)
	}
	if strings.Contains(out, "test-secret-key") {
		t.Errorf("check printed the secret key:\n%s", out)
	}
	for _, want := range []string{"SECRET_KEY", "********", "ok    database (sqlite)", "in-process"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	// A password in a URL is masked, and an unreachable Redis fails the check.
	redis := testsvc.ClosedPort(t)
	env = append(baseEnv(t), "REDIS_URL=redis://:hunter2@127.0.0.1:"+itoa(redis)+"/0")
	out, err = runCommand(t, env, "check")
	if err == nil {
		t.Errorf("check passed with an unreachable Redis:\n%s", out)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("check printed the Redis password:\n%s", out)
	}
	if !strings.Contains(out, "FAIL  channel layer") {
		t.Errorf("check does not report the Redis failure:\n%s", out)
	}
}

func TestServeOnDefaultsCreatesDatabaseAndKey(t *testing.T) {
	env := baseEnv(t)
	var noKey []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SECRET_KEY=") {
			noKey = append(noKey, kv)
		}
	}
	p := startProc(t, noKey)
	c := newUser(t, p.URL, "defaults")
	// The generated key survives a restart: the token stays valid.
	p.Stop()
	p2 := startProc(t, noKey)
	c2 := c.WithBase(p2.URL)
	if err := c2.Do(t.Context(), "GET", "/api/auth/me/", nil, nil, 200); err != nil {
		t.Fatalf("token from before the restart: %v", err)
	}
}

// The account settings reach the running server: PASSWORD_MIN_LENGTH=6
// admits the public client's 6-character passwords, and
// REFRESH_ROTATION=strict refuses a used refresh token.
func TestAccountSettingsTakeEffect(t *testing.T) {
	p := startProc(t, append(baseEnv(t), "PASSWORD_MIN_LENGTH=6", "REFRESH_ROTATION=strict"))
	c := client.New(p.URL, nil)
	if err := c.Signup(t.Context(), "sixer", "sixer@example.com", "abcdef"); err != nil {
		t.Fatalf("sign up with 6 characters under PASSWORD_MIN_LENGTH=6: %v", err)
	}
	first := c.Refresh
	body := map[string]string{"refresh": first}
	if err := c.Do(t.Context(), "POST", "/api/auth/token/refresh/", body, nil, 200); err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	if err := c.Do(t.Context(), "POST", "/api/auth/token/refresh/", body, nil, 401); err != nil {
		t.Errorf("second use of a refresh token under REFRESH_ROTATION=strict: %v", err)
	}
}
