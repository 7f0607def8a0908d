package taskexecutor

import (
	"log/slog"
	"math"
	"testing"
	"time"
)

func TestTheReconnectDelayDoublesPerFailureUpToItsCapWhateverTheDelays(t *testing.T) {
	cases := []struct {
		first, most time.Duration
		failures    int
		want        time.Duration
	}{
		{100 * time.Millisecond, 10 * time.Second, 0, 100 * time.Millisecond},
		{100 * time.Millisecond, 10 * time.Second, 3, 800 * time.Millisecond},
		{100 * time.Millisecond, 10 * time.Second, 7, 10 * time.Second},
		{100 * time.Millisecond, 10 * time.Second, 1000, 10 * time.Second},
		// 10 s doubled 30 times is past a time.Duration: it wrapped to a negative delay, and
		// jittered panicked on it (the worker's process ended after 30 failures in a row).
		{10 * time.Second, time.Minute, 30, time.Minute},
		{10 * time.Second, 10 * time.Second, 1000, 10 * time.Second},
		{math.MaxInt64, math.MaxInt64, 1, math.MaxInt64},
	}
	for _, c := range cases {
		got := reconnectBase(c.first, c.most, c.failures)
		if got != c.want {
			t.Errorf("reconnectBase(%v, %v, %d) = %v, want %v", c.first, c.most, c.failures, got, c.want)
		}
		if delay := jittered(got); delay < got/2 || delay > got {
			t.Errorf("jittered(%v) = %v, want within its upper half", got, delay)
		}
	}
}

func TestAWelcomesKeepaliveIntervalIsTakenWithinWhatAManagerMayBeSetTo(t *testing.T) {
	for _, c := range []struct{ named, taken time.Duration }{
		{time.Millisecond, 100 * time.Millisecond},
		{10 * time.Second, 10 * time.Second},
		{5 * time.Minute, 5 * time.Minute},
		{50 * 24 * time.Hour, 5 * time.Minute},
		{math.MaxInt64, 5 * time.Minute},
	} {
		if got := keepaliveOf(c.named); got != c.taken {
			t.Errorf("a welcome naming %v: taken as %v, want %v", c.named, got, c.taken)
		}
	}
}

func TestTheReconnectDelaysStartOverAfterAStreamThatLastedStableStreamOrTheLongestDelay(t *testing.T) {
	for _, most := range []time.Duration{10 * time.Second, 500 * time.Millisecond} {
		l := &loop{Worker: &Worker{log: slog.New(slog.DiscardHandler),
			options: WorkerOptions{ReconnectDelay: 100 * time.Millisecond, MaxReconnectDelay: most}}}
		stable := min(stableStream, most)
		for _, lasted := range []time.Duration{stable - 10*time.Millisecond, stable + 10*time.Millisecond} {
			l.failures = 3
			l.answeredAt = time.Now().Add(-lasted)
			l.lost(nil, nil)
			if startedOver := l.failures == 1; startedOver != (lasted >= stable) {
				t.Errorf("cap %v, a stream that lasted %v: %d failures counted", most, lasted, l.failures)
			}
		}
	}
}
