package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// spawnOpts say how to start `authing serve`.
type spawnOpts struct {
	bin      string   // the authing binary; built from this module when empty
	redisURL string   // --redis of serve; the memory store when empty
	env      []string // extra BS_ settings
	username string
	password string
	logf     func(string, ...any)
}

// server is a spawned `authing serve` with a temporary SQLite database.
type server struct {
	cmd  *exec.Cmd
	dir  string
	url  string
	tail *tailBuffer
	done chan struct{}
	err  error
}

// spawn builds (unless opts.bin) and starts `authing serve` on a random
// loopback port with a temporary SQLite database, after seeding the user
// through `authing users create`.
func spawn(ctx context.Context, o spawnOpts) (*server, error) {
	dir, err := os.MkdirTemp("", "authing-bench-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, tail: &tailBuffer{max: 16 << 10}, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "authing")
		o.logf("building authing (go build -o %s authing.dev/authing/cmd/authing)", bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "authing.dev/authing/cmd/authing")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("building authing (run inside the module, or pass --bin): %w", err)
		}
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	env := append(os.Environ(),
		"BS_SECRET_KEY="+hex.EncodeToString(secret),
		"BS_DATABASE_URL=sqlite://"+filepath.Join(dir, "bench.db"))
	if o.redisURL != "" {
		env = append(env, "BS_REDIS_URL="+o.redisURL, "BS_REDIS_KEY_PREFIX=authing-bench-"+hex.EncodeToString(secret[:4])+":")
	}
	env = append(env, o.env...)

	seed := exec.CommandContext(ctx, bin, "users", "create", "--username", o.username,
		"--email", o.username+"@example.com", "--password-stdin")
	seed.Env, seed.Dir = env, dir
	seed.Stdin = strings.NewReader(o.password + "\n")
	if out, err := seed.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("seeding the user: %w: %s", err, out)
	}

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env, cmd.Dir = env, dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd = cmd
	addr := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The access log (a line per request) is read and dropped; only the
		// start-up line and the tail are kept.
		r := bufio.NewReaderSize(stderr, 64<<10)
		found := false
		for {
			line, err := r.ReadSlice('\n')
			s.tail.Write(line)
			if !found {
				var l struct{ Msg, Addr string }
				if json.Unmarshal(line, &l) == nil && l.Msg == "authing listening" {
					addr <- l.Addr
					found = true
				}
			}
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		return nil, fmt.Errorf("authing serve exited: %v\n%s", s.err, s.tail)
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("authing serve did not start within 30s:\n%s", s.tail)
	}
	ok = true
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the server (SIGTERM, then SIGKILL after 10 s) and removes its
// directory.
func (s *server) stop() error {
	defer os.RemoveAll(s.dir)
	select {
	case <-s.done:
		return s.err
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// procStats are a process's figures from /proc (Linux).
type procStats struct {
	RSSKiB, HWMKiB int64
	Threads        int
	FDs            int
	CPU            time.Duration // user + system
}

const clockTicks = 100 // USER_HZ on Linux

func readProc(pid int) (procStats, error) {
	var ps procStats
	dir := "/proc/" + strconv.Itoa(pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			ps.RSSKiB = n
		case "VmHWM":
			ps.HWMKiB = n
		case "Threads":
			ps.Threads = int(n)
		}
	}
	if fds, err := os.ReadDir(dir + "/fd"); err == nil {
		ps.FDs = len(fds)
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ps, err
	}
	// Fields after the command name (which is in parentheses): state is
	// field 3, utime and stime are fields 14 and 15.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			ps.CPU = time.Duration(ut+st) * time.Second / clockTicks
		}
	}
	return ps, nil
}

// goroutines reads go_goroutines from a Prometheus /metrics endpoint, or
// gives -1 when the server exposes none.
func goroutines(c *client, path string) int {
	if path == "" {
		return -1
	}
	res, err := c.hc.Get(c.base + path)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		io.Copy(io.Discard, res.Body)
		return -1
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}

// systemCPU is the busy time of the whole machine (user, nice, system, irq,
// softirq and steal of /proc/stat), 0 when unknown.
func systemCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		n, _ := strconv.ParseInt(f[i], 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// procsCPU is the CPU time of the processes.
func procsCPU(pids []int) time.Duration {
	var d time.Duration
	for _, pid := range pids {
		if ps, err := readProc(pid); err == nil {
			d += ps.CPU
		}
	}
	return d
}

// findProcs returns the processes whose command name is name.
func findProcs(name string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
		}
	}
	return pids
}
