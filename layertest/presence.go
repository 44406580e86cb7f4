package layertest

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
)

// RunPresence runs the numeneon.Presence cases. The hub calls Connect when a
// user's first socket opens on a process and Disconnect when the last one
// closes, so the suite calls each at most once per user and process at a
// time. Cases with two processes are skipped when the factory cannot give two.
func RunPresence(t *testing.T, newPresences PresenceFactory) {
	t.Run("Single", func(t *testing.T) {
		t.Run("ReportsOnlineAndOffline", func(t *testing.T) { testPresenceOnlineOffline(t, newPresences) })
		t.Run("DisconnectWithoutConnect", func(t *testing.T) { testPresenceDisconnectUnknown(t, newPresences) })
		t.Run("ConcurrentUsers", func(t *testing.T) { testPresenceConcurrentUsers(t, newPresences) })
		t.Run("CloseReturns", func(t *testing.T) { testPresenceCloseReturns(t, newPresences) })
	})
	t.Run("Shared", func(t *testing.T) {
		t.Run("FirstOnlineLastOffline", func(t *testing.T) { testPresenceFirstOnlineLastOffline(t, newPresences) })
		t.Run("RacingProcesses", func(t *testing.T) { testPresenceRacingProcesses(t, newPresences) })
		t.Run("CloseRemovesEntries", func(t *testing.T) { testPresenceCloseRemovesEntries(t, newPresences) })
	})
}

// node is one presence under test.
type node struct {
	numeneon.Presence
	closeOnce sync.Once
	closeErr  error
	offline   atomic.Int64 // users reported offline through Listen
	// held is the users this node has connected and not disconnected,
	// as runSteps drove it (a closed node holds none).
	held   map[int64]bool
	closed bool
}

func (n *node) close() error {
	n.closeOnce.Do(func() {
		n.closeErr = n.Presence.Close()
		n.held, n.closed = nil, true
	})
	return n.closeErr
}

func openNodes(t *testing.T, newPresences PresenceFactory, n int) []*node {
	t.Helper()
	ps := newPresences(t, n)
	if len(ps) < n {
		for _, p := range ps {
			if err := p.Close(); err != nil {
				t.Errorf("close presence: %v", err)
			}
		}
		if n == 1 {
			t.Fatalf("factory returned no presence")
		}
		t.Skipf("the presence cannot be shared between processes (asked for %d, got %d): skipping a multi-process case", n, len(ps))
	}
	nodes := make([]*node, n)
	for i, p := range ps[:n] {
		nd := &node{Presence: p, held: make(map[int64]bool)}
		p.Listen(func(userIDs []int64) { nd.offline.Add(int64(len(userIDs))) })
		nodes[i] = nd
	}
	t.Cleanup(func() {
		for _, nd := range nodes {
			if err := nd.close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return nodes
}

// step is one call of a presence scenario and the answer it must give.
type step struct {
	node       int
	connect    bool // else Disconnect
	user       int  // index into the scenario's users
	wantChange bool // cameOnline or wentOffline
}

// runSteps runs steps in order. After each, every node must answer Online
// for every user as the steps so far say: online while some node holds a
// connect not yet undone.
func runSteps(t *testing.T, nodes []*node, users []int64, steps []step) {
	t.Helper()
	for i, s := range steps {
		nodes[s.node].held[users[s.user]] = s.connect

		var got bool
		var err error
		op := "Disconnect"
		if s.connect {
			op = "Connect"
			got, err = nodes[s.node].Connect(t.Context(), users[s.user])
		} else {
			got, err = nodes[s.node].Disconnect(t.Context(), users[s.user])
		}
		if err != nil {
			t.Fatalf("step %d: node %d %s(user %d): %v", i, s.node, op, s.user, err)
		}
		if got != s.wantChange {
			t.Errorf("step %d: node %d %s(user %d) reported a change %v, want %v", i, s.node, op, s.user, got, s.wantChange)
		}
		for u := range users {
			want := false
			for _, nd := range nodes {
				want = want || nd.held[users[u]]
			}
			for n, nd := range nodes {
				if nd.closed {
					continue
				}
				online, err := nd.Online(t.Context(), users[u])
				if err != nil {
					t.Fatalf("step %d: node %d Online(user %d): %v", i, n, u, err)
				}
				if online != want {
					t.Errorf("step %d: node %d Online(user %d) = %v, want %v", i, n, u, online, want)
				}
				among, err := nd.OnlineAmong(t.Context(), users)
				if err != nil {
					t.Fatalf("step %d: node %d OnlineAmong: %v", i, n, err)
				}
				if among[users[u]] != want {
					t.Errorf("step %d: node %d OnlineAmong says user %d online %v, want %v", i, n, u, among[users[u]], want)
				}
			}
		}
	}
}

func testPresenceOnlineOffline(t *testing.T, newPresences PresenceFactory) {
	nodes := openNodes(t, newPresences, 1)
	runSteps(t, nodes, newUsers(2), []step{
		{node: 0, connect: true, user: 0, wantChange: true},
		{node: 0, connect: true, user: 1, wantChange: true},
		{node: 0, connect: false, user: 0, wantChange: true},
		{node: 0, connect: false, user: 0, wantChange: false},
		{node: 0, connect: true, user: 0, wantChange: true},
		{node: 0, connect: false, user: 1, wantChange: true},
		{node: 0, connect: false, user: 0, wantChange: true},
	})
}

func testPresenceDisconnectUnknown(t *testing.T, newPresences PresenceFactory) {
	nodes := openNodes(t, newPresences, 1)
	runSteps(t, nodes, newUsers(1), []step{{node: 0, connect: false, user: 0, wantChange: false}})
}

func testPresenceConcurrentUsers(t *testing.T, newPresences PresenceFactory) {
	const userCount, workers = 200, 8
	nd := openNodes(t, newPresences, 1)[0]
	users := newUsers(userCount)
	for _, phase := range []string{"Connect", "Disconnect"} {
		var changed atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(users); i += workers {
					var ok bool
					var err error
					if phase == "Connect" {
						ok, err = nd.Connect(t.Context(), users[i])
					} else {
						ok, err = nd.Disconnect(t.Context(), users[i])
					}
					if err != nil {
						t.Errorf("%s(%d): %v", phase, users[i], err)
						return
					}
					if ok {
						changed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := changed.Load(); got != userCount {
			t.Errorf("%s of %d distinct users reported %d changes, want one each", phase, userCount, got)
		}
	}
}

func testPresenceCloseReturns(t *testing.T, newPresences PresenceFactory) {
	nd := openNodes(t, newPresences, 1)[0]
	user := newUsers(1)[0]
	if _, err := nd.Connect(t.Context(), user); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := nd.close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := nd.offline.Load(); n != 0 {
		t.Errorf("a clean Close reported %d users offline through Listen; that is the hub's job", n)
	}
	// Neither may panic; whether they fail is up to the implementation.
	_, _ = nd.Connect(t.Context(), user)
	_, _ = nd.Disconnect(t.Context(), user)
}

func testPresenceFirstOnlineLastOffline(t *testing.T, newPresences PresenceFactory) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"last to connect disconnects last", []step{
			{node: 0, connect: true, user: 0, wantChange: true},
			{node: 1, connect: true, user: 0, wantChange: false},
			{node: 0, connect: false, user: 0, wantChange: false},
			{node: 1, connect: false, user: 0, wantChange: true},
		}},
		{"first to connect disconnects last", []step{
			{node: 1, connect: true, user: 0, wantChange: true},
			{node: 0, connect: true, user: 0, wantChange: false},
			{node: 0, connect: false, user: 0, wantChange: false},
			{node: 1, connect: false, user: 0, wantChange: true},
			{node: 0, connect: true, user: 0, wantChange: true},
		}},
		{"users are independent", []step{
			{node: 0, connect: true, user: 0, wantChange: true},
			{node: 1, connect: true, user: 1, wantChange: true},
			{node: 1, connect: false, user: 1, wantChange: true},
			{node: 0, connect: false, user: 1, wantChange: false},
			{node: 0, connect: false, user: 0, wantChange: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := openNodes(t, newPresences, 2)
			runSteps(t, nodes, newUsers(2), tt.steps)
		})
	}
}

func testPresenceRacingProcesses(t *testing.T, newPresences PresenceFactory) {
	const userCount = 100
	nodes := openNodes(t, newPresences, 2)
	users := newUsers(userCount)
	for _, phase := range []string{"Connect", "Disconnect"} {
		changes := make([][2]bool, userCount)
		var wg sync.WaitGroup
		for ni, nd := range nodes {
			wg.Go(func() {
				for i, u := range users {
					var ok bool
					var err error
					if phase == "Connect" {
						ok, err = nd.Connect(t.Context(), u)
					} else {
						ok, err = nd.Disconnect(t.Context(), u)
					}
					if err != nil {
						t.Errorf("node %d %s(%d): %v", ni, phase, u, err)
						return
					}
					changes[i][ni] = ok
				}
			})
		}
		wg.Wait()
		var wrong []int64
		for i, c := range changes {
			if c[0] == c[1] { // both or neither reported the change
				wrong = append(wrong, users[i])
			}
		}
		if diff := cmp.Diff([]int64(nil), wrong); diff != "" {
			t.Errorf("%s on two processes at once: users without exactly one reported change (-want +got):\n%s", phase, diff)
		}
	}
}

func testPresenceCloseRemovesEntries(t *testing.T, newPresences PresenceFactory) {
	nodes := openNodes(t, newPresences, 2)
	users := newUsers(2)
	runSteps(t, nodes, users, []step{
		{node: 0, connect: true, user: 0, wantChange: true},
		{node: 0, connect: true, user: 1, wantChange: true},
		{node: 1, connect: true, user: 1, wantChange: false},
	})
	if err := nodes[0].close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Node 0 is gone cleanly: user 0 has no socket anywhere, user 1 only on node 1.
	runSteps(t, nodes, users, []step{
		{node: 1, connect: true, user: 0, wantChange: true},
		{node: 1, connect: false, user: 1, wantChange: true},
	})
}
