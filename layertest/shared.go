package layertest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
)

// RunShared runs the cases that need two processes sharing a broker: an
// event raised in one process reaches the sockets held by another, which is
// the failure the first NUMENEON backend had. It skips them when the factory
// cannot give two layers.
func RunShared(t *testing.T, newLayers Factory) {
	t.Run("CrossProcessDelivery", func(t *testing.T) { testCrossProcessDelivery(t, newLayers) })
	t.Run("BothProcessesSubscribed", func(t *testing.T) { testBothProcessesSubscribed(t, newLayers) })
	t.Run("UnsubscribeInOneProcess", func(t *testing.T) { testUnsubscribeInOneProcess(t, newLayers) })
	t.Run("ConcurrentPublishersAcrossProcesses", func(t *testing.T) { testConcurrentAcrossProcesses(t, newLayers) })
	t.Run("SubscribeAgainRightAway", func(t *testing.T) { testSubscribeAgainRightAway(t, newLayers) })
	t.Run("ClosedProcessStopsReceiving", func(t *testing.T) { testClosedProcessStopsReceiving(t, newLayers) })
}

func testCrossProcessDelivery(t *testing.T, newLayers Factory) {
	procs := openProcesses(t, newLayers, 2)
	pub, sub := procs[0], procs[1]
	users := newUsers(2)
	remote, local := users[0], users[1]
	mustSubscribe(t, sub, remote)
	mustSubscribe(t, pub, local)

	want := []numeneon.Envelope{
		{UserID: remote, ID: 1, Frame: []byte{'{', 0, 0xff, '}'}},
		{UserID: remote, ID: 2, Frame: frameOf(remote, 2)},
	}
	mustPublish(t, pub, want[0])
	mustPublish(t, pub, want[1])
	sub.rec.WaitForCount(t, remote, 2)
	if diff := cmp.Diff(views(want...), views(sub.rec.Envelopes(remote)...)); diff != "" {
		t.Errorf("envelopes received by the other process (-want +got):\n%s", diff)
	}

	// The publishing process does not hold the user and must not get it.
	fence(t, pub, pub.rec, local)
	if got := pub.rec.Envelopes(remote); len(got) != 0 {
		t.Errorf("the publishing process, not subscribed to user %d, received %d of its envelopes", remote, len(got))
	}
}

func testBothProcessesSubscribed(t *testing.T, newLayers Factory) {
	procs := openProcesses(t, newLayers, 2)
	user := newUsers(1)[0]
	mustSubscribe(t, procs[0], user)
	mustSubscribe(t, procs[1], user)

	want := []numeneon.Envelope{
		{UserID: user, ID: 1, Frame: frameOf(user, 1)},
		{UserID: user, ID: 2, Frame: frameOf(user, 2)},
	}
	mustPublish(t, procs[1], want[0])
	mustPublish(t, procs[1], want[1])
	for i, p := range procs {
		p.rec.WaitForCount(t, user, 2)
		if diff := cmp.Diff(views(want...), views(p.rec.Envelopes(user)...)); diff != "" {
			t.Errorf("process %d: envelopes received (-want +got):\n%s", i, diff)
		}
	}
}

func testUnsubscribeInOneProcess(t *testing.T, newLayers Factory) {
	procs := openProcesses(t, newLayers, 2)
	users := newUsers(2)
	user, fenceUser := users[0], users[1]
	mustSubscribe(t, procs[0], user)
	mustSubscribe(t, procs[1], user, fenceUser)
	mustUnsubscribe(t, procs[1], user)

	env := numeneon.Envelope{UserID: user, ID: 1, Frame: frameOf(user, 1)}
	mustPublish(t, procs[0], env)
	procs[0].rec.WaitForCount(t, user, 1)
	fence(t, procs[0], procs[1].rec, fenceUser)

	if diff := cmp.Diff(views(env), views(procs[0].rec.Envelopes(user)...)); diff != "" {
		t.Errorf("still-subscribed process: envelopes (-want +got):\n%s", diff)
	}
	if got := procs[1].rec.Envelopes(user); len(got) != 0 {
		t.Errorf("process that unsubscribed received %d envelopes", len(got))
	}
}

func testConcurrentAcrossProcesses(t *testing.T, newLayers Factory) {
	const userCount, perUser, publishers = 30, 40, 6
	procs := openProcesses(t, newLayers, 2)
	users := newUsers(userCount)
	// A third of the users have sockets on both processes.
	var at0, at1 []int64
	for i, u := range users {
		if i%3 != 1 {
			at0 = append(at0, u)
		}
		if i%3 != 0 {
			at1 = append(at1, u)
		}
	}
	mustSubscribe(t, procs[0], at0...)
	mustSubscribe(t, procs[1], at1...)

	publishAll(t, []numeneon.Layer{procs[0], procs[1]}, users, perUser, publishers)
	checkAllArrived(t, procs[0].rec, at0, perUser)
	checkAllArrived(t, procs[1].rec, at1, perUser)
	for i, want := range []int{len(at0) * perUser, len(at1) * perUser} {
		if got := procs[i].rec.Total(); got != want {
			t.Errorf("process %d received %d envelopes, want %d", i, got, want)
		}
	}
}

func testClosedProcessStopsReceiving(t *testing.T, newLayers Factory) {
	procs := openProcesses(t, newLayers, 2)
	user := newUsers(1)[0]
	mustSubscribe(t, procs[0], user)
	mustSubscribe(t, procs[1], user)
	mustPublish(t, procs[1], numeneon.Envelope{UserID: user, ID: 1, Frame: frameOf(user, 1)})
	procs[0].rec.WaitForCount(t, user, 1)

	closeWithin(t, procs[0])
	before := procs[0].rec.Total()
	mustPublish(t, procs[1], numeneon.Envelope{UserID: user, ID: 2, Frame: frameOf(user, 2)})
	procs[1].rec.WaitForCount(t, user, 2)
	if got := procs[0].rec.Total(); got != before {
		t.Errorf("closed process received %d envelopes after Close returned", got-before)
	}
	if err := procs[0].Publish(t.Context(), numeneon.Envelope{UserID: user, ID: 3, Frame: frameOf(user, 3)}); err == nil {
		t.Errorf("Publish on a closed process returned no error")
	}
}

// testSubscribeAgainRightAway is a socket closing and reopening at once (a
// page reload): when Subscribe returns, the subscription is in place for
// every publisher, however recently the user was unsubscribed.
func testSubscribeAgainRightAway(t *testing.T, newLayers Factory) {
	const rounds = 30
	procs := openProcesses(t, newLayers, 2)
	pub, sub := procs[0], procs[1]
	user := newUsers(1)[0]
	mustSubscribe(t, sub, user)
	for i := 1; i <= rounds; i++ {
		mustUnsubscribe(t, sub, user)
		mustSubscribe(t, sub, user)
		mustPublish(t, pub, numeneon.Envelope{UserID: user, ID: int64(i), Frame: frameOf(user, i)})
		sub.rec.WaitForCount(t, user, i)
	}
}
