package main_test

import (
	"crypto/rand"
	"debug/elf"
	"encoding/base64"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/numeneon/numeneon/internal/testlog"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// repoRoot is the module's root, seen from this package's directory.
const repoRoot = "../.."

// copySource copies the module's source into a fresh folder, as a
// platform's checkout would have it, so a build command can run there as
// written without writing into the working tree.
func copySource(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if d.IsDir() {
			switch rel {
			case ".git", "data", "bin":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if rel == "numeneon" || !d.Type().IsRegular() {
			return nil // a binary built in place, not source
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy the source: %v", err)
	}
	return dst
}

// shell runs a command line as a platform would, in dir, with the test's
// environment (the Go toolchain on PATH).
func shell(t *testing.T, dir, line string, env ...string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
}

// blueprint is the part of a Render Blueprint the test reads.
type blueprint struct {
	Services []struct {
		Type            string `yaml:"type"`
		Name            string `yaml:"name"`
		Runtime         string `yaml:"runtime"`
		BuildCommand    string `yaml:"buildCommand"`
		StartCommand    string `yaml:"startCommand"`
		HealthCheckPath string `yaml:"healthCheckPath"`
		EnvVars         []struct {
			Key           string `yaml:"key"`
			Value         string `yaml:"value"`
			GenerateValue bool   `yaml:"generateValue"`
			Sync          *bool  `yaml:"sync"`
			FromDatabase  *struct {
				Name     string `yaml:"name"`
				Property string `yaml:"property"`
			} `yaml:"fromDatabase"`
			FromService *struct {
				Type     string `yaml:"type"`
				Name     string `yaml:"name"`
				Property string `yaml:"property"`
			} `yaml:"fromService"`
		} `yaml:"envVars"`
	} `yaml:"services"`
	Databases []struct {
		Name string `yaml:"name"`
	} `yaml:"databases"`
}

// TestRenderBlueprint reads render.yaml as Render would and runs its web
// service: the build command and the start command as written, in a copy of
// the source, with the environment the blueprint defines, its database
// pointed at a local PostgreSQL and its Key Value at a local Redis, and
// PORT set as Render sets it. /readyz must answer 200.
func TestRenderBlueprint(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "render.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var bp blueprint
	if err := yaml.Unmarshal(raw, &bp); err != nil {
		t.Fatalf("render.yaml: %v", err)
	}
	keyValues := map[string]bool{}
	for _, s := range bp.Services {
		if s.Type == "keyvalue" {
			keyValues[s.Name] = true
		}
	}
	databases := map[string]bool{}
	for _, d := range bp.Databases {
		databases[d.Name] = true
	}
	var web = -1
	for i, s := range bp.Services {
		if s.Type == "web" {
			web = i
		}
	}
	if web < 0 {
		t.Fatal("render.yaml has no web service")
	}
	svc := bp.Services[web]
	if svc.Runtime != "go" || svc.BuildCommand == "" || svc.StartCommand == "" || svc.HealthCheckPath == "" {
		t.Fatalf("web service: runtime %q, build %q, start %q, health check %q: want Go's runtime with all three",
			svc.Runtime, svc.BuildCommand, svc.StartCommand, svc.HealthCheckPath)
	}

	port := testsvc.FreePort(t)
	env := []string{"PORT=" + strconv.Itoa(port), "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	seen := map[string]string{}
	for _, v := range svc.EnvVars {
		var val string
		switch {
		case v.FromDatabase != nil:
			if !databases[v.FromDatabase.Name] || v.FromDatabase.Property != "connectionString" {
				t.Errorf("%s comes from database %q's %s, which the blueprint does not define", v.Key, v.FromDatabase.Name, v.FromDatabase.Property)
			}
			val = testsvc.PostgresURL(t)
		case v.FromService != nil:
			if v.FromService.Type != "keyvalue" || !keyValues[v.FromService.Name] || v.FromService.Property != "connectionString" {
				t.Errorf("%s comes from service %+v, which the blueprint does not define", v.Key, *v.FromService)
			}
			val = testsvc.RedisURL(t)
		case v.GenerateValue:
			// Render generates a 256-bit value, base64-encoded.
			var b [32]byte
			_, _ = rand.Read(b[:])
			val = base64.StdEncoding.EncodeToString(b[:])
		case v.Sync != nil && !*v.Sync:
			val = "https://numeneon.example" // asked of whoever applies the blueprint
		default:
			val = v.Value
		}
		seen[v.Key] = val
		env = append(env, v.Key+"="+val)
	}
	if seen["NUMENEON_ENV"] != "production" {
		t.Errorf("NUMENEON_ENV = %q, want production", seen["NUMENEON_ENV"])
	}
	for _, key := range []string{"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} {
		if seen[key] == "" {
			t.Errorf("the web service does not define %s", key)
		}
	}

	dir := copySource(t)
	shell(t, dir, svc.BuildCommand)
	cmd := exec.Command("sh", "-c", svc.StartCommand)
	cmd.Dir = dir
	cmd.Env = env
	out := &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A group of its own: the shell and the server it starts stop together.
	inOwnGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		stopGroup(cmd, false)
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			stopGroup(cmd, true)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})

	url := "http://127.0.0.1:" + strconv.Itoa(port) + svc.HealthCheckPath
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the start command exited: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within 60 s (last: %v)\n%s", url, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), `"layer":"redis"`) {
		t.Errorf("the blueprint's service does not run the Redis layer it wires:\n%s", out.String())
	}
}

// TestDockerfileBinary checks what can be checked without pulling images:
// the Dockerfile's build command, run as written (CGO_ENABLED=0), makes a
// static binary (a distroless image has no C library), and its healthcheck
// command, the image's HEALTHCHECK, succeeds against a serving process and
// fails when nothing serves.
func TestDockerfileBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var build, health string
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build"):
			build = strings.TrimPrefix(line, "RUN ")
		case strings.HasPrefix(line, "HEALTHCHECK "):
			health = line
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(health, `"healthcheck"`) {
		t.Fatalf("Dockerfile: build %q, health check %q: want a CGO_ENABLED=0 build and the healthcheck command", build, health)
	}
	if !strings.Contains(string(raw), "USER nonroot") {
		t.Errorf("the image does not run as a non-root user")
	}

	dir := copySource(t)
	shell(t, dir, build)
	bin := filepath.Join(dir, "bin", "numeneon")
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the binary needs a dynamic loader: it would not start in a static image")
			}
		}
		f.Close()
	}

	port := testsvc.FreePort(t)
	env := append(baseEnv(t), "PORT="+strconv.Itoa(port))
	healthcheck := func() error {
		cmd := exec.Command(bin, "healthcheck")
		cmd.Env = env
		return cmd.Run()
	}
	if err := healthcheck(); err == nil {
		t.Fatalf("healthcheck passed with nothing serving on port %d", port)
	}
	srv := exec.Command(bin, "serve", "--host", "127.0.0.1")
	srv.Env = env
	out := &testlog.Buffer{}
	srv.Stdout, srv.Stderr = out, out
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for healthcheck() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck did not pass within 30 s of the server's start\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
